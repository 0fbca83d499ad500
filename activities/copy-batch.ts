// copyBatch: copies the objects of one index range of a job with bounded concurrency, streaming each from
// the origin into the bucket, and heartbeats a checkpoint (which indexes are done) so that a retried
// attempt — after a crash, a timeout or transient errors — skips them.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../common/errors.js';
import { validateObjectName } from '../common/names.js';
import {
  CopyBatchInputSchema,
  formatZodError,
  zeroTotals,
  type CopyBatchInput,
  type CopyBatchOutput,
  type ObjectFailure,
  type Totals,
} from '../common/schemas.js';
import { parseTemplate, type Template } from '../common/template.js';
import { openBucket, type ObjectInfo } from '../lib/buckets/index.js';
import { FerryError, classifyError, redactUrl } from '../lib/classify-error.js';
import { ferryEnv } from '../lib/env.js';
import { getObject, headObject, objectUrl } from '../lib/origin.js';

/** What a heartbeat records; a retried attempt resumes from it. */
interface Checkpoint {
  /** Base64 bitset over the batch's positions: bit p set = position p finished (copied/skipped/failed). */
  done: string;
  totals: Totals;
  failures: ObjectFailure[];
}

/** Heartbeat at least this often while objects stream, so cancellation and liveness reach the server. */
const HEARTBEAT_EVERY_MS = 1000;
/**
 * After an object finishes, the checkpoint is handed to the SDK if the last one is at least this old. Not
 * after every object: each heartbeat() is encoded and crosses into the SDK's core, a cost paid thousands of
 * times a second on small objects. The worker flushes the latest checkpoint to the server once a second
 * anyway (worker/index.ts), so a retry after a crash redoes at most ~1.25 s of work, and an object committed
 * in that window is recognised by its metadata, not copied again. The default, 250 ms, is in lib/env.ts's
 * table; FERRY_CHECKPOINT_EVERY_MS overrides it (0: after every object, which the unit tests use to observe
 * each checkpoint).
 */
const checkpointEveryMs = (): number => ferryEnv().checkpointEveryMs();

