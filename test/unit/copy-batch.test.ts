import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';

import { createActivities } from '../../activities/index.js';
import { MAX_BATCH_FAILURE_SAMPLE, type Checkpoint } from '../../common/checkpoint.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { ChecksumAlgos, DEFAULT_CHECKSUM, createHasher, formatChecksum } from '../../lib/checksum.js';
import { startFileServer } from '../../lib/file-server/index.js';
import type { FileServer } from '../../lib/file-server/index.js';
import { ErrorType } from '../../common/errors.js';
import type { CopyBatchInput, CopyBatchOutput, ObjectFailure } from '../../common/schemas.js';

// Checkpoint after every object (production: at most every 250 ms), so each one can be observed.
const { copyBatch } = createActivities({ checkpointEveryMs: 0 });

// --- fixtures ---

interface Origin {
  dir: string;
  server: FileServer;
  files: Map<string, Buffer>;
}

/** A real file server over a temp dir holding `files` (name → bytes). */
async function origin(t: TestContext, files: Record<string, Buffer | string>): Promise<Origin> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-copy-origin-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const map = new Map<string, Buffer>();
  for (const [name, data] of Object.entries(files)) {
    const p = path.join(dir, ...name.split('/'));
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, data);
    map.set(name, Buffer.from(data));
  }
  const server = await startFileServer({ root: dir, closeTimeoutMs: 100 });
  t.after(() => server.close());
  return { dir, server, files: map };
}

/** A destination bucket in a fresh temp dir (its parent is returned too, to check nothing escapes). */
async function destination(t: TestContext): Promise<{ base: string; root: string; bucket: LocalBucket }> {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-copy-dest-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'bucket');
  const bucket = new LocalBucket(root);
  await bucket.ensure();
  return { base, root, bucket };
}

function batchInput(
  over: Partial<CopyBatchInput> & Pick<CopyBatchInput, 'baseUrl' | 'destination'>,
): CopyBatchInput {
  return {
    jobId: 'job-test',
    maxNames: 1_000_000,
    start: 0,
    end: 1,
    concurrency: 4,
    skipExisting: false,
    limitBps: 0,
    ...over,
  };
}

interface Run {
  env: MockActivityEnvironment;
  /** Heartbeat details exactly as handed to the SDK (not copied: the SDK serializes them later). */
  beats: Checkpoint[];
  result: Promise<CopyBatchOutput>;
}

function start(input: CopyBatchInput, info: Partial<Info> = {}): Run {
  const env = new MockActivityEnvironment(info);
  const beats: Checkpoint[] = [];
  env.on('heartbeat', (d: Checkpoint) => beats.push(d));
  return { env, beats, result: env.run(copyBatch, input) };
}

