// Step 2's sliding window: copyBatch activities over slices of the index space, at most `window` in flight.
// Each batch settles into the ledger and republishes progress; a stop cancels the window's scope, and a
// cancelled batch reports what it finished (its checkpoint rides on the cancellation).
import { CancellationScope } from '@temporalio/workflow';
import { sliceSpace, type IndexRanges } from '../common/index-space.js';
import { nextLanes } from '../common/lanes.js';
import type { CopyBatchInput, CopyBatchOutput, JobOptions, NamedSource } from '../common/schemas.js';
import type { Ledger } from './ledger.js';
import type { JobStatus } from './progress.js';

export interface WindowDeps {
  jobId: string;
  destination: string;
  src: NamedSource;
  ranges: IndexRanges;
  /** Live options: setOptions changes maxConns and limitBph between launches. */
  opts: JobOptions;
  status: JobStatus;
  ledger: Ledger;
  /** Read at each launch: a restarted file server may have signalled a new URL. */
  baseUrl: () => string;
  copyBatch: (input: CopyBatchInput) => Promise<CopyBatchOutput>;
  /** After each batch settles. */
  publish: () => void;
  /**
   * patched(LANE_BUDGET_PATCH): the batches in flight share --max-conns (common/lanes.ts). False when replaying
   * a history recorded before it: each batch then got ceil(maxConns / window).
   */
  laneBudget?: boolean;
}

export class BatchWindow {
  private readonly scope = new CancellationScope();
  /** Lanes held by the batches in flight. */
  private lanes = 0;

  constructor(private readonly deps: WindowDeps) {}

  /**
   * Objects per batch for a space of `space` positions: never fewer batches than the window when there are
   * objects enough — 16 large files with batch-size 256 would otherwise be one batch of ceil(maxConns / window)
   * lanes, a single stream at --max-conns 4.
   */
  batchSize(space: number): number {
    const { opts } = this.deps;
    return Math.max(1, Math.min(opts.batchSize, Math.ceil(space / Math.max(1, opts.window))));
  }

  /** Whether a batch launched now would get a lane (always, without the lane budget). */
  hasFreeLane(): boolean {
    return !this.deps.laneBudget || this.deps.opts.maxConns - this.lanes > 0;
  }

  /** Start a copyBatch over positions [pos, pos+size) of the space. */
  launch(pos: number, size: number): void {
    const { src, opts, status, ledger } = this.deps;
    const slice = sliceSpace(this.deps.ranges, pos, size);
    const window = Math.max(1, opts.window);
    const base: Omit<CopyBatchInput, 'start' | 'end'> = {
      jobId: this.deps.jobId,
      baseUrl: this.deps.baseUrl(),
      maxNames: opts.maxNames,
      destination: this.deps.destination,
      concurrency: this.deps.laneBudget
        ? Math.max(1, nextLanes(opts.maxConns, this.lanes, window - status.inFlight))
        : Math.max(1, Math.ceil(opts.maxConns / window)),
      skipExisting: opts.skipExisting,
      checksum: opts.checksum,
      streams: opts.streams,
      limitBps: opts.limitBph > 0 ? opts.limitBph / 3600 / window : 0,
      ...(src.kind === 'list' ? {} : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}) }),
      // Only jobs given a filter carry one (older inputs cannot): the batch tests each name it computes.
      ...(src.kind !== 'list' && src.filter ? { filter: src.filter } : {}),
    };
    let batch: CopyBatchInput;
    let indexes: number[];
    if ('start' in slice) {
      const { start: s, end: e } = slice;
      batch = { ...base, start: s, end: e };
      if (src.kind === 'list') batch.names = src.names.slice(s, e);
      indexes = [s, e];
    } else {
      const list = slice.indexes;
      batch = { ...base, start: 0, end: Math.max(1, ...list.map((i) => i + 1)), indexes: list };
      if (src.kind === 'list') {
        // Only this batch's names, position by position with `indexes`: never a whole list prefix.
        batch.names = list.map((i) => src.names[i] ?? '');
      }
      indexes = list;
    }
    status.inFlight++;
    const lanes = base.concurrency;
    this.lanes += lanes;
    void this.scope
      .run(() => this.deps.copyBatch(batch))
      .then(
        (out: CopyBatchOutput) => ledger.merge(out.totals, out.failures, out.failedRanges),
        (err: unknown) => ledger.recordBatchFailure(err, batch, indexes),
      )
      .finally(() => {
        status.inFlight--;
        this.lanes -= lanes;
        this.deps.publish();
      });
  }

  /** Stop: cancel every running batch (each reports what it finished). */
  cancel(): void {
    this.scope.cancel();
  }
}
