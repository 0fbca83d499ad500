// Parallel Range GETs (--streams) through copyBatch, from ferry's own file server behind a small recording proxy:
// the object arrives whole with the right checksum; a file rewritten between the first response and its ranges
// fails the object (SourceChanged, retryable) and writes nothing; a wrong Content-Range is refused; an origin
// without ranges, or a checksum that cannot be combined, gets one stream.
process.env.FERRY_RANGE_THRESHOLD = '1MiB';

import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';

import { createActivities } from '../../activities/index.js';
import { ErrorType } from '../../common/errors.js';
import type { CopyBatchInput, CopyBatchOutput } from '../../common/schemas.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { createHasher, type ChecksumAlgo } from '../../lib/checksum.js';
import { startFileServer } from '../../lib/file-server/index.js';
import { rangePlan } from '../../lib/ranged-get.js';

const { copyBatch } = createActivities({ checkpointEveryMs: 0 });
const SIZE = 20 * 1024 * 1024 + 12_345; // 3 ranges of 8 MiB (the smallest range) with --streams 4

interface Seen {
  range: string | undefined;
  status: number;
}

interface Hooks {
  /** Runs before a Range request is forwarded (the file may be changed here). */
  beforeRange?: (n: number) => Promise<void>;
  /** Response headers as the client will see them. */
  headers?: (h: IncomingHttpHeaders) => IncomingHttpHeaders;
}

/** ferry serve over a temp dir holding big.bin, behind a proxy that records every request. */
async function origin(t: TestContext, hooks: Hooks = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-ranges-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const data = randomBytes(SIZE);
  await writeFile(path.join(dir, 'big.bin'), data);
  const fs = await startFileServer({ root: dir, closeTimeoutMs: 100 });
  t.after(() => fs.close());
  const target = new URL(fs.url);
  const seen: Seen[] = [];
  let ranges = 0;
  const proxy = createServer((req, res) => {
    void (async () => {
      if (req.headers.range !== undefined) await hooks.beforeRange?.(ranges++);
      const up = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          seen.push({ range: req.headers.range, status: r.statusCode ?? 0 });
          res.writeHead(r.statusCode ?? 502, hooks.headers ? hooks.headers(r.headers) : r.headers);
          r.pipe(res);
          res.on('close', () => r.destroy());
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    })();
  });
  await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => proxy.close(() => ok())));
  proxy.on('connection', (s) => t.after(() => s.destroy()));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
  return { dir, data, url, seen };
}

async function destination(t: TestContext) {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-ranges-dest-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const bucket = new LocalBucket(root);
  await bucket.ensure();
  return { root, bucket };
}

function run(baseUrl: string, root: string, over: Partial<CopyBatchInput> = {}): Promise<CopyBatchOutput> {
  const input: CopyBatchInput = {
    jobId: 'job-ranges',
    baseUrl,
    names: ['big.bin'],
    maxNames: 10,
    start: 0,
    end: 1,
    destination: root,
    concurrency: 4, // the ranges borrow the idle lanes (lib/lane-slots.ts)
    skipExisting: false,
    limitBps: 0,
    streams: 4,
    ...over,
  };
  return new MockActivityEnvironment().run(copyBatch, input);
}

async function digest(algo: ChecksumAlgo, data: Buffer): Promise<string> {
  const h = await createHasher(algo);
  h.update(data);
  return h.digest();
}

