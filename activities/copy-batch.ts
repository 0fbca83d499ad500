// copyBatch: copies the objects of one index range of a job with bounded concurrency, streaming each from
// the origin into the bucket, and heartbeats a checkpoint (which indexes are done) so that a retried
// attempt — after a crash, a timeout or transient errors — skips them.
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { readCheckpoint } from '../common/checkpoint.js';
import { ErrorType } from '../common/errors.js';
import { validateObjectName } from '../common/names.js';
import {
  CopyBatchInputSchema,
  formatZodError,
  type CopyBatchInput,
  type CopyBatchOutput,
  type ObjectFailure,
} from '../common/schemas.js';
import { BatchCheckpoint } from '../lib/batch-checkpoint.js';
import type { Bucket, ObjectInfo } from '../lib/buckets/index.js';
import { DEFAULT_CHECKSUM, createHasher, hasRecordedChecksum, recorded } from '../lib/checksum.js';
import { FerryError, classifyError, redactUrl, toApplicationFailure } from '../lib/classify-error.js';
import { namer, positionsOf, safeName, sameSource, type TemplateCache } from '../lib/copy-plan.js';
import { sharedListing } from '../lib/listing/cache.js';
import { withHeaders, type FetchListing } from '../lib/listing/fetch.js';
import { keyFilter } from '../lib/listing/filter.js';
import { spanDigest } from '../lib/listing/walk.js';
import { walkSpan } from '../lib/listing/span.js';
import { readManifestSpan } from '../lib/manifest/span.js';
import {
  checkAnnouncedSize,
  manifestHasher,
  rangesCanVerify,
  verifyArrived,
} from '../lib/manifest/verify.js';
import { ferryEnv } from '../lib/env.js';
import { anonymousFailure } from '../lib/anonymous-failure.js';
import { objectUrl, type Origin, type OriginHead } from '../lib/origin.js';
import { LaneSlots } from '../lib/lane-slots.js';
import { copyRanged, rangeable } from '../lib/ranged-get.js';
import { readRangedProgress, resumes, withoutRanged, type RangedArgs } from '../lib/range-resume.js';
import { HashCounter, RateLimiter, asShortBody, link } from '../lib/streams.js';
import { jobFiles } from '../lib/job-files.js';
import { ReportParts, failedRow, storedRow } from '../lib/report-parts.js';

/** Heartbeat at least this often while objects stream, so cancellation and liveness reach the server. */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * After an object finishes, the checkpoint is handed to the SDK if the last one is at least this old. Not
 * after every object: each heartbeat() is encoded and crosses into the SDK's core, a cost paid thousands of
 * times a second on small objects. The worker flushes the latest checkpoint to the server once a second
 * anyway (worker/index.ts), so a retry after a crash redoes at most ~1.25 s of work, and an object committed
 * in that window is recognised by its metadata, not copied again. The worker passes FERRY_CHECKPOINT_EVERY_MS
 * (lib/env.ts, same default) as `checkpointEveryMs`.
 */
export const CHECKPOINT_EVERY_MS = 250;

export interface CopyBatchDeps {
  origin: Origin;
  openBucket: (uri: string) => Promise<Bucket>;
  /** See CHECKPOINT_EVERY_MS; 0 checkpoints after every object (the unit tests observe each one). */
  checkpointEveryMs: number;
  /** Called once per object this activity committed (crash tests count objects written twice). */
  putJournal?: (name: string) => void;
  templates: TemplateCache;
  /** Listing pages of a listing source's span. @default lib/listing sharedListing() (cached per process) */
  list?: FetchListing;
  /** Headers a batch of `jobId` sends its origin (a migration's file-server token, lib/serve-token.ts). */
  originHeaders?: (jobId: string) => Record<string, string> | undefined;
}

