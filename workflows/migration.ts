// migrationWorkflow: the whole job, deterministic. validate → [serve the directory on its host] → plan →
// prepare bucket → sliding window of copyBatch activities over index ranges → cleanup → report.
// Names are never materialised here: a batch is an index range and the activity computes its names.
// The parts: ledger.ts (accounting), progress.ts (query + published details), window.ts (the batches),
// serve.ts (step 1), activity-options.ts (retry/timeout presets).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import { BucketUriError, formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { ErrorType } from '../common/errors.js';
import { spaceSize } from '../common/index-space.js';
import {
  JobState,
  MigrationInputSchema,
  SetOptionsSchema,
  formatZodError,
  zeroTotals,
  type Carry,
  type JobOptions,
  type MigrationInput,
  type MigrationInputParsed,
  type MigrationReport,
  type Progress,
  type SetOptionsInput,
} from '../common/schemas.js';
import { describeSource } from '../common/source.js';
import { TemplateError, parseTemplate, type FmtRange } from '../common/template.js';
import { copyBatchOptions, shortActivityOptions, syncActivityOptions } from './activity-options.js';
import { Ledger } from './ledger.js';
import { Publisher, finalState, reportState, type JobStatus } from './progress.js';
import { startServing } from './serve.js';
import { BatchWindow } from './window.js';

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
const CONTINUE_AS_NEW_AT_EVENTS = 4000;

export async function migrationWorkflow(raw: MigrationInput): Promise<MigrationReport> {
  const input = validate(raw);
  const info = workflowInfo();
  const jobId = info.workflowId;
  const opts: JobOptions = { ...input.options };
  const src = input.source;
  const destination = formatBucketUri(parseBucketUri(input.destination));
  const sourceText = describeSource(src);

  // Plan: how many names, in which index space.
  const total = src.kind === 'list' ? src.names.length : planTemplate(src.template, src.fmt, opts.maxNames);
  const ranges: [number, number][] = opts.onlyIndexes ?? [[0, total]];
  const space = spaceSize(ranges);

  const carry: Carry = input.carry ?? firstCarry();
  let { cursor } = carry;
  const ledger = new Ledger(carry);
  const status = initialStatus(carry);
  const facts = { sourceText, destination, space, startedAtMs: carry.startedAtMs, runs: carry.runs };
  const publisher = new Publisher(facts, status, opts, ledger);
  installHandlers(status, opts, publisher);
  const publish = () => publisher.publish();
  publish();

  const acts = proxyActivities<FerryActivities>(shortActivityOptions());
  const syncActs = proxyActivities<FerryActivities>(syncActivityOptions());
  const batches = proxyActivities<FerryActivities>(copyBatchOptions(opts.retries));

  // Step 1: serve the directory on its host, through a child that outlives our continue-as-new.
  // Unique per starting run: a resumed job must not collide with the previous run's server still stopping.
  let serveId = carry.serveId ?? `${jobId}-serve-${info.runId}`;
  if (src.kind === 'directory' && !carry.servedUrl) {
    serveId = `${jobId}-serve-${info.runId}`;
    await startServing(src, jobId, serveId, status);
    publish();
  }

  if (!input.carry) await acts.prepareBucket({ destination });

  // Step 2: sliding window of batches over the index space.
  const window = new BatchWindow({
    jobId,
    destination,
    src,
    ranges,
    opts,
    status,
    ledger,
    baseUrl: () => (src.kind === 'directory' ? status.servedUrl : src.baseUrl) ?? '',
    copyBatch: batches.copyBatch,
    publish,
  });
  const continueAt = opts.continueAsNewAtEvents ?? CONTINUE_AS_NEW_AT_EVENTS;
  const shouldContinueAsNew = () =>
    workflowInfo().historyLength > continueAt || workflowInfo().continueAsNewSuggested;
  const canLaunch = () =>
    !status.paused && status.inFlight < opts.window && cursor < space && !shouldContinueAsNew();

  for (;;) {
    status.state = status.stopRequested
      ? JobState.Stopping
      : status.paused
        ? JobState.Paused
        : JobState.Running;
    publish();
    await condition(
      () =>
        status.stopRequested ||
        (status.inFlight === 0 && (cursor >= space || shouldContinueAsNew())) ||
        canLaunch() ||
        (status.paused && status.state !== JobState.Paused) ||
        (!status.paused && status.state === JobState.Paused),
    );
    if (status.stopRequested) break;
    if (status.inFlight === 0 && cursor >= space) break;
    if (status.inFlight === 0 && shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      const next = nextCarry(carry, cursor, ledger, status, serveId);
      await continueAsNew<typeof migrationWorkflow>({ ...input, options: opts, carry: next });
    }
    while (!status.stopRequested && canLaunch()) {
      const size = Math.min(window.batchSize(space), space - cursor);
      window.launch(cursor, size);
      cursor += size;
    }
  }

  if (status.stopRequested) {
    status.state = JobState.Stopping;
    publish();
    window.cancel();
    await condition(() => status.inFlight === 0);
  }

  // --sync: only after a complete, failure-free copy (a failed object's name must not look extraneous, and a
  // stopped job has not seen its whole source).
  const template =
    src.kind === 'list' ? undefined : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}) };
  let sync: MigrationReport['sync'];
  if (opts.sync && !status.stopRequested && ledger.totals.failed === 0) {
    sync = await syncActs.syncDelete({
      destination,
      jobId,
      source: { ...(template ?? { names: src.kind === 'list' ? src.names : [] }), maxNames: opts.maxNames },
    });
  }

  // Cleanup: temp files / incomplete uploads of this job, then the file server.
  await acts.finalizeJob({
    destination,
    jobId,
    startedAtMs: carry.startedAtMs,
    ...(template ? { source: { ...template, maxNames: opts.maxNames } } : {}),
  });
  if (src.kind === 'directory') {
    await getExternalWorkflowHandle(serveId)
      .cancel()
      .catch(() => undefined);
  }

  status.state = finalState(status.stopRequested, ledger.totals.failed);
  publish();
  await condition(allHandlersFinished);
  const { totals, failures, failedRanges } = ledger.report();
  return {
    state: reportState(status.state),
    source: sourceText,
    destination,
    total: space,
    totals,
    failures,
    failedRanges,
    durationMs: Date.now() - carry.startedAtMs,
    runs: carry.runs,
    maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
    cursor,
    ...(sync ? { sync } : {}),
  };
}

