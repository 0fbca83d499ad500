// The migration of a listing source (`listing`: an HTTP origin's listing; `tree`: a directory served on its
// host, then walked): no names given, so the job walks them. Names never enter history: scanListing returns
// only batch boundaries (the last key of each batch of `batchSize` names, ≤ 16 per call), a batch is the span
// (afterKey, lastKey] that copyBatch walks again itself, and continue-as-new carries just the last key
// dispatched. Indexes are positions in walk order, assigned as the scan counts names.
// A `manifest` source runs the same loop with byte spans: scanManifest returns where each batch's lines end in
// the manifest (an offset, ≤ 16 per call), a batch reads its bytes [start, end) itself, and continue-as-new
// carries the offset. The listing kinds' commands are unchanged by this (their corpus replays).
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import { formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { ErrorType } from '../common/errors.js';
import {
  JobState,
  type CopyBatchInput,
  type CopyBatchOutput,
  type JobOptions,
  type ScannedSource,
  type MigrationInputParsed,
  type MigrationReport,
} from '../common/schemas.js';
import { LANE_BUDGET_PATCH, nextLanes } from '../common/lanes.js';
import { describeSource } from '../common/source.js';
import {
  copyBatchOptions,
  scanActivityOptions,
  shortActivityOptions,
  syncActivityOptions,
} from './activity-options.js';
import { CONTINUE_AS_NEW_AT_EVENTS, firstCarry, nextCarry } from './run-state.js';
import { beginJob } from './begin.js';
import { finishJob } from './finish.js';

/**
 * The job's filter is tested by the copy batches at each position (excluded names get a count and a report row),
 * so scans count every name. Runs recorded before filter the walk itself and count accepted names only.
 */
export const FILTER_AT_COPY_PATCH = 'filter-at-copy';

/** --sync of listing and manifest jobs (activities/sync-scanned.ts). */
export const SYNC_SCANNED_PATCH = 'sync-scanned';

/** Batch boundaries per scanListing call: ≤ 16 keys of ≤ 1 KiB each in its result. */
const SCAN_BATCHES = 16;

/** A listing's key span (afterKey, lastKey], or a manifest's byte span [start, end) after `line` lines. */
type Span =
  | { afterKey: string | undefined; lastKey: string; count: number }
  | { start: number; end: number; line: number; lines: number; count: number };

export async function listingJob(input: MigrationInputParsed, src: ScannedSource): Promise<MigrationReport> {
  const info = workflowInfo();
  const jobId = info.workflowId;
  // Asked first, once per run, and only by filtered jobs (an unfiltered job's commands are unchanged).
  const filterAtCopy = src.filter ? patched(FILTER_AT_COPY_PATCH) : false;
  const walkFilter = filterAtCopy ? undefined : src.filter;
  const opts: JobOptions = { ...input.options };
  if (opts.onlyIndexes) {
    // `job resume` of failed objects: indexes are positions in a walk the tree may no longer match, so the
    // resumed run walks it all again and copies only what is missing or different.
    delete opts.onlyIndexes;
    opts.skipExisting = true;
  }
  const destination = formatBucketUri(parseBucketUri(input.destination));
  const sourceText = describeSource(src);
  const carry = input.carry ?? firstCarry();
  let cursor = carry.cursor;
  /** Last key dispatched (every key up to it is in a launched batch). */
  let dispatched = carry.scan?.after;
  /** Where the next scan starts: the last boundary already pending. */
  let scanFrom = dispatched;
  /** Manifest: byte offset and lines read up to the last dispatched batch, and up to the last pending one. */
  let dispatchedAt = { offset: carry.scan?.offset ?? 0, line: carry.scan?.line ?? 0 };
  let scanAt = dispatchedAt;
  let scanDone = carry.scan?.done ?? false;
  const pending: Span[] = [];

  const facts = { sourceText, destination, space: cursor, startedAtMs: carry.startedAtMs, runs: carry.runs };
  const { ledger, status, publish, serveId } = await beginJob({
    inputCarry: input.carry,
    carry,
    opts,
    facts,
    destination,
    serve: src.kind === 'tree' ? src : undefined,
  });
  const acts = proxyActivities<FerryActivities>(shortActivityOptions());
  const scans = proxyActivities<FerryActivities>(scanActivityOptions());
  const batches = proxyActivities<FerryActivities>(copyBatchOptions(opts.retries));

  const baseUrl = () => (src.kind === 'tree' ? status.servedUrl : src.baseUrl) ?? '';
  const scope = new CancellationScope();
  // Batches share --max-conns whatever the window (common/lanes.ts); histories recorded before replay the old split.
  const laneBudget = patched(LANE_BUDGET_PATCH);
  /** Lanes held by the batches in flight. */
  let lanes = 0;
  const launch = (span: Span): void => {
    // The last batches of a small tree share the job's connections instead of a window's share each.
    const sharing = scanDone ? Math.min(opts.window, status.inFlight + 1 + pending.length) : opts.window;
    const concurrency = laneBudget
      ? Math.max(1, nextLanes(opts.maxConns, lanes, sharing - status.inFlight))
      : Math.max(1, Math.ceil(opts.maxConns / Math.max(1, sharing)));
    const batch: CopyBatchInput = {
      jobId,
      baseUrl: baseUrl(),
      maxNames: opts.maxNames,
      destination,
      concurrency,
      skipExisting: opts.skipExisting,
      checksum: opts.checksum,
      streams: opts.streams,
      limitBps: opts.limitBph > 0 ? opts.limitBph / 3600 / Math.max(1, opts.window) : 0,
      start: cursor,
      end: cursor + span.count,
      ...('lastKey' in span
        ? {
            listing: {
              ...(span.afterKey !== undefined ? { afterKey: span.afterKey } : {}),
              lastKey: span.lastKey,
              ...(walkFilter ? { filter: walkFilter } : {}),
            },
          }
        : {
            manifest: {
              ref: src.kind === 'manifest' ? src.manifest : { at: 'job' as const },
              start: span.start,
              end: span.end,
              line: span.line,
              ...(walkFilter ? { filter: walkFilter } : {}),
            },
          }),
      ...(filterAtCopy && src.filter ? { filter: src.filter } : {}),
    };
    const indexes = [cursor, cursor + span.count];
    cursor += span.count;
    if ('lastKey' in span) dispatched = span.lastKey;
    else dispatchedAt = { offset: span.end, line: span.line + span.lines };
    status.inFlight++;
    lanes += concurrency;
    void scope
      .run(() => batches.copyBatch(batch))
      .then(
        (out: CopyBatchOutput) => ledger.merge(out.totals, out.failures, out.failedRanges),
        (err: unknown) => ledger.recordBatchFailure(err, batch, indexes),
      )
      .finally(() => {
        status.inFlight--;
        lanes -= concurrency;
        publish();
      });
  };
  const scan = async (): Promise<void> => {
    try {
      if (src.kind === 'manifest') {
        const r = await scans.scanManifest({
          jobId,
          destination,
          ref: src.manifest,
          offset: scanAt.offset,
          line: scanAt.line,
          ...(walkFilter ? { filter: walkFilter } : {}),
          batchSize: opts.batchSize,
          maxBatches: SCAN_BATCHES,
        });
        for (const b of r.batches) {
          const lines = b.line - scanAt.line;
          pending.push({ start: scanAt.offset, end: b.end, line: scanAt.line, lines, count: b.count });
          scanAt = { offset: b.end, line: b.line };
          facts.space += b.count;
        }
        scanDone = r.done;
        return;
      }
      const r = await scans.scanListing({
        baseUrl: baseUrl(),
        ...(scanFrom !== undefined ? { afterKey: scanFrom } : {}),
        ...(walkFilter ? { filter: walkFilter } : {}),
        batchSize: opts.batchSize,
        maxBatches: SCAN_BATCHES,
      });
      for (const b of r.batches) {
        pending.push({ afterKey: scanFrom, lastKey: b.lastKey, count: b.count });
        scanFrom = b.lastKey;
        facts.space += b.count;
      }
      scanDone = r.done;
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      throw ApplicationFailure.create({
        type: cause instanceof ApplicationFailure && cause.type ? cause.type : ErrorType.SourceUnavailable,
        message: `${src.kind === 'manifest' ? 'reading the manifest' : `walking ${baseUrl()}`}: ${cause instanceof Error ? cause.message : String(cause)}`,
        nonRetryable: true,
      });
    }
  };

  const continueAt = opts.continueAsNewAtEvents ?? CONTINUE_AS_NEW_AT_EVENTS;
  const shouldContinueAsNew = () =>
    workflowInfo().historyLength > continueAt || workflowInfo().continueAsNewSuggested;
  const finished = () => scanDone && pending.length === 0;
  const canLaunch = () =>
    !status.paused &&
    status.inFlight < opts.window &&
    (!laneBudget || opts.maxConns - lanes > 0) &&
    pending.length > 0 &&
    !shouldContinueAsNew();
  const needScan = () => !status.paused && !scanDone && pending.length === 0 && !shouldContinueAsNew();

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
        (status.inFlight === 0 && (finished() || shouldContinueAsNew())) ||
        canLaunch() ||
        needScan() ||
        (status.paused && status.state !== JobState.Paused) ||
        (!status.paused && status.state === JobState.Paused),
    );
    if (status.stopRequested) break;
    if (status.inFlight === 0 && finished()) break;
    if (status.inFlight === 0 && shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      const next = {
        ...nextCarry(carry, cursor, ledger, status, serveId),
        scan: {
          ...(dispatched !== undefined ? { after: dispatched } : {}),
          ...(src.kind === 'manifest' ? dispatchedAt : {}),
          done: finished(),
        },
      };
      await continueAsNew<(i: MigrationInputParsed) => Promise<MigrationReport>>({
        ...input,
        options: opts,
        carry: next,
      });
    }
    if (needScan()) await scan();
    while (!status.stopRequested && canLaunch()) launch(pending.shift()!);
  }

  if (status.stopRequested) {
    status.state = JobState.Stopping;
    publish();
    scope.cancel();
    await condition(() => status.inFlight === 0);
  }
  // --sync: only after a complete, failure-free copy (a failed object's name must not look extraneous, and a
  // stopped job has not seen its whole source). Old inputs could not ask for it here: the patch keeps a history
  // from a client that passed it anyway (ignored then) replaying as it was.
  let sync: MigrationReport['sync'];
  if (opts.sync && !status.stopRequested && ledger.totals.failed === 0 && patched(SYNC_SCANNED_PATCH)) {
    sync = await proxyActivities<FerryActivities>(syncActivityOptions()).syncScanned({
      destination,
      jobId,
      source: { baseUrl: baseUrl(), ...(src.kind === 'manifest' ? { manifest: src.manifest } : {}) },
      ...(src.filter ? { filter: src.filter } : {}),
    });
  }
  await acts.finalizeJob({ destination, jobId, startedAtMs: carry.startedAtMs });
  return finishJob({
    status,
    publish,
    ledger,
    carry,
    serveId: src.kind === 'tree' ? serveId : undefined,
    source: sourceText,
    destination,
    total: cursor,
    cursor,
    ...(sync ? { sync } : {}),
    ...(opts.verify ? { verify: opts.verify } : {}),
  });
}