export function makeCopyBatch(deps: CopyBatchDeps) {
  return async function copyBatch(raw: CopyBatchInput): Promise<CopyBatchOutput> {
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
    const positions = positionsOf(input);
    const n = positions.length;
    const headers = deps.originHeaders?.(input.jobId);
    const list = withHeaders(deps.list ?? sharedListing(), headers);
    const manifest = input.manifest
      ? await readManifestSpan(input, deps.openBucket, ctx.cancellationSignal)
      : undefined;
    const listed = input.listing ? await walkSpan(input, list, ctx.cancellationSignal) : manifest?.names;
    const nameOf = namer(input, deps.templates, listed);
    const accept = input.filter ? keyFilter(input.filter) : undefined;
    const bucket = await deps.openBucket(input.destination);
    // A pool of the batch's own, sized to its lanes and closed with it: see Origin.forBatch. One connection per
    // lane, so a batch opens no more sockets than its share of --max-conns; the Range streams of large objects
    // borrow idle lanes (lib/lane-slots.ts), so they stay within it too.
    const origin = deps.origin.forBatch(input.concurrency, headers);
    const slots = new LaneSlots(input.concurrency);

    // Resume from the last checkpoint of a previous attempt, if any (one that does not parse is none). A span
    // that lists other names than the attempt that checkpointed (another count, or the same count with a file
    // deleted and another created) changed since: positions may have moved, so its checkpoint is not trusted —
    // objects this job already wrote are recognised by their metadata below.
    const prev = readCheckpoint(ctx.info.heartbeatDetails);
    const span = listed ? spanDigest(listed) : undefined;
    const trusted = !listed || (listed.length === n && (prev?.span === undefined || prev.span === span));
    const state = new BatchCheckpoint(n, trusted ? prev : undefined);
    state.span = span;
    // Objects the previous attempt had begun in ranges (positions are trusted as the bits are).
    const resumable = trusted ? readRangedProgress(ctx.info.heartbeatDetails) : new Map<number, never>();
    const isRetry = ctx.info.attempt > 1 || (!!prev && !trusted);
    let lastBeat = 0;
    // Report rows (lib/report-parts.ts): each checkpoint is handed to the SDK only once its rows are written.
    let sent = state.checkpoint();
    const rows = new ReportParts(
      jobFiles(bucket, input.jobId),
      positions[0] ?? input.start,
      { scheduledMs: ctx.info.scheduledTimestampMs, attempt: ctx.info.attempt },
      (cp: typeof sent) => ctx.heartbeat((sent = cp)),
      () => ctx.heartbeat(sent),
      deps.checkpointEveryMs > 0,
    );
    const beat = () => {
      lastBeat = performance.now();
      void rows.flush(state.checkpoint());
    };
    const ticker = setInterval(beat, HEARTBEAT_EVERY_MS);
    ticker.unref();

    const limiter = input.limitBps > 0 ? new RateLimiter(input.limitBps) : undefined;
    const algo = input.checksum ?? DEFAULT_CHECKSUM;
    const rangeThreshold = ferryEnv().rangeThreshold();
    let next = 0;
    const signal = ctx.cancellationSignal;
    /** The origin asked for quiet (429/503 + Retry-After): start no more objects; the retry waits this long. */
    let retryAfterMs = 0;

    const metaOf = (url: string, head: OriginHead) => ({
      sourceUrl: redactUrl(url),
      jobId: input.jobId,
      ...(head.etag ? { sourceEtag: head.etag } : {}),
      ...(head.lastModified ? { sourceLastModified: head.lastModified } : {}),
    });
    // Large, from an origin that serves ranges: N pinned Range GETs written in place (lib/ranged-get.ts), what
    // is stored checkpointed as it is (lib/range-resume.ts); `prior` resumes an earlier attempt's, `stale` is
    // one the writer discards.
    const ranged = async (...[p, index, name, url, head, prior, body, stale]: RangedArgs): Promise<void> => {
      // This object's lane, and the idle ones it can borrow for more streams (at least one stream: its own).
      const borrowed = slots.borrow((input.streams ?? 1) - 1);
      const want = manifest?.expect(p);
      const streams = 1 + borrowed;
      try {
        const writer = await bucket.openRanged!(name, {
          size: head.size,
          ...(head.contentType ? { contentType: head.contentType } : {}),
          meta: metaOf(url, head),
          checksum: algo,
          signal,
          ...(prior ? { resume: prior } : {}),
          ...(stale ? { stale } : {}),
        }).catch((err: unknown) => {
          body?.destroy();
          throw err;
        });
        const info = await copyRanged({
          origin,
          url,
          head,
          first: body,
          writer,
          streams,
          algo,
          limiter,
          signal,
          resume: writer.resumed ? prior : undefined,
          verify: want && ((hex) => verifyArrived(want, head.size, () => hex, url)),
          onProgress: (rp) => void (rp ? state.ranged.set(p, { p, ...rp }) : state.ranged.delete(p)),
        });
        deps.putJournal?.(name);
        state.ranged.delete(p);
        state.copied(p, info.size);
        rows.add(storedRow(index, name, 'copied', info));
      } finally {
        slots.release(borrowed);
      }
    };

    const copyOne = async (p: number): Promise<void> => {
      const index = positions[p]!;
      const name = nameOf(index);
      manifest?.check(p);
      // rclone's order: a filtered-out name is neither checked nor copied (nor, with --sync, deleted).
      if (accept && !accept(name)) {
        state.excluded(p);
        rows.add({ index, name, outcome: 'excluded' });
        return;
      }
      const problem = validateObjectName(name);
      if (problem) throw new FerryError(ErrorType.InvalidName, `invalid object name "${name}": ${problem}`);
      const url = objectUrl(input.baseUrl, name);
      const want = manifest?.expect(p);
      if (isRetry || input.skipExisting) {
        const existing = await bucket.head(name);
        if (existing) {
          // Written by an earlier attempt of this job after its last checkpoint: that write was atomic and
          // complete, so it counts as copied instead of being copied twice.
          if (isRetry && existing.meta?.jobId === input.jobId && hasRecordedChecksum(existing.meta, algo)) {
            state.copied(p, existing.size);
            rows.add(storedRow(index, name, 'copied', existing));
            return;
          }
          if (input.skipExisting && sameSource(existing, await origin.head(url, signal))) {
            state.skipped(p);
            rows.add(storedRow(index, name, 'skipped', existing));
            return;
          }
        }
      }
      // A large object an earlier attempt had begun in ranges: resumed if the origin still has the same version
      // (a HEAD: the first plain GET would fetch range 0 again) and the writer still has what it stored.
      const prior = resumable.get(p);
      resumable.delete(p);
      const streams = input.streams ?? 1;
      if (prior && rangesCanVerify(want, algo) && bucket.openRanged) {
        const head = await origin.head(url, signal);
        if (want) checkAnnouncedSize(want, head.size, url);
        if (resumes(prior, head, streams, algo, rangeThreshold))
          return ranged(p, index, name, url, head, prior);
      }
      // Small objects into a bucket that buffers small objects anyway: received whole and hashed as they arrive,
      // with no stream in between (lib/origin-whole.ts), checked against their manifest line, and committed at
      // once (a Transform per object cost ~10% of the CPU of 10,000 × 64 KiB; the dispatch handler saved ~40% of
      // what request() and its stream cost). An object under a rate limit, or of a size that takes Range streams,
      // goes the general way below; so does any response that turns out larger than the bound (it comes back as
      // a stream of the same request, its hasher untouched).
      const wholeMax =
        bucket.putBytes && !limiter
          ? Math.min(
              bucket.putBytesMax ?? 0,
              streams > 1 && bucket.openRanged ? rangeThreshold - 1 : Infinity,
            )
          : 0;
      const whole = wholeMax > 0 && want ? await manifestHasher(want, algo, url) : undefined;
      const got =
        wholeMax > 0
          ? await origin.getWhole(url, signal, wholeMax, whole?.hasher ?? (await createHasher(algo)))
          : await origin.get(url, signal);
      if ('whole' in got) {
        if (want) {
          checkAnnouncedSize(want, got.head.size, url);
          whole!.verify(got.head.size!);
        }
        const info = await bucket.putBytes!(name, got.whole.chunks, {
          ...(got.head.contentType ? { contentType: got.head.contentType } : {}),
          meta: { ...metaOf(url, got.head), ...recorded(algo, got.whole.digest) },
          bytes: got.head.size!,
          signal,
        });
        deps.putJournal?.(name);
        state.copied(p, info.size);
        rows.add(storedRow(index, name, 'copied', info));
        return;
      }
      const { head, body } = got;
      if (want) {
        try {
          checkAnnouncedSize(want, head.size, url);
        } catch (err) {
          body.once('error', () => undefined).destroy();
          throw err;
        }
      }
      const meta = metaOf(url, head);
      const contentType = head.contentType ? { contentType: head.contentType } : {};
      let info: ObjectInfo;
      // A manifest line's md5/sha256, or a CRC of another kind than the job's, is checked on the whole stream
      // (such objects take one stream); the job's own CRC combines over ranges.
      if (rangesCanVerify(want, algo) && bucket.openRanged && rangeable(head, streams, algo, rangeThreshold))
        return ranged(p, index, name, url, head, undefined, body, prior?.token);
      const check = want && (await manifestHasher(want, algo, url));
      const hasher = new HashCounter(check?.hasher ?? (await createHasher(algo)), limiter);
      link(body, hasher);
      try {
        info = await bucket.put(name, hasher, {
          size: head.size,
          ...contentType,
          meta,
          checksum: algo,
          beforeCommit: () => {
            if (head.size !== undefined && hasher.bytes !== head.size) {
              throw new FerryError(
                ErrorType.LengthMismatch,
                `${redactUrl(url)}: received ${hasher.bytes} bytes, Content-Length said ${head.size}`,
              );
            }
            const digest = hasher.digest();
            check?.verify(hasher.bytes);
            return { ...recorded(algo, digest), bytes: hasher.bytes };
          },
          signal,
        });
      } catch (err) {
        throw asShortBody(err, url, hasher.bytes, head.size);
      } finally {
        // A put that failed before reading the whole body must not leave the socket waiting for a reader.
        if (!hasher.readableEnded) hasher.destroy();
      }
      deps.putJournal?.(name);
      state.copied(p, info.size);
      rows.add(storedRow(index, name, 'copied', info));
    };

    const lane = async (): Promise<void> => {
      for (;;) {
        if (signal.aborted || retryAfterMs > 0) return;
        const p = next++;
        if (p >= n) return;
        if (state.isDone(p)) continue;
        await slots.acquire();
        try {
          await copyOne(p);
          state.markDone(p);
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
          if (c.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs, c.retryAfterMs, 1);
          // The report row names the object; what goes on to the checkpoint, the outcome and so into history
          // does not (lib/anonymous-failure.ts).
          const anon = anonymousFailure(failure, input.baseUrl);
          if (c.retryable) state.failedTransiently(anon);
          else state.failed(p, anon);
          rows.add(failedRow(failure));
        } finally {
          slots.release();
        }
        if (performance.now() - lastBeat >= deps.checkpointEveryMs) beat();
      }
    };

    try {
      await Promise.all(Array.from({ length: Math.min(input.concurrency, n) }, lane));
    } finally {
      clearInterval(ticker);
      await origin.close();
    }
    // Every row of this attempt written before the outcome claims its objects (a write that fails: retried).
    try {
      await rows.flush(state.checkpoint(), true);
    } catch (err) {
      if (!signal.aborted) throw toApplicationFailure(err);
    }
    if (signal.aborted) {
      // Cancellation (job stop, worker shutdown): report a cancellation, not a failure — an ApplicationFailure
      // here would be recorded as a non-retryable failure (the workflow's isCancellation() misses it, and a
      // worker shutdown would fail the batch instead of letting another worker retry it). Keep the SDK's
      // reason and carry the checkpoint so a stopped job's report counts what this batch finished.
      const reason = signal.reason instanceof CancelledFailure ? signal.reason.message : 'CANCELLED';
      throw new CancelledFailure(reason, [withoutRanged(rows.lastError ? sent : state.checkpoint())]);
    }
    const { transient } = state;
    if (transient.length > 0) {
      // Retryable: Temporal retries with backoff and the next attempt only redoes these (and any object not
      // started because the origin asked for quiet). If retries run out, the workflow reads the details to
      // report them as failed. A Retry-After overrides the backoff for this one retry.
      throw ApplicationFailure.create({
        ...(retryAfterMs > 0 ? { nextRetryDelay: retryAfterMs } : {}),
        type: ErrorType.BatchIncomplete,
        message: `${transient.length} of ${n} objects failed transiently; first: #${transient[0]!.index} ${transient[0]!.type}: ${transient[0]!.message}`,
        details: [state.incompleteDetails()],
      });
    }
    const failedRanges = state.failedRanges();
    return {
      totals: state.totals,
      failures: state.failures,
      ...(failedRanges.length ? { failedRanges } : {}),
      attempts: ctx.info.attempt,
    };
  };
}
