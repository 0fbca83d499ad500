// The names of a scanned source (a whole listing or tree, a manifest) as a membership set for --sync and its
// dry run: "is this destination object one of the source's names?". Neither source can answer that by itself
// (a template can: lib/source-names.ts): a manifest is in no particular order, and a walk's order (component by
// component, lib/listing/walk.ts) is not a bucket's listing order, so a merge-join of the two would need a sort
// of one side on disk. Instead the source is read once, as a stream, into a sorted array of 64-bit hashes:
// 8 bytes per name (80 MB for 10 million), no name held. A hash collision can only make a name look present —
// --sync then keeps an object it could have deleted — never make a source name look absent: no false deletes.
import { createHash } from 'node:crypto';
import { parseManifestLine } from '../common/manifest.js';
import type { ManifestRef } from '../common/schemas.js';
import type { Bucket } from './buckets/index.js';
import type { FetchListing } from './listing/fetch.js';
import { walkListing } from './listing/walk.js';
import { manifestLines, openManifest } from './manifest/read.js';

/** Where a scanned source's names are read from. */
export interface ScannedNames {
  /** The origin's base URL (a listing source walks it; a manifest's names are relative to it). */
  baseUrl: string;
  /** A manifest source: where the manifest is (else the listing under baseUrl is walked). */
  manifest?: ManifestRef;
}

export interface ReadNamesDeps {
  destination: string;
  jobId: string;
  openBucket: (uri: string) => Promise<Bucket>;
  list: FetchListing;
  signal?: AbortSignal;
  /** Called every 10,000 names (activities heartbeat from it). */
  tick?: (names: number) => void;
}

/** Every name of the source, in its own order: a listing walked, a manifest's entry lines. */
export async function* sourceNamesOf(src: ScannedNames, d: ReadNamesDeps): AsyncGenerator<string> {
  let n = 0;
  const tick = () => {
    if (++n % 10_000 === 0) d.tick?.(n);
  };
  if (src.manifest) {
    const body = await openManifest(
      src.manifest,
      {
        destination: d.destination,
        jobId: d.jobId,
        openBucket: d.openBucket,
        ...(d.signal ? { signal: d.signal } : {}),
      },
      { start: 0 },
    );
    for await (const l of manifestLines(body, 0)) {
      const p = parseManifestLine(l.text);
      if (p.kind === 'skip') continue;
      tick();
      yield p.name;
    }
    return;
  }
  for await (const it of walkListing(src.baseUrl, undefined, {
    list: d.list,
    ...(d.signal ? { signal: d.signal } : {}),
  })) {
    tick();
    yield it.key;
  }
}

/** A set of names by 64-bit hash: add them all, then `has` (binary search over the sorted hashes). */
export class NameHashSet {
  private hashes = new BigUint64Array(1 << 12);
  private size = 0;
  private sorted = true;

  add(name: string): void {
    if (this.size === this.hashes.length) {
      const more = new BigUint64Array(this.hashes.length * 2);
      more.set(this.hashes);
      this.hashes = more;
    }
    this.hashes[this.size++] = hash64(name);
    this.sorted = false;
  }

  get count(): number {
    return this.size;
  }

  has(name: string): boolean {
    if (!this.sorted) {
      this.hashes = this.hashes.slice(0, this.size).sort();
      this.sorted = true;
    }
    const h = hash64(name);
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.hashes[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/** The set of a scanned source's names, read once. */
export async function sourceSetOf(src: ScannedNames, d: ReadNamesDeps): Promise<NameHashSet> {
  const set = new NameHashSet();
  for await (const name of sourceNamesOf(src, d)) set.add(name);
  return set;
}

// --- internal ---

/** md5's first 8 bytes: well mixed for any name (client/manifest-plan.ts uses the same for duplicates). */
function hash64(name: string): bigint {
  return createHash('md5').update(name).digest().readBigUInt64BE(0);
}