async function run(
  input: CopyBatchInput,
  info: Partial<Info> = {},
): Promise<{ out: CopyBatchOutput; beats: Checkpoint[] }> {
  const r = start(input, info);
  const out = await r.result;
  return { out, beats: r.beats };
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Positions set in a checkpoint's bitset. */
function donePositions(cp: Checkpoint): number[] {
  const bits = Buffer.from(cp.done, 'base64');
  const out: number[] = [];
  for (let p = 0; p < bits.length * 8; p++) if ((bits[p >> 3]! >> (p & 7)) & 1) out.push(p);
  return out;
}

/**
 * Every heartbeat must be a consistent snapshot: a retry resumes from whichever one reached the server, and the
 * SDK serializes details asynchronously, after heartbeat() returned.
 */
function assertConsistent(beats: Checkpoint[]): void {
  assert.ok(beats.length > 0, 'no heartbeat');
  let prev = -1;
  for (const [i, b] of beats.entries()) {
    const n = donePositions(b).length;
    // A sample named, the rest as index ranges (every name is in the report parts).
    const ranged = (b.failedRanges ?? []).reduce((a, [s, e]) => a + e - s, 0);
    assert.ok(b.failures.length <= MAX_BATCH_FAILURE_SAMPLE, `heartbeat ${i}: ${b.failures.length} named`);
    assert.equal(b.failures.length + ranged, b.totals.failed, `heartbeat ${i}: failures vs totals.failed`);
    assert.equal(
      n,
      b.totals.copied + b.totals.skipped + b.totals.failed,
      `heartbeat ${i}: done bits vs totals`,
    );
    assert.ok(n >= prev, `heartbeat ${i}: done went backwards`);
    prev = n;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Objects in the bucket (no state files). */
async function objects(root: string): Promise<string[]> {
  return (await filesUnder(root)).filter((f) => !f.startsWith('.ferry/'));
}

/** A raw node:http origin for behaviours the file server never has. */
async function rawOrigin(
  t: TestContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests: () => requests };
}

function shards(n: number, size: (i: number) => number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < n; i++) out[`shard-${String(i).padStart(3, '0')}.bin`] = randomBytes(size(i));
  return out;
}

// --- tests ---

describe('copyBatch', () => {
  for (const algo of [undefined, ...ChecksumAlgos])
    it(`copies a range of a template; each object has the source bytes and its checksum (${algo ?? 'default'})`, async (t) => {
      // Sizes include an empty file and one larger than the 1 MiB stream buffers.
      const sizes = [0, 1, 1000, 65_537, (1 << 20) + 3, 4096, 7, 100_000, 2, 3];
      const o = await origin(
        t,
        shards(10, (i) => sizes[i]!),
      );
      const d = await destination(t);
      const { out, beats } = await run(
        batchInput({
          baseUrl: o.server.url,
          template: 'shard-{000..009}.bin',
          start: 2,
          end: 8,
          destination: d.root,
          jobId: 'job-range',
          ...(algo ? { checksum: algo } : {}),
        }),
      );
      const want = [2, 3, 4, 5, 6, 7].map((i) => `shard-${String(i).padStart(3, '0')}.bin`);
      const wantBytes = want.reduce((s, n) => s + o.files.get(n)!.length, 0);
      assert.deepEqual(out, {
        totals: { copied: 6, skipped: 0, failed: 0, bytes: wantBytes },
        failures: [],
        attempts: 1,
      });
      assert.deepEqual(await objects(d.root), want);
      for (const name of want) {
        const src = o.files.get(name)!;
        const got = await readFile(path.join(d.root, name));
        assert.equal(sha256(got), sha256(src), name);
        const head = await d.bucket.head(name);
        assert.ok(head?.meta);
        assert.equal(head.size, src.length);
        const used = algo ?? DEFAULT_CHECKSUM;
        const h = await createHasher(used);
        h.update(src);
        assert.equal(head.meta.checksum, formatChecksum(used, h.digest()), `${name}: recorded checksum`);
        assert.equal(head.meta.sha256, used === 'sha256' ? sha256(src) : undefined, `${name}: sha256 field`);
        assert.equal(head.meta.jobId, 'job-range');
        assert.equal(head.meta.sourceUrl, `${o.server.url}${name}`);
        assert.match(head.meta.sourceEtag ?? '', /^".+"$/);
      }
      assert.deepEqual(await filesUnder(path.join(d.root, '.ferry', 'tmp')), []);
      // The last checkpoint covers the whole batch and agrees with the result.
      assertConsistent(beats);
      const last = beats.at(-1)!;
      assert.deepEqual(donePositions(last), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(last.totals, out.totals);
      assert.deepEqual(last.failures, []);
    });

  it('copies names in subdirectories and names that need percent-encoding', async (t) => {
    const o = await origin(t, {
      'train/x-0.bin': 'a',
      'train/x-1.bin': 'bb',
      'val/x-0.bin': 'ccc',
      'val/x-1.bin': 'dddd',
      'with space #1.bin': 'eeeee',
    });
    const d = await destination(t);
    const { out } = await run(
      batchInput({
        baseUrl: o.server.url,
        template: '{train,val}/x-{0..1}.bin',
        end: 4,
        destination: d.root,
      }),
    );
    assert.equal(out.totals.copied, 4);
    const names = ['with space #1.bin'];
    const { out: out2 } = await run(
      batchInput({ baseUrl: o.server.url, names, start: 0, end: 1, destination: d.root }),
    );
    assert.equal(out2.totals.copied, 1);
    assert.deepEqual(await objects(d.root), [
      'train/x-0.bin',
      'train/x-1.bin',
      'val/x-0.bin',
      'val/x-1.bin',
      'with space #1.bin',
    ]);
    assert.equal(await readFile(path.join(d.root, 'with space #1.bin'), 'utf8'), 'eeeee');
  });

  it('records 404s as non-retryable SourceNotFound failures and still returns', async (t) => {
    const files = shards(6, () => 100);
    delete files['shard-001.bin'];
    delete files['shard-004.bin'];
    const o = await origin(t, files);
    const d = await destination(t);
    const { out, beats } = await run(
      batchInput({ baseUrl: o.server.url, template: 'shard-{000..005}.bin', end: 6, destination: d.root }),
    );
    assert.deepEqual(out.totals, { copied: 4, skipped: 0, failed: 2, bytes: 400 });
    const failures = [...out.failures].sort((a, b) => a.index - b.index);
    assert.equal(failures.length, 2);
    for (const [f, i] of [
      [failures[0]!, 1],
      [failures[1]!, 4],
    ] as const) {
      assert.equal(f.index, i);
      // What the activity returns goes into history: no name (the report names it).
      assert.equal(f.name, `#${i}`);
      assert.equal(f.type, ErrorType.SourceNotFound);
      assert.equal(f.retryable, false);
      assert.match(f.message, /404/);
      assert.doesNotMatch(f.message, /shard-/);
    }
    assert.deepEqual(await objects(d.root), [
      'shard-000.bin',
      'shard-002.bin',
      'shard-003.bin',
      'shard-005.bin',
    ]);
    assertConsistent(beats);
    assert.deepEqual(donePositions(beats.at(-1)!), [0, 1, 2, 3, 4, 5], 'failed objects are done too');
    assert.equal(beats.at(-1)!.failures.length, 2);
  });

  it('records invalid names from a list as InvalidName failures and writes nothing for them', async (t) => {
    const o = await origin(t, { 'ok.bin': 'fine', x: 'outside' });
    const d = await destination(t);
    const names = ['ok.bin', '../x', 'a//b', '/abs', 'dir/../../x', 'nul\0byte', '.'];
    const { out } = await run(
      batchInput({ baseUrl: o.server.url, names, start: 0, end: names.length, destination: d.root }),
    );
    assert.equal(out.totals.copied, 1);
    assert.equal(out.totals.failed, names.length - 1);
    const byIndex = new Map(out.failures.map((f) => [f.index, f]));
    for (const [i, name] of names.entries()) {
      if (i === 0) continue;
      const f = byIndex.get(i);
      assert.ok(f, `no failure for ${JSON.stringify(name)}`);
      assert.equal(f.name, `#${i}`);
      assert.equal(f.type, ErrorType.InvalidName);
      assert.equal(f.retryable, false);
      assert.equal(f.index, i);
    }
    assert.deepEqual(await objects(d.root), ['ok.bin']);
    // Nothing was written beside the bucket either.
    assert.deepEqual(
      await filesUnder(d.base),
      (await filesUnder(d.root)).map((f) => `bucket/${f}`),
    );
    assert.equal(o.server.stats().requests, 1, 'invalid names are never requested');
  });

  it('resumes from a checkpoint: done objects are skipped, objects written after it are not copied twice', async (t) => {
    const o = await origin(
      t,
      shards(10, (i) => 1000 + i),
    );
    const d = await destination(t);
    const input = batchInput({
      baseUrl: o.server.url,
      template: 'shard-{000..009}.bin',
      end: 10,
      destination: d.root,
      concurrency: 1,
      jobId: 'job-resume',
    });
    const first = await run(input);
    assert.equal(first.out.totals.copied, 10);
    assertConsistent(first.beats);
    // With one lane, a heartbeat follows every object: pick the one taken after the first three.
    const checkpoint = first.beats.find((b) => donePositions(b).length === 3);
    assert.ok(checkpoint, 'no checkpoint after 3 objects');
    assert.deepEqual(donePositions(checkpoint), [0, 1, 2]);

    // Replay a crash after that checkpoint: objects 3-5 were committed by the lost attempt, 6-9 never were.
    for (let i = 6; i < 10; i++) await d.bucket.delete(`shard-00${i}.bin`);
    // Done objects must not be touched at all: make their source vanish.
    for (let i = 0; i < 3; i++) await unlink(path.join(o.dir, `shard-00${i}.bin`));
    const requestsBefore = o.server.stats().requests;

    const second = await run(input, { heartbeatDetails: checkpoint, attempt: 2 });
    const allBytes = [...o.files.values()].reduce((s, b) => s + b.length, 0);
    assert.deepEqual(second.out, {
      totals: { copied: 10, skipped: 0, failed: 0, bytes: allBytes },
      failures: [],
      attempts: 2,
    });
    assert.equal(o.server.stats().requests - requestsBefore, 4, 'only objects 6-9 are fetched again');
    assert.equal((await objects(d.root)).length, 10);
    for (const [name, src] of o.files)
      assert.equal(sha256(await readFile(path.join(d.root, name))), sha256(src));
    assertConsistent(second.beats);
    assert.deepEqual(donePositions(second.beats.at(-1)!), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps the failures of the checkpoint it resumes from', async (t) => {
    const files = shards(4, () => 10);
    delete files['shard-000.bin'];
    const o = await origin(t, files);
    const d = await destination(t);
    const input = batchInput({
      baseUrl: o.server.url,
      template: 'shard-{000..003}.bin',
      end: 4,
      destination: d.root,
      concurrency: 1,
    });
    const first = await run(input);
    const cp = first.beats.find((b) => donePositions(b).length === 1)!;
    assert.equal(cp.failures.length, 1, 'the 404 of object 0 is in the first checkpoint');
    const second = await run(input, { heartbeatDetails: cp, attempt: 2 });
    assert.deepEqual(second.out.totals, { copied: 3, skipped: 0, failed: 1, bytes: 30 });
    assert.deepEqual(
      second.out.failures.map((f) => [f.index, f.type]),
      [[0, ErrorType.SourceNotFound]],
    );
    assertConsistent(second.beats);
  });

  it('skipExisting skips identical objects and recopies changed or missing ones', async (t) => {
    const o = await origin(
      t,
      shards(5, () => 2048),
    );
    const d = await destination(t);
    const input = batchInput({
      baseUrl: o.server.url,
      template: 'shard-{000..004}.bin',
      end: 5,
      destination: d.root,
      jobId: 'job-skip-1',
    });
    await run(input);

    // Change object 1 at the origin (same size, new content and mtime); delete object 3 from the bucket.
    const changed = randomBytes(2048);
    const p1 = path.join(o.dir, 'shard-001.bin');
    await writeFile(p1, changed);
    const later = new Date(Date.now() + 60_000);
    await utimes(p1, later, later);
    await d.bucket.delete('shard-003.bin');
    const before = o.server.stats().requests;

    const { out, beats } = await run({ ...input, skipExisting: true, jobId: 'job-skip-2' });
    assert.deepEqual(out.totals, { copied: 2, skipped: 3, failed: 0, bytes: 4096 });
    assert.deepEqual(out.failures, []);
    assert.ok(changed.equals(await readFile(path.join(d.root, 'shard-001.bin'))), 'changed object recopied');
    assert.equal((await d.bucket.head('shard-001.bin'))?.meta?.jobId, 'job-skip-2');
    assert.equal((await d.bucket.head('shard-000.bin'))?.meta?.jobId, 'job-skip-1', 'identical object kept');
    assert.ok(o.files.get('shard-003.bin')!.equals(await readFile(path.join(d.root, 'shard-003.bin'))));
    // 4 HEADs for the objects present in the bucket + 2 GETs.
    assert.equal(o.server.stats().requests - before, 6);
    assertConsistent(beats);
  });

  it('skipExisting recopies an object no recorded metadata vouches for', async (t) => {
    const o = await origin(t, { 'a.bin': 'origin bytes' });
    const d = await destination(t);
    // Same size as the source, but put there by someone else: no metadata to compare.
    await writeFile(path.join(d.root, 'a.bin'), 'ORIGIN BYTES');
    const { out } = await run(
      batchInput({ baseUrl: o.server.url, template: 'a.bin', destination: d.root, skipExisting: true }),
    );
    assert.deepEqual(out.totals, { copied: 1, skipped: 0, failed: 0, bytes: 12 });
    assert.equal(await readFile(path.join(d.root, 'a.bin'), 'utf8'), 'origin bytes');
  });

  for (const connection of ['keep-alive', 'close'] as const) {
    it(`a body shorter than Content-Length (connection: ${connection}) is not written and fails the batch retryably`, async (t) => {
      const full = randomBytes(10_000);
      const o = await rawOrigin(t, (req, res) => {
        if (req.url === '/good.bin') {
          res.writeHead(200, { 'content-length': String(full.length) });
          res.end(full);
          return;
        }
        // Promise 10000 bytes, send 4000, then drop the connection.
        res.writeHead(200, { 'content-length': '10000', connection });
        res.write(full.subarray(0, 4000), () => setTimeout(() => res.socket?.destroy(), 20));
      });
      const d = await destination(t);
      const r = start(
        batchInput({
          baseUrl: o.url,
          names: ['short.bin', 'good.bin'],
          end: 2,
          destination: d.root,
          concurrency: 1,
        }),
      );
      const err = await r.result.then(
        () => assert.fail('copyBatch returned'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplicationFailure, String(err));
      assert.equal(err.type, ErrorType.BatchIncomplete);
      assert.equal(err.nonRetryable, false);
      const details = err.details?.[0] as Checkpoint & { transient: ObjectFailure[] };
      assert.deepEqual(
        details.transient.map((f) => [f.index, f.name, f.type, f.retryable]),
        [[0, '#0', ErrorType.LengthMismatch, true]],
      );
      assert.doesNotMatch(err.message, /short\.bin/);
      // The good object was copied and is recorded as done; the short one is not done.
      assert.deepEqual(donePositions(details), [1]);
      assert.equal(details.totals.copied, 1);
      assert.deepEqual(await objects(d.root), ['good.bin']);
      assert.deepEqual(await filesUnder(path.join(d.root, '.ferry', 'tmp')), []);
    });
  }

  it('bytes past Content-Length never reach the object', async (t) => {
    // HTTP framing ends a body at its Content-Length: what follows is not part of this response.
    const o = await rawOrigin(t, (_req, res) => {
      res.socket?.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabcdef');
    });
    const d = await destination(t);
    const { out } = await run(
      batchInput({ baseUrl: o.url, names: ['long.bin'], end: 1, destination: d.root }),
    );
    assert.deepEqual(out.totals, { copied: 1, skipped: 0, failed: 0, bytes: 3 });
    assert.equal(await readFile(path.join(d.root, 'long.bin'), 'utf8'), 'abc');
    assert.equal((await d.bucket.head('long.bin'))?.meta?.checksum, 'crc32c:364b3fb7');
  });

  it('cancellation stops the batch promptly and leaves no partial object', async (t) => {
    // An origin that trickles: 1 KiB every 20 ms of a promised 10 MiB.
    const o = await rawOrigin(t, (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 << 20) });
      const timer = setInterval(() => res.write(Buffer.alloc(1024)), 20);
      res.on('close', () => clearInterval(timer));
    });
    const d = await destination(t);
    const names = Array.from({ length: 20 }, (_, i) => `slow-${i}.bin`);
    const r = start(
      batchInput({ baseUrl: o.url, names, end: names.length, destination: d.root, concurrency: 2 }),
    );
    // Wait until both lanes are streaming into temp files.
    const until = Date.now() + 60_000;
    while ((await filesUnder(path.join(d.root, '.ferry', 'tmp'))).length < 2) {
      if (Date.now() > until) assert.fail('copy never started');
      await sleep(10);
    }
    const t0 = Date.now();
    r.env.cancel();
    const err = await r.result.then(
      () => assert.fail('copyBatch returned after cancel'),
      (e: unknown) => e,
    );
    const ms = Date.now() - t0;
    // Prompt, not drained: the trickling bodies would take minutes to end. Loose enough for a loaded machine.
    assert.ok(ms < 10_000, `took ${ms} ms to stop`);
    // The SDK's own cancellation error, so the worker reports a cancellation (not a failure) to the server.
    assert.ok(err instanceof CancelledFailure, `threw ${String(err)}`);
    assert.equal(o.requests(), 2, 'no object was started after the cancel');
    assert.deepEqual(await objects(d.root), []);
    assert.deepEqual(await filesUnder(path.join(d.root, '.ferry', 'tmp')), []);
    // The final checkpoint was heartbeated: nothing done, nothing failed.
    const last = r.beats.at(-1)!;
    assert.deepEqual(donePositions(last), []);
    assert.deepEqual(last.totals, { copied: 0, skipped: 0, failed: 0, bytes: 0 });
  });

  it('heartbeats are consistent snapshots under concurrency', async (t) => {
    const files = shards(120, (i) => (i % 7) * 50);
    for (let i = 0; i < 120; i += 9) delete files[`shard-${String(i).padStart(3, '0')}.bin`];
    const o = await origin(t, files);
    const d = await destination(t);
    const { out, beats } = await run(
      batchInput({
        baseUrl: o.server.url,
        template: 'shard-{000..119}.bin',
        end: 120,
        destination: d.root,
        concurrency: 16,
      }),
    );
    assert.equal(out.totals.failed, 14);
    assert.equal(out.totals.copied, 106);
    assert.ok(beats.length >= 120, `${beats.length} heartbeats`);
    assertConsistent(beats);
  });

  it('rejects invalid input as a non-retryable InvalidInput failure', async (t) => {
    const d = await destination(t);
    const r = start({ ...batchInput({ baseUrl: 'not a url', destination: d.root }), concurrency: 0 });
    await assert.rejects(
      r.result,
      (e: unknown) => e instanceof ApplicationFailure && e.type === ErrorType.InvalidInput && e.nonRetryable,
    );
  });
});
