// What the S3 and AIStore drivers share: ferry's metadata as HTTP header values, and the commit guard that keeps
// an object invisible until beforeCommit has passed. (Their environment knobs are read through lib/env.ts.)
import { Readable } from 'node:stream';
import type { Committed, ObjectMeta } from './types.js';

/**
 * Metadata keys, the same on every store: S3 sends them as `x-amz-meta-<key>`, AIStore as custom properties
 * (`Ais-Custom-Md: <key>=<value>`).
 */
export const MetaKey = {
  sourceUrl: 'ferry-source-url',
  sourceEtag: 'ferry-source-etag',
  sourceLastModified: 'ferry-source-last-modified',
  jobId: 'ferry-job-id',
  sha256: 'ferry-sha256',
  checksum: 'ferry-checksum',
} as const satisfies Record<keyof ObjectMeta, string>;

/**
 * S3 caps user metadata at 2 KB per object (keys and values together); a source URL can be longer (a 1024-byte
 * name plus its base). The URL is informational, so a long one is cut rather than failing the object.
 */
const MAX_SOURCE_URL_CHARS = 1024;

/** ferry's metadata as header-safe key/value pairs (what both stores take). */
export function metaToWire(meta: Partial<ObjectMeta>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(MetaKey) as [keyof ObjectMeta, string][]) {
    let v = meta[field];
    if (v === undefined || v === '') continue;
    if (field === 'sourceUrl' && v.length > MAX_SOURCE_URL_CHARS)
      v = `${v.slice(0, MAX_SOURCE_URL_CHARS)}...`;
    out[key] = headerSafe(v);
  }
  return out;
}

/** The inverse of {@link metaToWire}; keys are matched case-insensitively (HTTP lower-cases them). */
export function metaFromWire(wire: Record<string, string | undefined>): Partial<ObjectMeta> {
  const lower = new Map(Object.entries(wire).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Partial<ObjectMeta> = {};
  for (const [field, key] of Object.entries(MetaKey) as [keyof ObjectMeta, string][]) {
    const v = lower.get(key);
    if (v !== undefined && v !== '') out[field] = fromHeaderSafe(v);
  }
  return out;
}

/**
 * Header values must be printable ASCII. Job IDs and ETags usually are; anything else is carried as an RFC 2047
 * encoded word (`=?UTF-8?B?...?=`), the form AWS itself uses for non-ASCII metadata, and decoded on read.
 */
export function headerSafe(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) && !v.startsWith('=?')
    ? v
    : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

export function fromHeaderSafe(v: string): string {
  const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i.exec(v);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : v;
}

/**
 * The commit guard. A single-request upload (S3 PutObject, AIStore PUT) commits when the server has received the
 * whole body; holding back the last chunk until `beforeCommit` has passed means a body that fails the check is
 * never complete on the server: the caller aborts the request and the store discards what it got.
 *
 * On a failure (the check, or the source erroring) the guard calls `onError` once — the caller aborts its
 * request there — and then ends without emitting 'error': the AWS SDK re-emits a body stream's error on an
 * internal stream that nobody listens to (aws-chunked encoding), which would crash the process.
 */
export function guardCommit(
  src: Readable,
  beforeCommit: () => void,
  onError: (err: unknown) => void,
): Readable {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let held: Buffer | undefined;
  let failed = false;
  const guard = new Readable({
    highWaterMark: 1 << 20,
    read(): void {
      void (async () => {
        try {
          for (;;) {
            const r = await it.next();
            if (r.done) {
              beforeCommit();
              if (held) guard.push(held);
              held = undefined;
              guard.push(null);
              return;
            }
            const prev = held;
            held = r.value;
            if (prev) {
              guard.push(prev);
              return;
            }
          }
        } catch (err) {
          if (failed) return;
          failed = true;
          onError(err);
          guard.destroy();
        }
      })();
    },
    destroy(err, cb): void {
      // The consumer gave up (request failed, aborted): release the source (and the origin's connection).
      src.destroy();
      cb(err);
    },
  });
  return guard;
}

/** `AbortSignal.any` for Node 20.11 (added in 20.3, typed here since @types/node lags in places). */
export function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/**
 * The commit-guarded body both single-request drivers (S3 PutObject, AIS PUT) send: its last chunk is held
 * until `beforeCommit` passes, and any failure aborts the request through `signal`. `state` tells afterwards
 * which failure came first and what the length check returned.
 */
export function guardedUpload(
  body: Readable,
  opts: { beforeCommit: () => Committed; signal?: AbortSignal },
): {
  stream: Readable;
  signal: AbortSignal;
  state: { failure?: unknown; checked?: Committed };
} {
  const ac = new AbortController();
  const state: { failure?: unknown; checked?: Committed } = {};
  const stream = guardCommit(
    body,
    () => {
      state.checked = opts.beforeCommit();
    },
    (err) => {
      state.failure ??= err;
      ac.abort(err);
    },
  );
  return { stream, signal: anySignal([ac.signal, opts.signal]), state };
}

/**
 * Where ferry keeps a job's own files (staged manifests, report parts) under a bucket URI: lib/job-files.ts. Hidden
 * from list() in every driver, so --sync, `ls` and verification never take them for objects.
 */
export const STATE_PREFIX = '.ferry/';

/** An HTTP Range header value for bytes [start, end). */
export function httpRange(r: { start: number; end?: number }): string {
  return `bytes=${r.start}-${r.end !== undefined ? r.end - 1 : ''}`;
}
