// Progress arithmetic, computed in one place: the workflow's progress query and the CLI's live view (which
// adds what in-flight batches have done) derive rates and ETA the same way.
import type { Totals } from './schemas.js';

export interface ProgressRates {
  /** Objects finished: copied + skipped + failed + excluded. */
  done: number;
  bytesPerSec: number;
  /** Copied + skipped per second (failures are not progress). */
  objectsPerSec: number;
  /** Time left at the current object rate; null before any object was copied or skipped. */
  etaMs: number | null;
}

/**
 * Rates and ETA of a job that finished `totals` of `total` objects in `elapsedMs`. An elapsed time under 1 ms
 * counts as 1 ms (no division by zero right after the start).
 */
export function progressRates(totals: Totals, elapsedMs: number, total: number): ProgressRates {
  const done = totals.copied + totals.skipped + totals.failed + (totals.excluded ?? 0);
  const secs = Math.max(elapsedMs / 1000, 0.001);
  const objectsPerSec = (totals.copied + totals.skipped) / secs;
  return {
    done,
    bytesPerSec: totals.bytes / secs,
    objectsPerSec,
    // Never below zero: a client's sum of finished and in-flight counts can pass the total for a moment.
    etaMs: objectsPerSec > 0 ? (Math.max(0, total - done) / objectsPerSec) * 1000 : null,
  };
}
