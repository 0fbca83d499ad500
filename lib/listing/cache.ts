// Directory listings shared by the walks of one worker process. Every scan and every copy batch walks from a
// key, listing the directories on its path again; in a flat directory of a million files that is the whole
// million per batch. Kept for a minute, a listing is fetched about once per directory per worker instead,
// and a scan and the batches it cut see the same snapshot. Concurrent walks share one fetch in flight.
// Shared within one job only (the scope: the activity's workflow ID): a new job over the same origin — a
// scheduled sync's next run, seconds after the last — must see the files added since, not a stale listing.
import { getHeapStatistics } from 'node:v8';
import { Context } from '@temporalio/activity';
import type { FetchListing } from './fetch.js';
import { httpListing } from './fetch.js';
import type { ListingEntry } from './types.js';

/** How long a listing is reused: far longer than the gap between a scan and its batches. */
export const LISTING_TTL_MS = 60_000;
/**
 * Entries kept across all cached listings (~100 B each): at most 2,000,000 (~200 MB), and no more than a
 * quarter of this process's heap limit — a `ferry worker` runs with a bounded heap (worker/launcher.ts,
 * 192 MiB by default: ~500,000 entries), and a cache sized for Node's default 4 GiB would fill it.
 */
export const LISTING_CACHE_ENTRIES = Math.min(
  2_000_000,
  Math.floor(getHeapStatistics().heap_size_limit / 4 / 100),
);

export function cachedListing(
  list: FetchListing,
  opts: { ttlMs?: number; maxEntries?: number; now?: () => number; scope?: () => string } = {},
): FetchListing & { cachedEntries(): number } {
  const scope = opts.scope ?? (() => '');
  const ttl = opts.ttlMs ?? LISTING_TTL_MS;
  const max = opts.maxEntries ?? LISTING_CACHE_ENTRIES;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; entries: Promise<ListingEntry[]>; size: number }>();
  let total = 0;
  const drop = (url: string) => {
    const c = cache.get(url);
    if (!c) return;
    total -= c.size;
    cache.delete(url);
  };
  // Every listing lives as long (the TTL), and a refetch goes to the back of the Map (drop, then set): the Map's
  // order is expiry order, so the expired ones are the first few. Swept on each call, a walk that has moved on
  // does not leave its directories behind until the entry budget pushes them out (a million-file tree walked
  // for an hour held the whole budget, ~300 MB, in the worker).
  const sweep = () => {
    for (const [k, c] of cache) {
      if (now() - c.at < ttl) break;
      drop(k);
    }
  };
  const fetch: FetchListing = async (listUrl, signal, headers) => {
    sweep();
    const url = `${scope()}\n${listUrl}`;
    const hit = cache.get(url);
    if (hit && now() - hit.at < ttl) return hit.entries;
    drop(url);
    const entry = { at: now(), entries: list(listUrl, signal, headers), size: 0 };
    cache.set(url, entry);
    try {
      const entries = await entry.entries;
      if (cache.get(url) === entry) {
        entry.size = entries.length;
        total += entries.length;
        // Oldest first (Map keeps insertion order); a listing larger than the whole budget is not kept.
        for (const k of cache.keys()) {
          if (total <= max) break;
          drop(k);
        }
      }
      return entries;
    } catch (err) {
      if (cache.get(url) === entry) drop(url); // errors are never cached: a retry asks again
      throw err;
    }
  };
  return Object.assign(fetch, { cachedEntries: () => total });
}

let shared: FetchListing | undefined;

/** The process's cached HTTP listing fetcher (activities' default). */
export function sharedListing(): FetchListing {
  return (shared ??= cachedListing(httpListing(), { scope: currentJob }));
}

// --- internal ---
/** The workflow ID of the activity calling, or '' outside an activity. */
function currentJob(): string {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? '';
  } catch {
    return '';
  }
}
