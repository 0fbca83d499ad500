// --streams within --max-conns (lib/lane-slots.ts): the Range streams of a large object borrow the batch's idle
// lanes instead of opening connections beyond them. Through copyBatch against an origin that counts the
// connections it sees and the requests in flight at once.
process.env.FERRY_RANGE_THRESHOLD = '1MiB';

import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';

import { createActivities } from '../../activities/index.js';
import type { CopyBatchInput, CopyBatchOutput } from '../../common/schemas.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { startRangedOrigin } from '../helpers/ranged-origin.js';

const { copyBatch } = createActivities({ checkpointEveryMs: 0 });
const SIZE = 40 * 1024 * 1024 + 99; // ranges of 11 MiB at --streams 4, 20 MiB at 2

/**
 * Requests in flight stay within the lanes. Open sockets may show one more, briefly and idle: undici opens a
 * connection (no request on it) after the first GET's body is cut at the end of range 0. Seen with a ranged
 * object only; not yet explained (see the report of issue #12).
 */
function within(o: { peakSockets(): number; peakInFlight(): number }, lanes: number): void {
  assert.ok(o.peakInFlight() <= lanes, `${o.peakInFlight()} requests in flight over ${lanes} lanes`);
  assert.ok(o.peakSockets() <= lanes + 1, `${o.peakSockets()} sockets over ${lanes} lanes`);
}

function run(input: CopyBatchInput): Promise<CopyBatchOutput> {
  return new MockActivityEnvironment().run(copyBatch, input);
}

async function copy(t: TestContext, concurrency: number, names: string[]) {
  const data = randomBytes(SIZE);
  const o = await startRangedOrigin('big.bin', data);
  t.after(() => o.close());
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-range-lanes-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await new LocalBucket(root).ensure();
  const input: CopyBatchInput = {
    jobId: 'job-lanes',
    baseUrl: o.url,
    names,
    maxNames: 10,
    start: 0,
    end: names.length,
    destination: root,
    concurrency,
    skipExisting: false,
    limitBps: 0,
    streams: 4,
  };
  const out = await run(input);
  return { o, out, data, root };
}

describe('--streams borrows idle lanes within --max-conns', () => {
  it('one object, 4 lanes: 4 streams (3 borrowed), never more than 4 connections', async (t) => {
    const { o, out, data, root } = await copy(t, 4, ['big.bin']);
    assert.equal(out.totals.copied, 1);
    assert.ok(data.equals(await readFile(path.join(root, 'big.bin'))));
    assert.equal(o.requests.filter((r) => r.range).length, 3);
    within(o, 4);
  });

  it('one object, 2 lanes: 2 streams, never more than 2 connections', async (t) => {
    const { o, out, data, root } = await copy(t, 2, ['big.bin']);
    assert.equal(out.totals.copied, 1);
    assert.ok(data.equals(await readFile(path.join(root, 'big.bin'))));
    assert.equal(o.requests.filter((r) => r.range).length, 1);
    within(o, 2);
  });

  it('three objects on 2 lanes: every lane busy, nothing borrowed, never more than 2 connections', async (t) => {
    // The same name three times: each a large object of its own to the batch.
    const { o, out } = await copy(t, 2, ['big.bin', 'big.bin', 'big.bin']);
    assert.equal(out.totals.failed, 0);
    // Before lanes were shared, up to 2 + 2 × 3 requests ran at once. The idle extra socket `within` allows was
    // seen here too (2026-12-01: 3 sockets, never more than 2 requests in flight).
    within(o, 2);
  });
});
