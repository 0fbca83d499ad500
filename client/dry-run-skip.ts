// --dry-run --skip-existing: how many of the names a job would copy are already in the destination as the
// origin's current version — the same test copyBatch applies (lib/copy-plan.ts sameSource: size, then source
// ETag or Last-Modified), with HEADs on both sides, 16 at a time. Nothing is written.
import { setMaxListeners } from 'node:events';
import { openBucket } from '../lib/buckets/index.js';
import { sameSource } from '../lib/copy-plan.js';
import { createOrigin, objectUrl } from '../lib/origin.js';

const LANES = 16;

export async function countSkippable(
  names: AsyncIterable<string>,
  baseUrl: string,
  destination: string,
): Promise<number> {
  const bucket = await openBucket(destination);
  if (!(await bucket.exists())) return 0;
  const origin = createOrigin({}, LANES);
  const signal = new AbortController().signal;
  // Every lane's HEAD listens on the one signal.
  setMaxListeners(LANES * 2, signal);
  const it = names[Symbol.asyncIterator]();
  let skippable = 0;
  const lane = async () => {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const existing = await bucket.head(r.value);
      if (existing && sameSource(existing, await origin.head(objectUrl(baseUrl, r.value), signal)))
        skippable++;
    }
  };
  try {
    await Promise.all(Array.from({ length: LANES }, lane));
  } finally {
    await origin.close();
  }
  return skippable;
}
