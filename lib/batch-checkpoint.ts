// A copy batch's bookkeeping: which positions are done (the bitset), what they amount to (totals), which
// objects failed for good and which still fail transiently — and the checkpoint (common/checkpoint.ts) that
// copyBatch heartbeats from it, so a retried attempt resumes where this one was.
import { decodeBitset, encodeBitset, isSet, newBitset, setBit } from '../common/bitset.js';
import {
  MAX_BATCH_FAILURE_SAMPLE,
  MAX_TRANSIENT_DETAILS,
  type BatchIncompleteDetails,
  type Checkpoint,
} from '../common/checkpoint.js';
import { compactRanges } from '../common/ranges.js';
import { zeroTotals, type ObjectFailure, type Totals } from '../common/schemas.js';
import type { RangedProgress } from './range-resume.js';

export class BatchCheckpoint {
  private readonly done: Uint8Array;
  readonly totals: Totals;
  /** Failed for good: counted and done; named up to MAX_BATCH_FAILURE_SAMPLE (the report parts name all). */
  readonly failures: ObjectFailure[];
  /** Indexes of the failures beyond the sample, as ranges (compacted when they are read). */
  private rest: [number, number][];
  /** Failing transiently in this attempt: not done, the next attempt tries them again. */
  readonly transient: ObjectFailure[] = [];
  private failuresSnapshot: ObjectFailure[];
  /** Recorded with every checkpoint (see CheckpointSchema.span). */
  span: string | undefined;
  /**
   * Objects being fetched in ranges, by position: what is stored of each (lib/range-resume.ts). Heartbeated
   * with the checkpoint, left out of what reaches history (incompleteDetails, cancellations).
   */
  readonly ranged = new Map<number, RangedProgress>();

  /** For `n` positions, resuming from a previous attempt's checkpoint if there is one. */
  constructor(n: number, prev?: Checkpoint) {
    this.done = prev ? decodeBitset(prev.done, n) : newBitset(n);
    this.totals = prev ? { ...prev.totals } : zeroTotals();
    this.failures = prev ? [...prev.failures] : [];
    this.rest = prev?.failedRanges ? prev.failedRanges.map(([s, e]): [number, number] => [s, e]) : [];
    this.failuresSnapshot = [...this.failures];
  }

  isDone(p: number): boolean {
    return isSet(this.done, p);
  }

  markDone(p: number): void {
    setBit(this.done, p);
  }

  // Each of these counts and marks done in one synchronous step: a heartbeat between the two would checkpoint a
  // count without its bit, and a retry after a crash right then would count the object twice.

  copied(p: number, bytes: number): void {
    setBit(this.done, p);
    this.totals.copied++;
    this.totals.bytes += bytes;
  }

  skipped(p: number): void {
    setBit(this.done, p);
    this.totals.skipped++;
  }

  /** Left out by the job's --include/--exclude/--prefix. */
  excluded(p: number): void {
    setBit(this.done, p);
    this.totals.excluded = (this.totals.excluded ?? 0) + 1;
  }

  failed(p: number, failure: ObjectFailure): void {
    setBit(this.done, p);
    this.totals.failed++;
    if (this.failures.length < MAX_BATCH_FAILURE_SAMPLE) this.failures.push(failure);
    else {
      const last = this.rest.at(-1);
      if (last?.[1] === failure.index) last[1]++;
      else this.rest.push([failure.index, failure.index + 1]);
    }
  }

  failedTransiently(failure: ObjectFailure): void {
    this.transient.push(failure);
  }

  /**
   * A snapshot, failures included: the SDK serializes heartbeat details after heartbeat() returns, and a
   * checkpoint whose failures ran ahead of its done bits would record those failures twice on resume.
   * failures only grows, so the copy is redone only when it did (not once per heartbeat).
   */
  checkpoint(ranged = true): Checkpoint & { ranged?: RangedProgress[] } {
    if (this.failuresSnapshot.length !== this.failures.length) this.failuresSnapshot = [...this.failures];
    return {
      done: encodeBitset(this.done),
      totals: { ...this.totals },
      failures: this.failuresSnapshot,
      ...(this.rest.length > 0 ? { failedRanges: this.failedRanges() } : {}),
      ...(this.span !== undefined ? { span: this.span } : {}),
      ...(ranged && this.ranged.size > 0 ? { ranged: [...this.ranged.values()] } : {}),
    };
  }

  /** Indexes of the failures beyond the sample. */
  failedRanges(): [number, number][] {
    if (this.rest.length > 1) this.rest = compactRanges(this.rest);
    return this.rest.map(([s, e]): [number, number] => [s, e]);
  }

  /** Details of the BatchIncomplete failure that hands the transient failures to a retry (or the report). */
  incompleteDetails(): BatchIncompleteDetails {
    return { ...this.checkpoint(false), transient: this.transient.slice(0, MAX_TRANSIENT_DETAILS) };
  }
}