export async function copyBatch(raw: CopyBatchInput): Promise<CopyBatchOutput> {
  const parsed = CopyBatchInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: formatZodError(parsed.error, 'copyBatch input'),
      nonRetryable: true,
    });
  }
  const input = parsed.data;
  const ctx = Context.current();
  const positions = input.indexes ?? range(input.start, input.end);
  const n = positions.length;
  const nameOf = namer(input);
  const bucket = await openBucket(input.destination);

  // Resume from the last checkpoint of a previous attempt, if any.
  const prev = (ctx.info.heartbeatDetails as Checkpoint | undefined) ?? undefined;
  const done = prev ? fromBase64(prev.done, n) : new Uint8Array(Math.ceil(n / 8));
  const totals: Totals = prev ? { ...prev.totals } : zeroTotals();
  const failures: ObjectFailure[] = prev ? [...prev.failures] : [];
  const isRetry = ctx.info.attempt > 1;
  const transient: ObjectFailure[] = [];

  // A snapshot, failures included: the SDK serializes heartbeat details after heartbeat() returns, and a
  // checkpoint whose failures ran ahead of its done bits would record those failures twice on resume.
  // failures only grows, so the copy is redone only when it did (not once per heartbeat).
  let failuresSnapshot: ObjectFailure[] = [...failures];
  const checkpoint = (): Checkpoint => {
    if (failuresSnapshot.length !== failures.length) failuresSnapshot = [...failures];
    return { done: toBase64(done), totals: { ...totals }, failures: failuresSnapshot };
  };
  const checkpointEvery = checkpointEveryMs();
  let lastBeat = 0;
  const beat = () => {
    lastBeat = performance.now();
    ctx.heartbeat(checkpoint());
  };
  const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
  ticker.unref();

  const limiter = input.limitBps > 0 ? new RateLimiter(input.limitBps) : undefined;
  let next = 0;
  const signal = ctx.cancellationSignal;

  const copyOne = async (p: number): Promise<void> => {
    const index = positions[p]!;
    const name = nameOf(index);
    const problem = validateObjectName(name);
    if (problem) throw new FerryError(ErrorType.InvalidName, `invalid object name "${name}": ${problem}`);
    const url = objectUrl(input.baseUrl, name);
    if (isRetry || input.skipExisting) {
      const existing = await bucket.head(name);
      if (existing) {
        // Written by an earlier attempt of this job after its last checkpoint: that write was atomic and
        // complete, so it counts as copied instead of being copied twice.
        if (isRetry && existing.meta?.jobId === input.jobId && existing.meta.sha256) {
          setBit(done, p);
          totals.copied++;
          totals.bytes += existing.size;
          return;
        }
        if (input.skipExisting) {
          const src = await headObject(url, signal);
          if (sameSource(existing, src)) {
            setBit(done, p);
            totals.skipped++;
            return;
          }
        }
      }
    }
    const { head, body } = await getObject(url, signal);
    const meta = {
      sourceUrl: redactUrl(url),
      jobId: input.jobId,
      ...(head.etag ? { sourceEtag: head.etag } : {}),
      ...(head.lastModified ? { sourceLastModified: head.lastModified } : {}),
    };
    const contentType = head.contentType ? { contentType: head.contentType } : {};
    let info: ObjectInfo;
    if (bucket.putBytes && head.size !== undefined && head.size <= (bucket.putBytesMax ?? 0) && !limiter) {
      // Small object into a bucket that buffers small objects anyway: receive, hash and check it here, with
      // no stream in between (a Transform per object cost ~10% of the CPU of 10,000 × 64 KiB).
      const { chunks, sha256 } = await receiveWhole(body, head.size, url);
      info = await bucket.putBytes(name, chunks, {
        ...contentType,
        meta: { ...meta, sha256 },
        bytes: head.size,
        signal,
      });
      setBit(done, p);
      totals.copied++;
      totals.bytes += info.size;
      return;
    }
    const hasher = new HashCounter(limiter);
    link(body, hasher);
    try {
      info = await bucket.put(name, hasher, {
        size: head.size,
        ...contentType,
        meta,
        beforeCommit: () => {
          if (head.size !== undefined && hasher.bytes !== head.size) {
            throw new FerryError(
              ErrorType.LengthMismatch,
              `${redactUrl(url)}: received ${hasher.bytes} bytes, Content-Length said ${head.size}`,
            );
          }
          return { sha256: hasher.digest(), bytes: hasher.bytes };
        },
        signal,
      });
    } catch (err) {
      throw asShortBody(err, url, hasher.bytes, head.size);
    } finally {
      // A put that failed before reading the whole body must not leave the socket waiting for a reader.
      if (!hasher.readableEnded) hasher.destroy();
    }
    // Count and mark done in one synchronous step: a heartbeat between the two would checkpoint a count
    // without its bit, and a retry after a crash right then would count the object twice.
    setBit(done, p);
    totals.copied++;
    totals.bytes += info.size;
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      if (signal.aborted) return;
      const p = next++;
      if (p >= n) return;
      if (isSet(done, p)) continue;
      try {
        await copyOne(p);
        setBit(done, p);
      } catch (err) {
        if (signal.aborted) return;
        const c = classifyError(err);
        const failure: ObjectFailure = {
          index: positions[p]!,
          name: safeName(nameOf, positions[p]!),
          type: c.type,
          message: c.message,
          retryable: c.retryable,
        };
        if (c.retryable) {
          transient.push(failure);
        } else {
          setBit(done, p);
          totals.failed++;
          failures.push(failure);
        }
      }
      if (performance.now() - lastBeat >= checkpointEvery) beat();
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(input.concurrency, n) }, lane));
  } finally {
    clearInterval(ticker);
  }
  beat();
  if (signal.aborted) {
    // Cancellation (job stop, worker shutdown): report a cancellation, not a failure — an ApplicationFailure
    // here would be recorded as a non-retryable failure (the workflow's isCancellation() misses it, and a
    // worker shutdown would fail the batch instead of letting another worker retry it). Keep the SDK's reason
    // and carry the checkpoint so a stopped job's report counts what this batch finished.
    const reason = signal.reason instanceof CancelledFailure ? signal.reason.message : 'CANCELLED';
    throw new CancelledFailure(reason, [checkpoint()]);
  }
  if (transient.length > 0) {
    // Retryable: Temporal retries with backoff and the next attempt only redoes these. If retries run out,
    // the workflow reads the details to report them as failed.
    throw ApplicationFailure.create({
      type: ErrorType.BatchIncomplete,
      message: `${transient.length} of ${n} objects failed transiently; first: ${transient[0]!.name}: ${transient[0]!.message}`,
      details: [{ ...checkpoint(), transient: transient.slice(0, 100) }],
    });
  }
  return { totals, failures, attempts: ctx.info.attempt };
}

// --- internal ---

/**
 * An origin that closes a keep-alive connection before Content-Length bytes surfaces as undici's
 * UND_ERR_SOCKET ("other side closed"); it is a short body, and the report should say so. Other errors pass.
 */
function asShortBody(err: unknown, url: string, bytes: number, size: number | undefined): unknown {
  if ((err as { code?: unknown }).code === 'UND_ERR_SOCKET' && size !== undefined && bytes < size)
    return new FerryError(
      ErrorType.LengthMismatch,
      `${redactUrl(url)}: connection closed after ${bytes} bytes, Content-Length said ${size}`,
    );
  return err;
}

/**
 * A small body read whole and hashed on the way, checked against its Content-Length before anything is
 * written. A connection closed early is a short body (LengthMismatch), like on the streaming path.
 */
async function receiveWhole(
  body: Readable,
  size: number,
  url: string,
): Promise<{ chunks: Buffer[]; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > size) break; // leaving the loop destroys the body and releases its socket
      hash.update(chunk);
      chunks.push(chunk);
    }
  } catch (err) {
    throw asShortBody(err, url, bytes, size);
  }
  if (bytes !== size)
    throw new FerryError(
      ErrorType.LengthMismatch,
      `${redactUrl(url)}: received ${bytes > size ? `more than ${size}` : bytes} bytes, Content-Length said ${size}`,
    );
  return { chunks, sha256: hash.digest('hex') };
}

