// The per-process listing cache (lib/listing/cache.ts): one fetch per directory while fresh, shared by
// concurrent walks; errors never cached; bounded by entries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedListing } from '../../lib/listing/cache.js';
import type { ListingEntry } from '../../lib/listing/types.js';

test('listing cache: fresh hits, concurrent sharing, no cached errors, TTL and size bound', async () => {
  let clock = 0;
  const calls: string[] = [];
  let fail = 1;
  const entries = (n: number): ListingEntry[] =>
    Array.from({ length: n }, (_, i) => ({ name: `f${i}`, type: 'file', size: 1 }));
  const list = cachedListing(
    async (url) => {
      calls.push(url);
      if (url.endsWith('/flaky/') && fail-- > 0) throw new Error('503');
      return entries(url.endsWith('/big/') ? 8 : 2);
    },
    { ttlMs: 1000, maxEntries: 10, now: () => clock },
  );
  await Promise.all([list('http://h/a/'), list('http://h/a/')]);
  await list('http://h/a/');
  assert.deepEqual(calls, ['http://h/a/'], 'one fetch for concurrent and fresh requests');
  await assert.rejects(list('http://h/flaky/'));
  assert.equal((await list('http://h/flaky/')).length, 2, 'an error is not cached');
  clock = 1500;
  await list('http://h/a/');
  assert.equal(calls.filter((u) => u === 'http://h/a/').length, 2, 'stale after the TTL');
  await list('http://h/big/'); // 2 + 2 + 8 > 10: the oldest go
  calls.length = 0;
  await list('http://h/flaky/');
  assert.deepEqual(calls, ['http://h/flaky/'], 'evicted by the size bound');
});

test('listing cache: a listing past its TTL is released on the next call, not kept until the budget is full', async () => {
  let clock = 0;
  const list = cachedListing(
    async (url) =>
      Array.from({ length: url.endsWith('/big/') ? 5 : 1 }, (_, i) => ({ name: `f${i}`, type: 'file' })),
    { ttlMs: 1000, maxEntries: 1_000_000, now: () => clock },
  );
  await list('http://h/big/');
  await list('http://h/a/');
  assert.equal(list.cachedEntries(), 6);
  clock = 1200;
  await list('http://h/b/');
  assert.equal(list.cachedEntries(), 1, 'the walk moved on: only the fresh listing is held');
});

test('listing cache: shared within a scope (one job) only, so a new job sees a fresh listing', async () => {
  const calls: string[] = [];
  let job = 'sync-2026-11-30T10:00:00Z';
  const list = cachedListing(
    async (url) => {
      calls.push(url);
      return [{ name: `f${calls.length}`, type: 'file', size: 1 }];
    },
    { scope: () => job },
  );
  const a = await list('http://h/d/');
  assert.deepEqual(await list('http://h/d/'), a, 'the same job reuses its listing');
  job = 'sync-2026-11-30T10:00:02Z';
  const b = await list('http://h/d/');
  assert.notDeepEqual(b, a, 'the next run lists again, within the TTL');
  assert.deepEqual(calls, ['http://h/d/', 'http://h/d/'], 'the wrapped fetch gets the URL alone');
});
