// migrationWorkflow: the whole job, deterministic. validate → [serve the directory on its host] → plan →
// prepare bucket → sliding window of copyBatch activities over index ranges → cleanup → report.
// Names are never materialised here: a batch is an index range and the activity computes its names.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import { BucketUriError, formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { ErrorType, NON_RETRYABLE_TYPES } from '../common/errors.js';
import {
  JobState,
  MigrationInputSchema,
  SetOptionsSchema,
  formatZodError,
  zeroTotals,
  type Carry,
  type CopyBatchInput,
  type CopyBatchOutput,
  type JobOptions,
  type MigrationInput,
  type MigrationInputParsed,
  type MigrationReport,
  type ObjectFailure,
  type Progress,
  type SetOptionsInput,
  type Totals,
} from '../common/schemas.js';
import { FerryDestination, FerrySource, FerryState } from '../common/search-attributes.js';
import { compactRanges } from '../common/ranges.js';
import { describeSource } from '../common/source.js';
import { TemplateError, parseTemplate, type FmtRange } from '../common/template.js';
import { serveWorkflow } from './serve.js';

export const progressQuery = defineQuery<Progress>('progress');
export const pauseSignal = defineSignal('pause');
export const unpauseSignal = defineSignal('unpause');
export const stopSignal = defineSignal('stop');
export const originReadySignal = defineSignal<[{ url: string }]>('originReady');
export const setOptionsUpdate = defineUpdate<{ maxConns: number; limitBph: number }, [SetOptionsInput]>(
  'setOptions',
);

