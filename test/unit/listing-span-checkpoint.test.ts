// A listing batch's checkpoint names positions of its span as one walk saw them. If the span changes between
// two attempts with the same count (one file deleted, another created), the positions move: trusting the old
// bits would skip a file that was never copied. The retry must notice (CheckpointSchema.span) and walk it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { makeCopyBatch } from '../../activities/copy-batch.js';
import type { Checkpoint } from '../../common/checkpoint.js';
import type { CopyBatchInput, CopyBatchOutput } from '../../common/schemas.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { startFileServer } from '../../lib/file-server/index.js';
import { httpListing } from '../../lib/listing/fetch.js';
import { spanDigest } from '../../lib/listing/walk.js';
import { createOrigin } from '../../lib/origin.js';

test('spanDigest tells apart spans of the same count and matches equal ones', () => {
  assert.equal(spanDigest(['a', 'b']), spanDigest(['a', 'b']));
  assert.notEqual(spanDigest(['a', 'b']), spanDigest(['b', 'b0']));
  assert.notEqual(spanDigest(['ab', 'c']), spanDigest(['a', 'bc']));
});

test('a retry whose span lists other names (same count) does not trust the old checkpoint', async (t) => {
  const src = await mkdtemp(path.join(tmpdir(), 'ferry-span-src-'));
  const dst = await mkdtemp(path.join(tmpdir(), 'ferry-span-dst-'));
  t.after(() => Promise.all([rm(src, { recursive: true }), rm(dst, { recursive: true })]));
  for (const n of ['a.bin', 'b.bin', 'c.bin']) await writeFile(path.join(src, n), `bytes of ${n}`);
  const server = await startFileServer({ root: src, closeTimeoutMs: 100 });
  t.after(() => server.close());
  const bucket = new LocalBucket(path.join(dst, 'bucket'));
  await bucket.ensure();
  // Uncached listings: each attempt walks the tree as it is now.
  const copyBatch = makeCopyBatch({
    origin: createOrigin(),
    openBucket: async () => bucket,
    checkpointEveryMs: 0,
    templates: new Map(),
    list: httpListing(),
  });
  const input: CopyBatchInput = {
    jobId: 'job-span',
    baseUrl: server.url,
    listing: { lastKey: 'c.bin' },
    maxNames: 1000,
    start: 0,
    end: 3,
    destination: path.join(dst, 'bucket'),
    concurrency: 1,
    skipExisting: false,
    limitBps: 0,
  };
  const first = new MockActivityEnvironment();
  const beats: Checkpoint[] = [];
  first.on('heartbeat', (d: Checkpoint) => beats.push(d));
  await first.run(copyBatch, input);
  // The checkpoint of an attempt that died after its first object (a.bin, position 0).
  const cp = beats.find((b) => b.totals.copied === 1);
  assert.ok(cp?.span, 'the checkpoint records its span');

  // Meanwhile a.bin is deleted and b0.bin created: the span still holds 3 names, now b.bin at position 0 —
  // a file that (here) never reached the bucket.
  await unlink(path.join(src, 'a.bin'));
  await writeFile(path.join(src, 'b0.bin'), 'bytes of b0.bin');
  await bucket.delete('b.bin');

  const retry = new MockActivityEnvironment({ heartbeatDetails: cp, attempt: 2 });
  const out: CopyBatchOutput = await retry.run(copyBatch, input);
  assert.equal(out.totals.failed, 0);
  assert.equal(
    await readFile(path.join(dst, 'bucket', 'b.bin'), 'utf8'),
    'bytes of b.bin',
    'b.bin (position 0 after the change) was copied, not skipped on the old bit',
  );
  assert.equal(await readFile(path.join(dst, 'bucket', 'b0.bin'), 'utf8'), 'bytes of b0.bin');
});