/**
 * body.pipe(hasher), plus what pipe leaves out: a body error (an origin dropping the connection mid-body)
 * reaches hasher and so the put, which would otherwise wait forever while heartbeats keep the batch alive; and
 * a hasher torn down early (a failed write, an abort) releases the body and its socket. stream.pipeline does
 * both, but also allocates an AbortController per call and aborts it when done, which builds a DOMException
 * with a stack trace per object (measured: 50,000 × 4 KiB took 15% more CPU with pipeline).
 */
function link(body: Readable, hasher: Transform): void {
  body.on('error', (err) => hasher.destroy(err));
  body.once('close', () => {
    if (!body.readableEnded && !hasher.destroyed)
      hasher.destroy(
        Object.assign(new Error('origin body closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      );
  });
  hasher.once('close', () => {
    if (!body.destroyed) body.destroy();
  });
  body.pipe(hasher);
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

const templates = new Map<string, Template>();
function namer(input: CopyBatchInput): (i: number) => string {
  if (input.names && input.indexes) {
    // names[p] is the name of indexes[p] (a resume of scattered failed objects of a list job).
    const byIndex = new Map(input.indexes.map((ix, p) => [ix, input.names![p]]));
    return (i) => {
      const v = byIndex.get(i);
      if (v === undefined)
        throw new FerryError(ErrorType.InvalidInput, `index ${i} outside the batch's name list`);
      return v;
    };
  }
  if (input.names) {
    const names = input.names;
    const base = input.start;
    return (i) => {
      const v = names[i - base];
      if (v === undefined)
        throw new FerryError(ErrorType.InvalidInput, `index ${i} outside the batch's name list`);
      return v;
    };
  }
  const text = input.template ?? '';
  const key = `${text}\u0000${JSON.stringify(input.fmt ?? null)}\u0000${input.maxNames}`;
  let t = templates.get(key);
  if (!t) {
    t = parseTemplate(text, { maxNames: input.maxNames, ...(input.fmt ? { fmt: input.fmt } : {}) });
    templates.set(key, t);
  }
  const tpl = t;
  return (i) => tpl.nameAt(i);
}

function safeName(nameOf: (i: number) => string, i: number): string {
  try {
    return nameOf(i);
  } catch {
    return `#${i}`;
  }
}

function sameSource(
  dst: ObjectInfo,
  src: {
    size: number | undefined;
    etag?: string;
    lastModified?: string;
  },
): boolean {
  if (src.size === undefined || dst.size !== src.size) return false;
  if (src.etag && dst.meta?.sourceEtag) return src.etag === dst.meta.sourceEtag;
  if (src.lastModified && dst.meta?.sourceLastModified)
    return src.lastModified === dst.meta.sourceLastModified;
  // A store that keeps no metadata (AIStore's S3 front end) cannot say which source version it holds; a copy
  // written after the source last changed is current (rsync's --update rule; strictly later, since both clocks
  // have one-second resolution).
  if (dst.noMetadata && src.lastModified && dst.mtimeMs !== undefined) {
    const changed = Date.parse(src.lastModified);
    return Number.isFinite(changed) && dst.mtimeMs > changed;
  }
  // Same size and nothing else to compare: an origin without validators cannot prove a change.
  return !src.etag && !src.lastModified;
}

function isSet(bits: Uint8Array, p: number): boolean {
  return ((bits[p >> 3] ?? 0) & (1 << (p & 7))) !== 0;
}
function setBit(bits: Uint8Array, p: number): void {
  bits[p >> 3] = (bits[p >> 3] ?? 0) | (1 << (p & 7));
}
function toBase64(bits: Uint8Array): string {
  return Buffer.from(bits).toString('base64');
}
function fromBase64(s: string, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 8));
  out.set(Buffer.from(s, 'base64').subarray(0, out.length));
  return out;
}

/** Counts and hashes bytes as they stream by; optionally throttles. */
class HashCounter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');
  constructor(private readonly limiter?: RateLimiter) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    if (this.limiter) {
      this.limiter.take(chunk.length).then(
        () => cb(null, chunk),
        (err: Error) => cb(err),
      );
    } else cb(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Token bucket shared by a batch's lanes: --limit-bph divided over the job's batches. */
class RateLimiter {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly bytesPerSec: number) {
    this.tokens = bytesPerSec; // one second of burst
  }
  async take(n: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.bytesPerSec, this.tokens + ((now - this.last) / 1000) * this.bytesPerSec);
      this.last = now;
      if (this.tokens >= n || this.tokens >= this.bytesPerSec) {
        this.tokens -= n;
        return;
      }
      await sleep(Math.min(1000, ((n - this.tokens) / this.bytesPerSec) * 1000));
    }
  }
}