// --- internal ---

/** The carry of a job's first run. */
function firstCarry(): Carry {
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
function initialStatus(carry: Carry): JobStatus {
  return {
    state: carry.paused ? JobState.Paused : JobState.Running,
    paused: carry.paused,
    stopRequested: carry.stopRequested,
    servedUrl: carry.servedUrl,
    inFlight: 0,
  };
}

/** What the next run continues with. Read after all handlers finished: the history length is final then. */
function nextCarry(carry: Carry, cursor: number, ledger: Ledger, status: JobStatus, serveId: string): Carry {
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
function installHandlers(status: JobStatus, opts: JobOptions, publisher: Publisher): void {
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

function validate(raw: MigrationInput): MigrationInputParsed {
  const r = MigrationInputSchema.safeParse(raw);
  if (!r.success) invalid(formatZodError(r.error, 'migration input'));
  try {
    parseBucketUri(r.data.destination);
  } catch (err) {
    if (err instanceof BucketUriError) invalid(err.message);
    throw err;
  }
  return r.data;
}

function planTemplate(template: string, fmt: FmtRange | undefined, maxNames: number): number {
  try {
    return parseTemplate(template, { maxNames, ...(fmt ? { fmt } : {}) }).count;
  } catch (err) {
    if (err instanceof TemplateError || err instanceof RangeError) invalid(err.message);
    throw err;
  }
}

function invalid(message: string): never {
  throw ApplicationFailure.create({ type: ErrorType.InvalidInput, message, nonRetryable: true });
}
