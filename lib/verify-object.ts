// One object of `ferry job verify`: re-read the stored copy (and, when asked, the origin's bytes) and compare
// size and checksum with what the job recorded. The outcome is `verified`, `mismatch` (the message says what
// differs) or `missing` (the destination no longer has it).
import type { Readable } from 'node:stream';
import type { Bucket, ObjectInfo } from './buckets/index.js';
import { ChecksumAlgos, createHasher, type ChecksumAlgo } from './checksum.js';
import { objectUrl, type Origin } from './origin.js';

/** What the job recorded of one object (a report row of outcome copied or skipped). */
export interface Recorded {
  name: string;
  size?: number | undefined;
  /** `<algo>:<value>` as the report records it. */
  checksum?: string | undefined;
}

export interface Verified {
  outcome: 'verified' | 'mismatch' | 'missing';
  size?: number;
  checksum?: string;
  message?: string;
  /** Bytes read (destination + origin). */
  bytes: number;
}

/** Hash algorithms verify can recompute; the recorded one decides. */
export type Hasher = (algo: string) => Promise<{ update(b: Buffer): void; digest(): string } | undefined>;

/** The copy path's own hashers (lib/checksum.ts): every algorithm `--checksum` can record. */
export const copyPathHasher: Hasher = async (algo) =>
  (ChecksumAlgos as readonly string[]).includes(algo) && algo !== 'none'
    ? createHasher(algo as ChecksumAlgo)
    : undefined;

export async function verifyObject(
  bucket: Bucket,
  rec: Recorded,
  opts: { hasher: Hasher; origin?: { baseUrl: string; client: Origin }; signal: AbortSignal },
): Promise<Verified> {
  let got: { body: Readable; info: ObjectInfo };
  try {
    got = await bucket.get(rec.name);
  } catch (err) {
    const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.code === 'ENOENT' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404)
      return { outcome: 'missing', message: `${bucket.uri}/${rec.name} is gone`, bytes: 0 };
    throw err;
  }
  // What to compare with: the report's checksum, else the object's own recorded sha256 (older jobs).
  const expected = rec.checksum ?? (got.info.meta?.sha256 ? `sha256:${got.info.meta.sha256}` : undefined);
  const algo = expected?.slice(0, expected.indexOf(':')) ?? 'sha256';
  const stored = await digest(got.body, opts.hasher, algo, opts.signal);
  const out: Verified = { outcome: 'verified', size: stored.bytes, bytes: stored.bytes };
  if (stored.value !== undefined) out.checksum = `${algo}:${stored.value}`;
  const problems: string[] = [];
  if (rec.size !== undefined && stored.bytes !== rec.size)
    problems.push(`size ${stored.bytes}, recorded ${rec.size}`);
  if (expected && stored.value !== undefined && out.checksum !== expected)
    problems.push(`checksum ${out.checksum}, recorded ${expected}`);
  if (expected && stored.value === undefined) problems.push(`cannot recompute a ${algo} checksum`);
  if (opts.origin) {
    const { head, body } = await opts.origin.client.get(
      objectUrl(opts.origin.baseUrl, rec.name),
      opts.signal,
    );
    void head;
    const source = await digest(body, opts.hasher, algo, opts.signal);
    out.bytes += source.bytes;
    if (source.bytes !== stored.bytes || source.value !== stored.value)
      problems.push(
        `origin has ${source.bytes} bytes${source.value !== undefined ? ` ${algo}:${source.value}` : ''}`,
      );
  }
  if (problems.length > 0) {
    out.outcome = 'mismatch';
    out.message = problems.join('; ');
  }
  return out;
}

async function digest(
  body: Readable,
  hasher: Hasher,
  algo: string,
  signal: AbortSignal,
): Promise<{ bytes: number; value: string | undefined }> {
  const h = await hasher(algo);
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      signal.throwIfAborted();
      bytes += chunk.length;
      h?.update(chunk);
    }
  } finally {
    body.destroy();
  }
  return { bytes, value: h?.digest() };
}
