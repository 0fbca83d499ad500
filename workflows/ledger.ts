// The job's accounting: totals, a sample of failures in detail and the failed index ranges beyond it. Batches
// settle into it (merge), and so do batches that failed, were stopped or ran out of retries
// (recordBatchFailure). Carried across continue-as-new and reported at the end.
import { ActivityFailure, ApplicationFailure, CancelledFailure, isCancellation } from '@temporalio/workflow';
import { countBitset } from '../common/bitset.js';
import { readBatchIncompleteDetails, readCheckpoint } from '../common/checkpoint.js';
import { ErrorType } from '../common/errors.js';
import { compactRanges } from '../common/ranges.js';
import type { Carry, CopyBatchInput, ObjectFailure, Totals } from '../common/schemas.js';

/** Failure details kept in full by jobs that started before report parts (see FAILURE_SAMPLE). */
export const MAX_FAILURE_DETAILS = 1000;

/**
 * Failure details kept for the summary, the UI and `show job`: every failed object is named in the job's report
 * parts (`ferry show job ID --report`), so history keeps a sample and index ranges, not a list that grows with
 * the failures. Guarded by the patch below: a job whose history kept 1,000 replays with 1,000.
 */
export const FAILURE_SAMPLE = 100;
export const FAILURE_SAMPLE_PATCH = 'ledger-failure-sample';

export class Ledger {
  readonly totals: Totals;
  readonly failures: ObjectFailure[];
  readonly failedRanges: [number, number][];

  private sampled: boolean | undefined;

  /**
   * @param sampleFailures whether this job keeps FAILURE_SAMPLE details rather than MAX_FAILURE_DETAILS: asked
   *   once, when the sample is full (the workflow passes `() => patched(FAILURE_SAMPLE_PATCH)`).
   */
  constructor(
    carry: Pick<Carry, 'totals' | 'failures' | 'failedRanges'>,
    private readonly sampleFailures: () => boolean = () => true,
  ) {
    this.totals = { ...carry.totals };
    this.failures = [...carry.failures];
    this.failedRanges = [...carry.failedRanges];
  }

  /**
   * A finished batch's (or a checkpoint's) counts and permanent failures: a sample named, `rest` (the indexes of
   * the others, from batches that name only a sample) as ranges.
   */
  merge(t: Totals, f: ObjectFailure[], rest?: readonly (readonly [number, number])[]): void {
    this.totals.copied += t.copied;
    this.totals.skipped += t.skipped;
    this.totals.failed += t.failed;
    this.totals.bytes += t.bytes;
    // Only data, no command: jobs from before the excluded count merge nothing here.
    if (t.excluded) this.totals.excluded = (this.totals.excluded ?? 0) + t.excluded;
    for (const x of f) this.record(x);
    if (rest) for (const [s, e] of rest) this.failedRanges.push([s, e]);
  }

  /** One failed object: in detail while under the cap, as a one-index range beyond it. */
  record(f: ObjectFailure): void {
    if (this.failures.length < this.cap()) this.failures.push(f);
    else this.failedRanges.push([f.index, f.index + 1]);
  }

  private cap(): number {
    if (this.failures.length < FAILURE_SAMPLE) return FAILURE_SAMPLE;
    this.sampled ??= this.sampleFailures();
    return this.sampled ? FAILURE_SAMPLE : MAX_FAILURE_DETAILS;
  }

  /**
   * A copyBatch that did not return: stopped (count what it finished), out of retries with a checkpoint (keep
   * what was done, report the rest), or failed without one (report its whole range). `indexes` are the batch's
   * explicit indexes when it has them.
   */
  recordBatchFailure(err: unknown, batch: CopyBatchInput, indexes: number[]): void {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (isCancellation(err) || cause instanceof CancelledFailure) {
      // Stopped: count what the batch finished; the rest was never started or was abandoned atomically.
      const cp = cause instanceof CancelledFailure ? readCheckpoint(cause.details?.[0]) : undefined;
      if (cp) this.merge(cp.totals, cp.failures, cp.failedRanges);
      return;
    }
    const app = cause instanceof ApplicationFailure ? cause : undefined;
    const detail =
      app?.type === ErrorType.BatchIncomplete ? readBatchIncompleteDetails(app.details?.[0]) : undefined;
    if (detail) {
      // Retries ran out with some objects still failing transiently: keep what was done, report the rest.
      this.merge(detail.totals, detail.failures, detail.failedRanges);
      const n = (batch.indexes?.length ?? batch.end - batch.start) - countBitset(detail.done);
      this.totals.failed += n;
      for (const f of detail.transient) this.record({ ...f, retryable: true });
      if (n > detail.transient.length) this.failedRanges.push([batch.start, batch.end]);
      return;
    }
    // The whole batch failed without a checkpoint we can read: report its range.
    const n = batch.indexes?.length ?? batch.end - batch.start;
    this.totals.failed += n;
    const message = (app ?? (cause as Error | undefined))?.message ?? String(err);
    const type = app?.type ?? ErrorType.BatchFailed;
    // A cause typed non-retryable (e.g. DestinationFull while the batch wrote its report part) says so: `job
    // resume` may still take these objects up once the cause is mended, but retrying alone would not help. Only
    // data in the result and the carry, no command: histories recorded with `true` here replay unchanged.
    const retryable = !app?.nonRetryable;
    if (batch.indexes)
      for (const i of indexes) this.record({ index: i, name: `#${i}`, type, message, retryable });
    else {
      this.failedRanges.push([batch.start, batch.end]);
      if (this.failures.length < this.cap())
        this.failures.push({
          index: batch.start,
          name: `#${batch.start}..#${batch.end - 1}`,
          type,
          message,
          retryable,
        });
    }
  }

  /** Failed ranges sorted and merged, as carried and reported. */
  compactFailedRanges(): [number, number][] {
    return compactRanges(this.failedRanges);
  }

  /** What a report and a continue-as-new carry. */
  report(): { totals: Totals; failures: ObjectFailure[]; failedRanges: [number, number][] } {
    return { totals: this.totals, failures: this.failures, failedRanges: this.compactFailedRanges() };
  }
}
