// The walk of a listing source: every file under a root URL, in one deterministic total order — keys compared
// path component by component in code-unit order, depth first — and resumable after any key by listing only
// the directories on that key's path. A scan (activities/scan-listing.ts) and a copy batch
// (activities/copy-batch.ts) walking the same span therefore see the same names while the tree is unchanged.
import { ErrorType } from '../../common/errors.js';
import { FerryError } from '../classify-error.js';
import { compareNames } from './html.js';
import type { FetchListing } from './fetch.js';
import type { ListingEntry, WalkItem } from './types.js';

/**
 * Directories deeper than this are not entered. A symlink loop inside the root (ferry serve, nginx and python
 * follow symlinks that stay inside it) would otherwise nest forever; real datasets are far shallower.
 */
export const MAX_WALK_DEPTH = 48;

export interface WalkOptions {
  list: FetchListing;
  signal?: AbortSignal;
  /** Only files whose key this accepts (--include/--exclude, lib/listing/filter.ts). */
  accept?: ((key: string) => boolean) | undefined;
  /** Told about each directory left out (loop, depth, vanished). */
  warn?: (message: string) => void;
}

/** Compare two keys component-wise (`a/x` < `a.txt`, since `a` < `a.txt`): the walk's order. */
export function compareKeys(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = compareNames(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** Every file under `rootUrl` whose key sorts after `afterKey` (all when undefined), in walk order. */
export async function* walkListing(
  rootUrl: string,
  afterKey: string | undefined,
  o: WalkOptions,
): AsyncGenerator<WalkItem> {
  const root = rootUrl.endsWith('/') ? rootUrl : `${rootUrl}/`;
  yield* walkDir(root, [], afterKey === undefined ? undefined : afterKey.split('/'), [], o);
}

/** The files of the span (afterKey, lastKey] in walk order. */
export async function listSpan(
  rootUrl: string,
  afterKey: string | undefined,
  lastKey: string,
  o: WalkOptions,
  max: number,
): Promise<string[]> {
  const out: string[] = [];
  for await (const it of walkListing(rootUrl, afterKey, o)) {
    if (compareKeys(it.key, lastKey) > 0 || out.length >= max) break;
    out.push(it.key);
  }
  return out;
}

// --- internal ---

async function* walkDir(
  url: string,
  path: string[],
  after: string[] | undefined,
  ancestors: string[],
  o: WalkOptions,
): AsyncGenerator<WalkItem> {
  let entries: ListingEntry[];
  try {
    entries = await o.list(url, o.signal);
  } catch (err) {
    // A subdirectory deleted since its parent was listed holds no files any more; the root must exist.
    if (path.length > 0 && err instanceof FerryError && err.type === ErrorType.SourceNotFound) {
      o.warn?.(`${path.join('/')}/ vanished during the walk`);
      return;
    }
    throw err;
  }
  const print = JSON.stringify(entries);
  if (ancestors.includes(print)) {
    o.warn?.(`${path.join('/')}/ lists exactly as a directory above it (a symlink loop?): not entered`);
    return;
  }
  let bound = after;
  for (const e of entries) {
    let sub: string[] | undefined;
    if (bound) {
      const c = compareNames(e.name, bound[0]!);
      if (c < 0) continue;
      if (c === 0) {
        if (e.type === 'file' || bound.length === 1) {
          // The key itself (a file) was the last one done; a directory with the key's name sorts after it.
          if (e.type === 'file') {
            bound = undefined;
            continue;
          }
        } else sub = bound.slice(1);
      }
      bound = undefined;
    }
    const keyPath = [...path, e.name];
    if (e.type === 'file') {
      if (o.accept && !o.accept(keyPath.join('/'))) continue;
      yield e.size === undefined ? { key: keyPath.join('/') } : { key: keyPath.join('/'), size: e.size };
      continue;
    }
    if (keyPath.length > MAX_WALK_DEPTH) {
      o.warn?.(`${keyPath.join('/')}/ is deeper than ${MAX_WALK_DEPTH} levels: not entered`);
      continue;
    }
    yield* walkDir(`${url}${encodeURIComponent(e.name)}/`, keyPath, sub, [...ancestors, print], o);
  }
}

/**
 * A short digest of a span's names (FNV-1a, 64 bits as two 32-bit halves, over the names joined by NUL): enough
 * to tell two walks of one span apart; it guards a checkpoint's positions, it is no security boundary.
 */
export function spanDigest(names: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ names.length;
  for (const name of names) {
    for (let i = 0; i <= name.length; i++) {
      const c = i < name.length ? name.charCodeAt(i) : 0;
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    }
  }
  return `${names.length}:${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}
