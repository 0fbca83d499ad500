// A copy batch's rows of the per-object report (common/report.ts), written as report parts under the job's files
// in its destination. The invariant that makes the report whole even when a worker is killed mid-batch: every
// index a heartbeat checkpoint says is done has its row in a part on durable storage. So a checkpoint is taken
// together with the rows pending at that instant (both synchronously: a row is added in the same step that
// sets the object's done bit), the rows are written, and only then is the checkpoint handed to the SDK. Rows of
// objects finished after the checkpoint belong to a later one; if the worker dies first, the retry does those
// objects again (and an object already committed is recognised by its metadata and gets its row then).
import type { ObjectInfo } from './buckets/index.js';
import type { JobFiles } from './job-files.js';
import type { ObjectFailure } from '../common/schemas.js';
import { jsonlLine, partPath, type PartOrder, type ReportRow } from '../common/report.js';

export class ReportParts<T> {
  private pending: ReportRow[] = [];
  /** Rows of a write that failed: the next write carries them first. */
  private retry: ReportRow[] = [];
  private seq = 0;
  private waiting: { cp: T; rows: ReportRow[]; done: Promise<void> } | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Parts written by this attempt. */
  parts = 0;
  /** The last write failed (its rows are carried by the next one). */
  lastError: unknown;

  /**
   * @param send hands a checkpoint to the SDK once its rows are written.
   * @param fallback heartbeats (for liveness) when a write failed: a checkpoint that covers only written rows.
   * @param coalesce merge a flush into the one already waiting for its turn (production: fewer parts when the
   *   bucket is slow); without it every flush sends its own checkpoint (the unit tests observe each one).
   */
  constructor(
    private readonly files: JobFiles,
    private readonly firstIndex: number,
    private readonly order: Omit<PartOrder, 'seq'>,
    private readonly send: (cp: T) => void,
    private readonly fallback: () => void,
    private readonly coalesce: boolean,
  ) {}

  /** A finished object's row: call in the same synchronous step that marks it done. */
  add(row: ReportRow): void {
    this.pending.push(row);
  }

  /**
   * Snapshot `cp` now (the caller takes the checkpoint in the same synchronous step), then — in order, one flush
   * at a time — write the rows pending now as one part, then send `cp`. With `strict` (the end of a batch) a
   * failed write rejects instead of falling back: the outcome must not claim rows that are not written.
   */
  flush(cp: T, strict = false): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    if (this.coalesce && !strict && this.waiting) {
      this.waiting.cp = cp;
      this.waiting.rows.push(...rows);
      return this.waiting.done;
    }
    const job: { cp: T; rows: ReportRow[]; done: Promise<void> } = { cp, rows, done: Promise.resolve() };
    const run = async () => {
      if (this.waiting === job) this.waiting = undefined;
      const all = this.retry.length ? this.retry.concat(job.rows) : job.rows;
      this.retry = [];
      if (all.length > 0) {
        try {
          await this.write(all);
          this.lastError = undefined;
        } catch (err) {
          this.retry = all;
          this.lastError = err;
          if (strict) throw err;
          this.fallback();
          return;
        }
      }
      this.send(job.cp);
    };
    job.done = this.chain.then(run);
    if (!strict) this.waiting = job;
    this.chain = job.done.catch(() => undefined);
    return job.done;
  }

  // --- internal ---

  private async write(rows: ReportRow[]): Promise<void> {
    // Sorted by index: the merge reads each part as one sorted run.
    rows.sort((a, b) => a.index - b.index);
    const body = Buffer.from(rows.map(jsonlLine).join(''));
    await this.files.put(partPath(this.firstIndex, { ...this.order, seq: this.seq++ }), body);
    this.parts++;
  }
}

/** The row of an object stored (copied, or found already written) or skipped, from what the bucket says of it. */
export function storedRow(
  index: number,
  name: string,
  outcome: 'copied' | 'skipped',
  info: ObjectInfo,
): ReportRow {
  // `checksum` comes with --checksum (the data-plane change); older objects record sha256 only.
  const meta: { sha256?: string | undefined; checksum?: string } | undefined = info.meta;
  // `checksum` (`<algo>:<value>`) when the object records one, else its sha256.
  const checksum = meta?.checksum ?? (meta?.sha256 ? `sha256:${meta.sha256}` : undefined);
  return { index, name, outcome, size: info.size, ...(checksum ? { checksum } : {}) };
}

/** The row of a failed object. */
export function failedRow(f: ObjectFailure): ReportRow {
  return {
    index: f.index,
    name: f.name,
    outcome: 'failed',
    errorType: f.type,
    retryable: f.retryable,
    message: f.message,
  };
}
