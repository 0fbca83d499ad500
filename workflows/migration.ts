// migrationWorkflow: the whole job, deterministic. validate → [serve the directory on its host] → plan →
// prepare bucket → sliding window of copyBatch activities over index ranges → cleanup → report.
// Names are never materialised here: a batch is an index range and the activity computes its names.
// The parts: ledger.ts (accounting), progress.ts (query + published details), window.ts (the batches),
// serve.ts (step 1), activity-options.ts (retry/timeout presets).
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import { BucketUriError, formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { spaceSize } from '../common/index-space.js';
import {
  JobState,
  MigrationInputSchema,
  formatZodError,
  isListingSource,
  type Carry,
  type JobOptions,
  type MigrationInput,
  type MigrationInputParsed,
  type MigrationReport,
} from '../common/schemas.js';
import { LANE_BUDGET_PATCH } from '../common/lanes.js';
import { describeSource } from '../common/source.js';
import { TemplateError, parseTemplate, type FmtRange } from '../common/template.js';
import { copyBatchOptions, shortActivityOptions, syncActivityOptions } from './activity-options.js';
import { listingJob } from './listing-job.js';
import { CONTINUE_AS_NEW_AT_EVENTS, firstCarry, invalid, nextCarry } from './run-state.js';
import { beginJob } from './begin.js';
import { finishJob } from './finish.js';
import { BatchWindow } from './window.js';

export {
  originReadySignal,
  pauseSignal,
  progressQuery,
  setOptionsUpdate,
  stopSignal,
  unpauseSignal,
} from './run-state.js';

export async function migrationWorkflow(raw: MigrationInput): Promise<MigrationReport> {
  const input = validate(raw);
  const info = workflowInfo();
  const jobId = info.workflowId;
  const opts: JobOptions = { ...input.options };
  const src = input.source;
  // Names read from a listing or a manifest: a branch of its own (listing-job.ts), so that template and list jobs run
  // exactly the code their recorded histories were made with.
  if (isListingSource(src) || src.kind === 'manifest') return listingJob(input, src);
  const destination = formatBucketUri(parseBucketUri(input.destination));
  const sourceText = describeSource(src);

  // Plan: how many names, in which index space.
  const total = src.kind === 'list' ? src.names.length : planTemplate(src.template, src.fmt, opts.maxNames);
  const ranges: [number, number][] = opts.onlyIndexes ?? [[0, total]];
  const space = spaceSize(ranges);

  const carry: Carry = input.carry ?? firstCarry();
  let { cursor } = carry;
  const facts = { sourceText, destination, space, startedAtMs: carry.startedAtMs, runs: carry.runs };
  const serve = src.kind === 'directory' ? src : undefined;
  const { ledger, status, publish, serveId } = await beginJob({
    inputCarry: input.carry,
    carry,
    opts,
    facts,
    destination,
    serve,
  });
  const acts = proxyActivities<FerryActivities>(shortActivityOptions());
  const syncActs = proxyActivities<FerryActivities>(syncActivityOptions());
  const batches = proxyActivities<FerryActivities>(copyBatchOptions(opts.retries));

  // Step 2: sliding window of batches over the index space.
  // Batches share --max-conns whatever the window (common/lanes.ts); histories recorded before replay the old split.
  const laneBudget = patched(LANE_BUDGET_PATCH);
  const window = new BatchWindow({
    laneBudget,
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
    !status.paused &&
    status.inFlight < opts.window &&
    window.hasFreeLane() &&
    cursor < space &&
    !shouldContinueAsNew();

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
      ...(src.kind !== 'list' && src.filter ? { filter: src.filter } : {}),
    });
  }

  // Cleanup: temp files / incomplete uploads of this job, then the file server.
  await acts.finalizeJob({
    destination,
    jobId,
    startedAtMs: carry.startedAtMs,
    ...(template ? { source: { ...template, maxNames: opts.maxNames } } : {}),
  });
  return finishJob({
    status,
    publish,
    ledger,
    carry,
    serveId: src.kind === 'directory' ? serveId : undefined,
    source: sourceText,
    destination,
    total: space,
    cursor,
    ...(sync ? { sync } : {}),
    ...(opts.verify ? { verify: opts.verify } : {}),
  });
}

// --- internal ---

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