/** Failure details kept in full; beyond this only counts and index ranges are kept (history stays small). */
const MAX_FAILURE_DETAILS = 1000;
/** Continue-as-new well before Temporal's limits (50k events) and the 10k per-run budget we hold ourselves to. */
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
  const space = ranges.reduce((n, [a, b]) => n + (b - a), 0);

  const carry: Carry = input.carry ?? {
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
  let { cursor } = carry;
  const totals: Totals = { ...carry.totals };
  const failures: ObjectFailure[] = [...carry.failures];
  const failedRanges: [number, number][] = [...carry.failedRanges];
  let paused = carry.paused;
  let stopRequested = carry.stopRequested;
  let servedUrl = carry.servedUrl;
  let inFlight = 0;
  let state: JobState = paused ? JobState.Paused : JobState.Running;
  let lastState: string | undefined;
  const inFlightSpan = new Map<number, number>(); // batch start (space position) → its size

  const progress = (): Progress => {
    const elapsedMs = Date.now() - carry.startedAtMs;
    const done = totals.copied + totals.skipped + totals.failed;
    const secs = Math.max(elapsedMs / 1000, 0.001);
    const objectsPerSec = (totals.copied + totals.skipped) / secs;
    return {
      state,
      startedAtMs: carry.startedAtMs,
      total: space,
      done,
      totals: { ...totals },
      inFlightBatches: inFlight,
      maxConns: opts.maxConns,
      limitBph: opts.limitBph,
      elapsedMs,
      bytesPerSec: totals.bytes / secs,
      objectsPerSec,
      etaMs: objectsPerSec > 0 ? ((space - done) / objectsPerSec) * 1000 : null,
      source: sourceText,
      destination,
      ...(servedUrl ? { servedUrl } : {}),
      recentFailures: failures.slice(-10),
      runs: carry.runs,
    };
  };

  setHandler(progressQuery, progress);
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(unpauseSignal, () => {
    paused = false;
  });
  setHandler(stopSignal, () => {
    stopRequested = true;
  });
  setHandler(originReadySignal, ({ url }) => {
    servedUrl = url;
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

  const publish = () => {
    const p = progress();
    const pct = space ? ((p.done / space) * 100).toFixed(1) : '100.0';
    setCurrentDetails(
      [
        `**${state}** — ${p.done.toLocaleString()} / ${space.toLocaleString()} objects (${pct}%)`,
        '',
        `| copied | skipped | failed | bytes | in-flight batches | max conns |`,
        `|---|---|---|---|---|---|`,
        `| ${totals.copied} | ${totals.skipped} | ${totals.failed} | ${totals.bytes} | ${inFlight} | ${opts.maxConns} |`,
        '',
        `${sourceText} → ${destination}${servedUrl ? ` (origin ${servedUrl})` : ''}`,
        '',
        '_Counts finished batches; `ferry show job ID` adds what in-flight batches have done._',
        ...(failures.length
          ? ['', `last failure: \`${failures.at(-1)!.name}\`: ${failures.at(-1)!.type}`]
          : []),
      ].join('\n'),
    );
    if (state !== lastState) {
      lastState = state;
      upsertSearchAttributes({
        [FerryState.name]: [state],
        [FerryDestination.name]: [destination],
        [FerrySource.name]: [sourceText.slice(0, 250)],
      });
    }
  };
  publish();

  const acts = proxyActivities<FerryActivities>({
    startToCloseTimeout: '5 minutes',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  });
  // Lists the whole destination: may run long, so liveness comes from heartbeats (one per page).
  const syncActs = proxyActivities<FerryActivities>({
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '60 seconds',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  });
  const batches = proxyActivities<FerryActivities>({
    // A batch may stream gigabytes; liveness comes from heartbeats (every second), not from this bound.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // Transient failures back off up to a minute and give up after ~15 minutes; what is left is reported as
    // failed (retryable) and `ferry job resume` picks it up.
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '60 seconds',
      maximumAttempts: opts.retries,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  });

  // Step 1: serve the directory on its host, through a child that outlives our continue-as-new.
  // Unique per starting run: a resumed job must not collide with the previous run's server still stopping.
  let serveId = carry.serveId ?? `${jobId}-serve-${info.runId}`;
  if (src.kind === 'directory' && !carry.servedUrl) {
    serveId = `${jobId}-serve-${info.runId}`;
    const child = await startChild(serveWorkflow, {
      workflowId: serveId,
      args: [{ root: src.root, hostQueue: src.hostQueue, migrationWorkflowId: jobId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    let serveFailure: unknown;
    child.result().catch((err: unknown) => {
      serveFailure = err;
    });
    await condition(() => servedUrl !== undefined || serveFailure !== undefined || stopRequested);
    if (serveFailure !== undefined && servedUrl === undefined) {
      // Surface the root cause (e.g. ServeRootDenied) as this job's failure, typed and non-retryable.
      const root = rootCause(serveFailure);
      throw ApplicationFailure.create({
        type: root instanceof ApplicationFailure && root.type ? root.type : 'ServeFailed',
        message: `step 1 (serve ${src.root}) failed: ${root instanceof Error ? root.message : String(root)}`,
        nonRetryable: true,
      });
    }
    publish();
  }
  // Read at each launch: a restarted file server may have signalled a new URL.
  const currentBaseUrl = () => (src.kind === 'directory' ? servedUrl : src.baseUrl) ?? '';

  if (!input.carry) await acts.prepareBucket({ destination });

  // Step 2: sliding window of batches over the index space.
  const scope = new CancellationScope();
  const positionToIndexRange = (pos: number, size: number): CopyBatchInput['indexes'] | [number, number] => {
    // Map [pos, pos+size) of the concatenated ranges onto template indexes.
    let p = pos;
    const out: number[] = [];
    for (const [a, b] of ranges) {
      const len = b - a;
      if (p >= len) {
        p -= len;
        continue;
      }
      if (ranges.length === 1) return [a + p, Math.min(b, a + p + size)];
      for (let i = a + p; i < b && out.length < size; i++) out.push(i);
      p = 0;
      if (out.length >= size) break;
    }
    return out;
  };

  const launch = (pos: number, size: number): void => {
    const mapped = positionToIndexRange(pos, size);
    const window = Math.max(1, opts.window);
    const base: Omit<CopyBatchInput, 'start' | 'end'> = {
      jobId,
      baseUrl: currentBaseUrl(),
      maxNames: opts.maxNames,
      destination,
      concurrency: Math.max(1, Math.ceil(opts.maxConns / window)),
      skipExisting: opts.skipExisting,
      limitBps: opts.limitBph > 0 ? opts.limitBph / 3600 / window : 0,
      ...(src.kind === 'list' ? {} : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}) }),
    };
    let batch: CopyBatchInput;
    let indexes: number[];
    if (Array.isArray(mapped) && mapped.length === 2 && ranges.length === 1) {
      const [s, e] = mapped as [number, number];
      batch = { ...base, start: s, end: e };
      indexes = [];
      if (src.kind === 'list') batch.names = src.names.slice(s, e);
      indexes = [s, e];
    } else {
      const list = mapped as number[];
      batch = { ...base, start: 0, end: Math.max(1, ...list.map((i) => i + 1)), indexes: list };
      if (src.kind === 'list') {
        // Only this batch's names, position by position with `indexes`: never a whole list prefix.
        batch.names = list.map((i) => src.names[i] ?? '');
      }
      indexes = list;
    }
    inFlight++;
    inFlightSpan.set(pos, size);
    void scope
      .run(() => batches.copyBatch(batch))
      .then(
        (out: CopyBatchOutput) => merge(out.totals, out.failures),
        (err: unknown) => recordBatchFailure(err, batch, indexes),
      )
      .finally(() => {
        inFlight--;
        inFlightSpan.delete(pos);
        publish();
      });
  };

  const merge = (t: Totals, f: ObjectFailure[]) => {
    totals.copied += t.copied;
    totals.skipped += t.skipped;
    totals.failed += t.failed;
    totals.bytes += t.bytes;
    for (const x of f) recordFailure(x);
  };
  const recordFailure = (f: ObjectFailure) => {
    if (failures.length < MAX_FAILURE_DETAILS) failures.push(f);
    else failedRanges.push([f.index, f.index + 1]);
  };
  const recordBatchFailure = (err: unknown, batch: CopyBatchInput, indexes: number[]) => {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (isCancellation(err) || cause instanceof CancelledFailure) {
      // Stopped: count what the batch finished; the rest was never started or was abandoned atomically.
      const cp =
        cause instanceof CancelledFailure
          ? (cause.details?.[0] as BatchIncompleteDetails | undefined)
          : undefined;
      if (cp) merge(cp.totals, cp.failures);
      return;
    }
    const app = cause instanceof ApplicationFailure ? cause : undefined;
    const detail =
      app?.type === ErrorType.BatchIncomplete
        ? (app.details?.[0] as BatchIncompleteDetails | undefined)
        : undefined;
    if (detail) {
      // Retries ran out with some objects still failing transiently: keep what was done, report the rest.
      merge(detail.totals, detail.failures);
      const n = (batch.indexes?.length ?? batch.end - batch.start) - countDone(detail);
      totals.failed += n;
      for (const f of detail.transient) recordFailure({ ...f, retryable: true });
      if (n > detail.transient.length) failedRanges.push([batch.start, batch.end]);
      return;
    }
    // The whole batch failed without a checkpoint we can read: report its range.
    const n = batch.indexes?.length ?? batch.end - batch.start;
    totals.failed += n;
    const message = (app ?? (cause as Error | undefined))?.message ?? String(err);
    const type = app?.type ?? 'BatchFailed';
    if (batch.indexes)
      for (const i of indexes) recordFailure({ index: i, name: `#${i}`, type, message, retryable: true });
    else {
      failedRanges.push([batch.start, batch.end]);
      if (failures.length < MAX_FAILURE_DETAILS)
        failures.push({
          index: batch.start,
          name: `#${batch.start}..#${batch.end - 1}`,
          type,
          message,
          retryable: true,
        });
    }
  };

  const shouldContinueAsNew = () =>
    workflowInfo().historyLength > CONTINUE_AS_NEW_AT_EVENTS || workflowInfo().continueAsNewSuggested;

  for (;;) {
    state = stopRequested ? JobState.Stopping : paused ? JobState.Paused : JobState.Running;
    publish();
    await condition(
      () =>
        stopRequested ||
        (inFlight === 0 && (cursor >= space || shouldContinueAsNew())) ||
        (!paused && inFlight < opts.window && cursor < space && !shouldContinueAsNew()) ||
        (paused && state !== JobState.Paused) ||
        (!paused && state === JobState.Paused),
    );
    if (stopRequested) break;
    if (inFlight === 0 && cursor >= space) break;
    if (inFlight === 0 && shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      const next: Carry = {
        cursor,
        totals,
        failures,
        failedRanges: compactRanges(failedRanges),
        startedAtMs: carry.startedAtMs,
        runs: carry.runs + 1,
        maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
        paused,
        stopRequested,
        ...(servedUrl ? { servedUrl, serveId } : {}),
      };
      await continueAsNew<typeof migrationWorkflow>({ ...input, options: opts, carry: next });
    }
    while (!paused && !stopRequested && inFlight < opts.window && cursor < space && !shouldContinueAsNew()) {
      // Never fewer batches than the window when there are objects enough: 16 large files with batch-size 256
      // would otherwise be one batch of ceil(maxConns / window) lanes — a single stream at --max-conns 4.
      const perBatch = Math.max(1, Math.min(opts.batchSize, Math.ceil(space / Math.max(1, opts.window))));
      const size = Math.min(perBatch, space - cursor);
      launch(cursor, size);
      cursor += size;
    }
  }

  if (stopRequested) {
    state = JobState.Stopping;
    publish();
    scope.cancel();
    await condition(() => inFlight === 0);
  }

  // --sync: only after a complete, failure-free copy (a failed object's name must not look extraneous, and a
  // stopped job has not seen its whole source).
  const template =
    src.kind === 'list' ? undefined : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}) };
  let sync: MigrationReport['sync'];
  if (opts.sync && !stopRequested && totals.failed === 0) {
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

  state = stopRequested
    ? JobState.Stopped
    : totals.failed > 0
      ? JobState.CompletedWithFailures
      : JobState.Completed;
  publish();
  await condition(allHandlersFinished);
  return {
    state:
      state === JobState.Stopped
        ? 'stopped'
        : state === JobState.CompletedWithFailures
          ? 'completed-with-failures'
          : 'completed',
    source: sourceText,
    destination,
    total: space,
    totals,
    failures,
    failedRanges: compactRanges(failedRanges),
    durationMs: Date.now() - carry.startedAtMs,
    runs: carry.runs,
    maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
    cursor,
    ...(sync ? { sync } : {}),
  };
}

// --- internal ---

interface BatchIncompleteDetails {
  done: string;
  totals: Totals;
  failures: ObjectFailure[];
  transient: ObjectFailure[];
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

function rootCause(err: unknown): unknown {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e;
}

function invalid(message: string): never {
  throw ApplicationFailure.create({ type: ErrorType.InvalidInput, message, nonRetryable: true });
}

/** Count set bits of a base64 bitset without Buffer (workflow sandbox). */
function countDone(d: BatchIncompleteDetails): number {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let count = 0;
  for (const ch of d.done) {
    const v = alphabet.indexOf(ch); // '=' padding is -1 and carries no bits
    for (let i = 0; v > 0 && i < 6; i++) if (v & (1 << i)) count++;
  }
  return count;
}
