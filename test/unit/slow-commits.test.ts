import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SlowCommits } from '../../lib/buckets/slow-commits.js';

// The local bucket's switch to asynchronous commits (lib/buckets/slow-commits.ts), driven with given durations.
describe('SlowCommits', () => {
  const now = 1_000_000;

  it('stays synchronous when a minority of commits is slow (a preempted process, not a slow filesystem)', () => {
    const s = new SlowCommits();
    // One slow commit after every two fast ones, for a long time: at most 3 of any 8 in a row.
    for (let i = 0; i < 3000; i++) s.note(i % 3 === 2 ? 80 : 0.2, now);
    assert.equal(s.asyncNow(now), false);
    // The old rule (any single commit over 20 ms) would have switched at the first slow one.
  });

  it('switches when most of the latest commits are slow, for a minute, then tries again', () => {
    const s = new SlowCommits();
    for (let i = 0; i < 4; i++) s.note(30, now);
    for (let i = 0; i < 3; i++) s.note(0.2, now);
    assert.equal(s.asyncNow(now), false, 'a window not yet full decides nothing');
    s.note(30, now); // 5 of the last 8
    assert.equal(s.asyncNow(now), true);
    assert.equal(s.asyncNow(now + 59_999), true);
    assert.equal(s.asyncNow(now + 60_000), false);
    // Back on the synchronous path the window starts afresh: one slow commit does not switch again.
    s.note(30, now + 60_000);
    assert.equal(s.asyncNow(now + 60_000), false);
  });

  it('a filesystem slow on every commit switches once the first window is full', () => {
    const s = new SlowCommits();
    let n = 0;
    while (!s.asyncNow(now) && n < 100) {
      s.note(500, now);
      n++;
    }
    assert.equal(n, 8, 'the first full window');
  });
});
