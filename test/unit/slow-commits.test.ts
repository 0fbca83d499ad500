import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SLOW_SYNC_COMMIT_MS, SYNC_BACKOFF_MS, SlowCommits } from '../../lib/buckets/slow-commits.js';

// The clock is the test's: the rule is about commit times and a backoff, not about this machine's speed.
function commits() {
  let now = 1_000_000;
  const slow = new SlowCommits(undefined, () => now);
  return { slow, advance: (ms: number) => (now += ms) };
}

describe('slow-commits: when small objects leave the synchronous commit', () => {
  it('a single stall (a GC pause, a journal flush) among fast commits keeps the synchronous path', () => {
    const { slow } = commits();
    for (let i = 0; i < 1000; i++) slow.record(0.05);
    slow.record(4 * SLOW_SYNC_COMMIT_MS);
    for (let i = 0; i < 1000; i++) slow.record(0.05);
    assert.equal(slow.asyncNow(), false);
    assert.equal(slow.switches, 0);
  });

  it('a filesystem whose commits are all slow switches within a dozen commits, for the backoff, then is tried again', () => {
    const { slow, advance } = commits();
    let n = 0;
    while (!slow.asyncNow() && n < 100) {
      slow.record(SLOW_SYNC_COMMIT_MS * 1.5);
      n++;
    }
    assert.equal(slow.asyncNow(), true);
    assert.ok(n <= 12, `switched after ${n} slow commits`);
    advance(SYNC_BACKOFF_MS - 1);
    assert.equal(slow.asyncNow(), true);
    advance(1);
    assert.equal(slow.asyncNow(), false, 'the synchronous path is tried again after the backoff');
    // Still slow: it switches again, from a fresh average (not at once, on the old one).
    slow.record(SLOW_SYNC_COMMIT_MS * 1.5);
    assert.equal(slow.asyncNow(), false);
    for (let i = 0; i < 12; i++) slow.record(SLOW_SYNC_COMMIT_MS * 1.5);
    assert.equal(slow.asyncNow(), true);
    assert.equal(slow.switches, 2);
  });

  it('a stall, however long, does not switch by itself; a few in a row do', () => {
    const { slow } = commits();
    slow.record(0.05);
    slow.record(1000 * SLOW_SYNC_COMMIT_MS);
    assert.equal(slow.asyncNow(), false);
    for (let i = 0; i < 3; i++) slow.record(1000 * SLOW_SYNC_COMMIT_MS);
    assert.equal(slow.asyncNow(), true);
  });

  it('tells its caller the average when it switches', () => {
    const told: number[] = [];
    const slow = new SlowCommits((avg) => told.push(avg));
    for (let i = 0; i < 20 && told.length === 0; i++) slow.record(3 * SLOW_SYNC_COMMIT_MS);
    assert.equal(told.length, 1);
    assert.ok(told[0]! > SLOW_SYNC_COMMIT_MS, `average ${told[0]}`);
  });

  it('commits just under the threshold never switch', () => {
    const { slow } = commits();
    for (let i = 0; i < 10_000; i++) slow.record(SLOW_SYNC_COMMIT_MS * 0.9);
    assert.equal(slow.switches, 0);
  });
});