describe('parallel ranges (--streams)', () => {
  it('plans whole-MiB ranges, at least 8 MiB, aligned, covering the object exactly', () => {
    const plan = rangePlan(SIZE, 4);
    assert.deepEqual(
      plan.map((r) => [r.start, r.end]),
      [
        [0, 8 * 2 ** 20 - 1],
        [8 * 2 ** 20, 16 * 2 ** 20 - 1],
        [16 * 2 ** 20, SIZE - 1],
      ],
    );
    const big = rangePlan(256 * 2 ** 20, 4, 16 * 2 ** 20);
    assert.equal(big.length, 4);
    for (const r of big) assert.equal(r.start % (16 * 2 ** 20), 0);
    assert.equal(big.at(-1)!.end, 256 * 2 ** 20 - 1);
  });

  for (const algo of ['crc32c', 'crc64nvme'] as const) {
    it(`fetches a large object as pinned 206 ranges, whole and with its ${algo}`, async (t) => {
      const o = await origin(t);
      const d = await destination(t);
      const out = await run(o.url, d.root, { checksum: algo });
      assert.deepEqual(out.totals, { copied: 1, skipped: 0, failed: 0, bytes: SIZE });
      assert.ok(o.data.equals(await readFile(path.join(d.root, 'big.bin'))));
      const head = await d.bucket.head('big.bin');
      assert.equal(head?.meta?.checksum, `${algo}:${await digest(algo, o.data)}`);
      // The first, plain GET serves range 0; the other two are Range requests the server answered with 206.
      assert.deepEqual(
        o.seen.map((s) => [s.range, s.status]).sort(),
        [
          [undefined, 200],
          ...rangePlan(SIZE, 4)
            .slice(1)
            .map((r) => [`bytes=${r.start}-${r.end}`, 206]),
        ].sort(),
      );
      assert.deepEqual(await readdir(path.join(d.root, '.ferry', 'tmp', 'job-ranges')), []);
    });
  }

  it('a file rewritten between the first response and its ranges fails the object: SourceChanged, nothing written', async (t) => {
    const o: Awaited<ReturnType<typeof origin>> = await origin(t, {
      // Same length, other bytes, a later mtime: the server's ETag changes, so If-Range no longer holds.
      beforeRange: async (n) => {
        if (n === 0) await writeFile(path.join(o.dir, 'big.bin'), randomBytes(SIZE));
      },
    });
    const d = await destination(t);
    await assert.rejects(run(o.url, d.root), (err: Error & { details?: unknown[] }) => {
      const detail = JSON.stringify(err.details ?? []);
      assert.equal((err as { type?: string }).type, ErrorType.BatchIncomplete, err.message);
      assert.match(detail, /SourceChanged/);
      return true;
    });
    assert.equal(await d.bucket.head('big.bin'), null, 'no object stitched from two versions');
    assert.ok(
      o.seen.some((s) => s.range !== undefined && s.status === 200),
      'If-Range answered the whole file',
    );
    assert.deepEqual(await readdir(path.join(d.root, '.ferry', 'tmp', 'job-ranges')), []);
  });

  it('a Content-Range other than the one asked for is refused (SourceRejected), nothing written', async (t) => {
    const o = await origin(t, {
      headers: (h) => (h['content-range'] ? { ...h, 'content-range': 'bytes 0-8388607/' + SIZE } : h),
    });
    const d = await destination(t);
    const out = await run(o.url, d.root);
    assert.equal(out.totals.failed, 1);
    assert.equal(out.failures[0]?.type, ErrorType.SourceRejected);
    assert.match(out.failures[0]?.message ?? '', /Content-Range/);
    assert.equal(await d.bucket.head('big.bin'), null);
  });

  it('an origin without Accept-Ranges, --streams 1, or sha256 take one stream', async (t) => {
    const cases: [string, Hooks, Partial<CopyBatchInput>][] = [
      ['no Accept-Ranges', { headers: ({ 'accept-ranges': _, ...h }) => h }, {}],
      ['--streams 1', {}, { streams: 1 }],
      ['sha256', {}, { checksum: 'sha256' }],
    ];
    for (const [what, hooks, over] of cases) {
      const o = await origin(t, hooks);
      const d = await destination(t);
      const out = await run(o.url, d.root, over);
      assert.equal(out.totals.copied, 1, what);
      assert.ok(o.data.equals(await readFile(path.join(d.root, 'big.bin'))), what);
      assert.deepEqual(o.seen, [{ range: undefined, status: 200 }], what);
    }
  });
});
