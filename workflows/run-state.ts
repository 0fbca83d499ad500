// The parts of a migration run that every source kind shares: its query, signals and update with their
// handlers, and the carry a run starts from and hands to the next one (continue-as-new). Moved out of
// migration.ts unchanged so the listing branch (listing-job.ts) runs on the same ones.
import {
  ApplicationFailure,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../common/errors.js';
import {
  JobState,
  SetOptionsSchema,
  formatZodError,
  zeroTotals,
  type Carry,
  type JobOptions,
  type Progress,
  type SetOptionsInput,
} from '../common/schemas.js';
import type { Ledger } from './ledger.js';
import type { JobStatus, Publisher } from './progress.js';

export const progressQuery = defineQuery<Progress>('progress');
export const pauseSignal = defineSignal('pause');
export const unpauseSignal = defineSignal('unpause');
export const stopSignal = defineSignal('stop');
export const originReadySignal = defineSignal<[{ url: string }]>('originReady');
export const setOptionsUpdate = defineUpdate<{ maxConns: number; limitBph: number }, [SetOptionsInput]>(
  'setOptions',
);

/**
 * Continue-as-new well before Temporal's limits (50k events) and the 10k per-run budget we hold ourselves to.
 * `options.continueAsNewAtEvents` lowers it (tests).
 */
export const CONTINUE_AS_NEW_AT_EVENTS = 4000;

/** The carry of a job's first run. */
export function firstCarry(): Carry {
  return {
    cursor: 0,
    totals: zeroTotals(),
    failures: [],
    failedRanges: [],
    startedAtMs: Date.now(),
    runs: 1,
    maxHistoryEvents: 0,
    paused: false,
    stopRequested: false,
  };
}

/** The live status a run starts with. */
export function initialStatus(carry: Carry): JobStatus {
  return {
    state: carry.paused ? JobState.Paused : JobState.Running,
    paused: carry.paused,
    stopRequested: carry.stopRequested,
    servedUrl: carry.servedUrl,
    inFlight: 0,
  };
}

/** What the next run continues with. Read after all handlers finished: the history length is final then. */
export function nextCarry(
  carry: Carry,
  cursor: number,
  ledger: Ledger,
  status: JobStatus,
  serveId: string,
): Carry {
  return {
    cursor,
    totals: ledger.totals,
    failures: ledger.failures,
    failedRanges: ledger.compactFailedRanges(),
    startedAtMs: carry.startedAtMs,
    runs: carry.runs + 1,
    maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
    paused: status.paused,
    stopRequested: status.stopRequested,
    ...(status.servedUrl ? { servedUrl: status.servedUrl, serveId } : {}),
  };
}

/** Query, signals and update: they change the live status and options; the window loop reacts to them. */
export function installHandlers(status: JobStatus, opts: JobOptions, publisher: Publisher): void {
  setHandler(progressQuery, () => publisher.progress());
  setHandler(pauseSignal, () => {
    status.paused = true;
  });
  setHandler(unpauseSignal, () => {
    status.paused = false;
  });
  setHandler(stopSignal, () => {
    status.stopRequested = true;
  });
  setHandler(originReadySignal, ({ url }) => {
    status.servedUrl = url;
  });
  setHandler(
    setOptionsUpdate,
    (change) => {
      if (change.maxConns !== undefined) opts.maxConns = change.maxConns;
      if (change.limitBph !== undefined) opts.limitBph = change.limitBph;
      return { maxConns: opts.maxConns, limitBph: opts.limitBph };
    },
    {
      validator: (change) => {
        const r = SetOptionsSchema.safeParse(change);
        if (!r.success) throw new Error(formatZodError(r.error, 'setOptions'));
      },
    },
  );
}

export function invalid(message: string): never {
  throw ApplicationFailure.create({ type: ErrorType.InvalidInput, message, nonRetryable: true });
}
