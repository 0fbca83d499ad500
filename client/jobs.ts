// Job commands: start (download / prefetch / migrate), show, stop, pause, unpause, resume.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, writeFileSync, closeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
} from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { Listr } from 'listr2';
import { formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import {
  MigrationInputSchema,
  type MigrationInput,
  type MigrationReport,
  type Progress,
} from '../common/schemas.js';
import { FerryDestination, FerrySource, FerryState } from '../common/search-attributes.js';
import { compactRanges } from '../common/ranges.js';
import { describeSource } from '../common/source.js';
import { stateDir } from '../devserver/paths.js';
import { DEFAULT_TASK_QUEUE } from '../worker/index.js';
import { startWorkers, type RunningWorkers } from '../worker/run.js';
import {
  migrationWorkflow,
  pauseSignal,
  progressQuery,
  stopSignal,
  unpauseSignal,
  setOptionsUpdate,
} from '../workflows/index.js';
import { buildId, connect, embeddedWorkerAlive, workerPidPath, type Connected } from './connection.js';
import { CLIError, bar, humanBytes, humanDuration, table } from './format.js';
import { checkOriginReachable, preflightDestination } from './preflight.js';
import { trace } from '../lib/trace.js';
import { validateJob } from './validate.js';

export { validateJob };

export interface StartFlags {
  wait?: boolean;
  dryRun?: boolean;
  desc?: string;
  taskQueue?: string;
  jobId?: string;
  /** Run an in-process worker serving this directory (migrate). */
  serveRoot?: string;
  hostQueue?: string;
  quiet?: boolean;
}

/** Exit codes (README): 0 done, 1 error, 2 bad input, 3 finished with failed objects, 4 stopped. */
export const EXIT = { ok: 0, error: 1, usage: 2, failures: 3, stopped: 4 } as const;

export function taskQueueOf(flags: { taskQueue?: string }): string {
  return flags.taskQueue ?? process.env.FERRY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
}

export async function startJob(prefix: string, input: MigrationInput, flags: StartFlags): Promise<number> {
  trace('validate');
  const plan = validateJob(input);
  const destination = formatBucketUri(parseBucketUri(input.destination));
  const parsed = MigrationInputSchema.parse(input);
  const sourceText = describeSource(parsed.source);
  // The destination and origin checks touch nothing and run side by side; connect() comes after them since
  // in embedded mode it may start a dev server, and bad input must leave nothing behind.
  // When both are wrong, the destination's problem is the one reported (as when they ran one after the other).
  const checks = await Promise.allSettled([
    preflightDestination(destination),
    !flags.dryRun && parsed.source.kind !== 'directory'
      ? checkOriginReachable(parsed.source.baseUrl)
      : undefined,
  ]);
  for (const c of checks) if (c.status === 'rejected') throw c.reason;
  if (flags.dryRun) {
    console.log(
      table(
        ['PROPERTY', 'VALUE'],
        [
          ['source', sourceText],
          ['destination', destination],
          ['objects', String(plan.total)],
          ['first', plan.first],
          ['last', plan.last],
          ['batches', String(Math.ceil(plan.total / parsed.options.batchSize))],
        ],
      ),
    );
    if (parsed.options.sync) await previewSync(destination, parsed);
    console.log('dry run: nothing copied');
    return EXIT.ok;
  }
  const log = (m: string) => {
    if (!flags.quiet) console.error(m);
  };
  trace('connect');
  const conn = await connect({ log });
  trace('connected');
  let workers: RunningWorkers | undefined;
  // The worker (a native connection, the workflow bundle loaded into its threads: ~0.3 s) is created while
  // the workflow starts; its first task waits on the task queue meanwhile.
  let starting: Promise<RunningWorkers> | undefined;
  try {
    const taskQueue = taskQueueOf(flags);
    if (flags.wait || flags.serveRoot) {
      starting = startWorkers({
        address: conn.address,
        namespace: conn.namespace,
        connectionOptions: conn.connectionOptions as Record<string, unknown>,
        taskQueue,
        ...(flags.serveRoot ? { serveRoot: flags.serveRoot } : {}),
        ...(flags.hostQueue ? { hostQueue: flags.hostQueue } : {}),
        log,
      });
      // Handled here so a failed start before it is awaited below is no unhandled rejection.
      starting.catch(() => undefined);
    } else if (conn.embedded) {
      ensureDaemonWorker(log);
    }
    const jobId = flags.jobId ?? `${prefix}-${randomBytes(5).toString('hex')}`;
    trace('start workflow');
    const handle = await conn.client.workflow.start(migrationWorkflow, {
      workflowId: jobId,
      taskQueue,
      args: [input],
      staticSummary: `ferry ${parsed.source.kind === 'directory' ? 'migrate' : 'download'}${flags.jobId && prefix === '' ? ' (resumed)' : ''}: ${plan.total} objects → ${destination}`,
      staticDetails: [
        `- **source**: \`${sourceText}\``,
        `- **destination**: \`${destination}\``,
        `- **objects**: ${plan.total} (\`${plan.first}\` … \`${plan.last}\`)`,
        `- **options**: max-conns ${parsed.options.maxConns}, batch-size ${parsed.options.batchSize}, window ${parsed.options.window}` +
          `${parsed.options.skipExisting ? ', skip-existing' : ''}${parsed.options.sync ? ', sync' : ''}${parsed.options.limitBph ? `, limit ${humanBytes(parsed.options.limitBph)}/h` : ''}`,
        ...(parsed.description ? [`- **description**: ${parsed.description}`] : []),
      ].join('\n'),
      typedSearchAttributes: [
        { key: FerryDestination, value: destination },
        { key: FerrySource, value: sourceText.slice(0, 250) },
        { key: FerryState, value: 'running' },
      ],
    });
    trace('workflow started');
    if (starting) {
      try {
        workers = await starting;
        trace('worker running');
      } catch (err) {
        // Nothing in this command would run the job: do not leave it waiting for a worker.
        await handle.terminate('the worker of `ferry job start` failed to start').catch(() => undefined);
        throw err;
      }
    }
    console.log(jobId);
    if (!flags.wait) {
      console.log(`Run \`ferry show job ${jobId} --progress\` to monitor the progress.`);
      if (conn.embedded?.uiUrl)
        console.log(
          `Temporal Web UI: ${conn.embedded.uiUrl}/namespaces/${conn.namespace}/workflows/${jobId}`,
        );
      return EXIT.ok;
    }
    if (conn.embedded?.uiUrl)
      log(`Temporal Web UI: ${conn.embedded.uiUrl}/namespaces/${conn.namespace}/workflows/${jobId}`);
    await watchJobs(conn, [handle.workflowId], { quiet: flags.quiet ?? false });
    trace('job closed');
    return await printResult(conn.client, jobId);
  } finally {
    trace('shutdown');
    // A worker that came up while the workflow start failed is shut down too.
    await (workers ?? (await starting?.catch(() => undefined)))?.shutdown();
    await conn.close();
    trace('done');
  }
}

/** In embedded mode with no --wait, a background worker runs jobs after this command exits. */
export function ensureDaemonWorker(log: (m: string) => void): void {
  if (embeddedWorkerAlive()) return;
  const dir = stateDir();
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(dir, 'worker.log'), 'a');
  const bin = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
  const child = spawn(process.execPath, [bin, 'worker'], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(workerPidPath(), `${child.pid} ${buildId()}`);
  log(
    `started a background worker (pid ${child.pid}, log ${join(dir, 'worker.log')}; \`ferry server stop\` stops it)`,
  );
}

export async function printResult(client: Client, jobId: string): Promise<number> {
  const handle = client.workflow.getHandle(jobId);
  let report: MigrationReport;
  try {
    report = (await handle.result()) as MigrationReport;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      // An activity's failure (e.g. prepareBucket's DestinationForbidden) arrives wrapped in an ActivityFailure.
      const cause = err.cause instanceof ActivityFailure ? (err.cause.cause ?? err.cause) : err.cause;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      console.error(`job ${jobId} failed${type ? ` (${type})` : ''}: ${cause?.message ?? err.message}`);
      return type === 'InvalidInput' ? EXIT.usage : EXIT.error;
    }
    throw err;
  }
  printReport(jobId, report);
  return report.state === 'completed' ? EXIT.ok : report.state === 'stopped' ? EXIT.stopped : EXIT.failures;
}

export function printReport(jobId: string, r: MigrationReport): void {
  const secs = r.durationMs / 1000;
  console.log(
    `job ${jobId} ${r.state}: ${r.totals.copied} copied, ${r.totals.skipped} skipped, ${r.totals.failed} failed of ${r.total}; ` +
      `${humanBytes(r.totals.bytes)} in ${humanDuration(r.durationMs)} (${(r.totals.copied / Math.max(secs, 0.001)).toFixed(0)} obj/s, ` +
      `${humanBytes(r.totals.bytes / Math.max(secs, 0.001))}/s); runs ${r.runs}, largest run history ${r.maxHistoryEvents} events`,
  );
  if (r.sync)
    console.log(
      `sync: deleted ${r.sync.deleted} destination object(s) not in the source` +
        (r.sync.sample.length
          ? `: ${r.sync.sample.join(', ')}${r.sync.deleted > r.sync.sample.length ? ', ...' : ''}`
          : ''),
    );
  if (r.failures.length) {
    console.log(
      table(
        ['FAILED OBJECT', 'ERROR', 'RETRYABLE', 'MESSAGE'],
        r.failures
          .slice(0, 50)
          .map((f) => [f.name, f.type, f.retryable ? 'yes' : 'no', f.message.slice(0, 120)]),
      ),
    );
    if (r.totals.failed > 50)
      console.log(`... ${r.totals.failed - 50} more; \`ferry show job ${jobId} --json\` has all recorded`);
    console.log(`Run \`ferry job resume ${jobId}\` to copy the failed objects again.`);
  }
}

/** Live progress of one or more jobs until they close. */
export async function watchJobs(conn: Connected, ids: string[], opts: { quiet: boolean }): Promise<void> {
  const tty = process.stderr.isTTY && !opts.quiet;
  const tasks = new Listr(
    ids.map((id) => ({
      title: id,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        let lastPrint = 0;
        const handle = conn.client.workflow.getHandle(id);
        // Wake up as soon as the job closes (result() long-polls and follows continue-as-new), not at the
        // next poll: `job start --wait` of a short job spent ~0.9 s here after the job had finished. The
        // pending sleep is cancelled too, or its timer alone would hold the process that long before exit.
        const closed = new AbortController();
        void handle.result().then(
          () => closed.abort(),
          () => closed.abort(),
        );
        for (;;) {
          const desc = await handle.describe();
          if (desc.status.name !== 'RUNNING') {
            task.title = `${id}: ${desc.status.name.toLowerCase()}`;
            return;
          }
          try {
            const line = progressLine(await liveProgress(conn.client, id));
            if (tty || Date.now() - lastPrint > 5000) {
              task.output = line;
              lastPrint = Date.now();
            }
          } catch {
            // Between continue-as-new runs, or before the first workflow task: try again.
          }
          await sleep(tty ? 500 : 1000, undefined, { signal: closed.signal }).catch(() => undefined);
        }
      },
      rendererOptions: { persistentOutput: true, outputBar: 1 },
    })),
    {
      concurrent: true,
      exitOnError: false,
      renderer: opts.quiet ? 'silent' : tty ? 'default' : 'simple',
      rendererOptions: {},
    },
  );
  await tasks.run();
}

/**
 * Progress as a user wants it: the workflow's totals (finished batches) plus what in-flight batches have
 * heartbeated so far (read from the server's pending-activity state), with rates computed here from the
 * job's start (a query handler only knows the time of the last workflow task).
 */
export async function liveProgress(client: Client, id: string): Promise<Progress> {
  const handle = client.workflow.getHandle(id);
  const [p, desc] = await Promise.all([handle.query(progressQuery), handle.describe()]);
  const totals = { ...p.totals };
  for (const pa of desc.raw.pendingActivities ?? []) {
    if (pa.activityType?.name !== 'copyBatch') continue;
    const payload = pa.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    try {
      const cp = client.options.loadedDataConverter.payloadConverter.fromPayload<{
        totals?: Progress['totals'];
      }>(payload);
      if (!cp?.totals) continue;
      totals.copied += cp.totals.copied;
      totals.skipped += cp.totals.skipped;
      totals.failed += cp.totals.failed;
      totals.bytes += cp.totals.bytes;
    } catch {
      // an undecodable heartbeat only makes the bar a little behind
    }
  }
  const elapsedMs = Math.max(1, Date.now() - p.startedAtMs);
  const done = Math.min(p.total, totals.copied + totals.skipped + totals.failed);
  const objectsPerSec = ((totals.copied + totals.skipped) * 1000) / elapsedMs;
  return {
    ...p,
    totals,
    done,
    elapsedMs,
    objectsPerSec,
    bytesPerSec: (totals.bytes * 1000) / elapsedMs,
    etaMs: objectsPerSec > 0 ? ((p.total - done) / objectsPerSec) * 1000 : null,
  };
}

export function progressLine(p: Progress): string {
  const frac = p.total ? p.done / p.total : 1;
  return (
    `${bar(frac)} ${(frac * 100).toFixed(1)}% ${p.done}/${p.total} ` +
    `(${p.totals.copied} copied, ${p.totals.skipped} skipped, ${p.totals.failed} failed) ` +
    `${humanBytes(p.bytesPerSec)}/s ${p.objectsPerSec.toFixed(0)} obj/s ETA ${humanDuration(p.etaMs)} [${p.state}]`
  );
}

export async function showJobs(opts: { all?: boolean; json?: boolean }): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const query = `WorkflowType = 'migrationWorkflow'${opts.all ? '' : ` AND ExecutionStatus = 'Running'`}`;
    const rows: string[][] = [];
    const json: unknown[] = [];
    const seen = new Set<string>();
    for await (const wf of conn.client.workflow.list({ query })) {
      // A resumed job has several executions under one ID; the newest (listed first) is the job's state.
      if (seen.has(wf.workflowId)) continue;
      seen.add(wf.workflowId);
      const row = await jobRow(conn.client, wf);
      rows.push(row);
      json.push({
        id: row[0],
        state: row[1],
        progress: row[2],
        source: row[3],
        destination: row[4],
        started: row[5],
      });
      if (rows.length >= 1000) break;
    }
    if (opts.json) console.log(JSON.stringify(json, null, 2));
    else if (rows.length === 0)
      console.log(opts.all ? 'no jobs' : 'no running jobs (use --all to include finished ones)');
    else console.log(table(['JOB ID', 'STATE', 'PROGRESS', 'SOURCE', 'DESTINATION', 'STARTED'], rows));
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

async function jobRow(client: Client, wf: WorkflowExecutionInfo): Promise<string[]> {
  const sa = wf.typedSearchAttributes;
  let state = sa.get(FerryState) ?? wf.status.name.toLowerCase();
  let progress = '-';
  if (wf.status.name === 'RUNNING') {
    try {
      const p = await liveProgress(client, wf.workflowId);
      progress = `${p.done}/${p.total}`;
      state = p.state;
    } catch {
      // not answering queries yet
    }
  } else if (wf.status.name !== 'COMPLETED') state = wf.status.name.toLowerCase();
  return [
    wf.workflowId,
    state,
    progress,
    sa.get(FerrySource) ?? '-',
    sa.get(FerryDestination) ?? '-',
    wf.startTime.toISOString(),
  ];
}

export async function showJob(id: string, opts: { progress?: boolean; json?: boolean }): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.workflow.getHandle(id);
    let desc;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new CLIError(`job ${id} not found`, EXIT.error);
      throw err;
    }
    if (desc.status.name === 'RUNNING') {
      if (opts.progress) {
        await watchJobs(conn, [id], { quiet: false });
        return await printResult(conn.client, id);
      }
      const p = await liveProgress(conn.client, id);
      if (opts.json) console.log(JSON.stringify(p, null, 2));
      else {
        console.log(
          table(
            ['PROPERTY', 'VALUE'],
            [
              ['job', id],
              ['state', p.state],
              ['source', p.source],
              ['destination', p.destination],
              ['progress', progressLine(p)],
              ['bytes', humanBytes(p.totals.bytes)],
              ['elapsed', humanDuration(p.elapsedMs)],
              ['max-conns', String(p.maxConns)],
              ['runs', String(p.runs)],
              ...(p.servedUrl ? [['origin', p.servedUrl]] : []),
            ],
          ),
        );
      }
      return EXIT.ok;
    }
    if (desc.status.name === 'COMPLETED') {
      const report = (await handle.result()) as MigrationReport;
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else printReport(id, report);
      // With --progress the command stands for "wait for the job": exit like --wait does.
      if (!opts.progress) return EXIT.ok;
      return report.state === 'completed'
        ? EXIT.ok
        : report.state === 'stopped'
          ? EXIT.stopped
          : EXIT.failures;
    }
    return await printResult(conn.client, id).catch(() => {
      console.log(`job ${id}: ${desc.status.name.toLowerCase()}`);
      return EXIT.error;
    });
  } finally {
    await conn.close();
  }
}

export async function signalJob(id: string, what: 'stop' | 'pause' | 'unpause'): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.workflow.getHandle(id);
    const desc = await describeJob(handle, id);
    if (desc.status.name !== 'RUNNING')
      throw new CLIError(`job ${id} is not running (${desc.status.name.toLowerCase()})`, EXIT.error);
    await handle.signal(what === 'stop' ? stopSignal : what === 'pause' ? pauseSignal : unpauseSignal);
    console.log(`${what} requested for job ${id}`);
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

export async function setJobOptions(
  id: string,
  change: { maxConns?: number; limitBph?: number },
): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const r = await conn.client.workflow.getHandle(id).executeUpdate(setOptionsUpdate, { args: [change] });
    console.log(
      `job ${id}: max-conns ${r.maxConns}, limit ${r.limitBph ? `${humanBytes(r.limitBph)}/h` : 'none'}`,
    );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

/**
 * Resume: a running-but-paused job is unpaused; a closed job is started again under the same ID. When the
 * last run finished with failures recorded index by index, only those are copied; otherwise (stopped,
 * failed, terminated) the whole name space is walked with --skip-existing, so only missing or different
 * objects are copied.
 */
export async function resumeJob(id: string, flags: StartFlags): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.workflow.getHandle(id);
    const desc = await describeJob(handle, id);
    const history = await handle.fetchHistory();
    if (desc.status.name === 'RUNNING') {
      await handle.signal(unpauseSignal);
      console.log(`job ${id} is running; unpause requested`);
      // A running `migrate` whose process died waits for a worker on its own host queue: attach one here
      // (serving the directory again) and follow the job, as the original command did. Same with --wait.
      const running = inputOf(conn.client, history);
      const dir = running && running.source.kind === 'directory' ? running.source : undefined;
      if (!dir && !flags.wait) return EXIT.ok;
      const workers = await startWorkers({
        address: conn.address,
        namespace: conn.namespace,
        connectionOptions: conn.connectionOptions as Record<string, unknown>,
        taskQueue: taskQueueOf(flags),
        ...(dir ? { serveRoot: dir.root, hostQueue: dir.hostQueue } : {}),
        log: (m) => {
          if (!flags.quiet) console.error(m);
        },
      });
      try {
        if (dir) console.error(`serving ${dir.root} for job ${id} on ${dir.hostQueue}`);
        await watchJobs(conn, [id], { quiet: flags.quiet ?? false });
        return await printResult(conn.client, id);
      } finally {
        await workers.shutdown();
      }
    }
    const prev = inputOf(conn.client, history);
    if (!prev) throw new CLIError(`job ${id}: cannot read its input from history`, EXIT.error);
    const { carry: _carry, ...base } = prev;
    const options = { ...(base.options ?? {}) };
    let note = 'copying what is missing or different (skip-existing)';
    let report: MigrationReport | undefined;
    if (desc.status.name === 'COMPLETED') report = (await handle.result()) as MigrationReport;
    if (report && report.state === 'completed') {
      console.log(`job ${id} already completed with no failures; nothing to resume`);
      return EXIT.ok;
    }
    if (report && report.state === 'completed-with-failures' && failuresComplete(report)) {
      options.onlyIndexes = indexRanges(report);
      options.skipExisting = false;
      const n = options.onlyIndexes.reduce((a, [s, e]) => a + e - s, 0);
      note = `retrying the ${n} failed objects`;
    } else {
      options.skipExisting = true;
      delete options.onlyIndexes;
    }
    console.error(`resuming job ${id}: ${note}`);
    const input: MigrationInput = { ...base, options };
    const root = srcRoot(input);
    const hostQueue = input.source.kind === 'directory' ? input.source.hostQueue : undefined;
    return await startJob('', input, {
      ...flags,
      jobId: id,
      ...(root && hostQueue ? { serveRoot: root, hostQueue, wait: true } : {}),
    });
  } finally {
    await conn.close();
  }
}

// --- internal ---
/** describe(), with "no such job" as a user error. */
async function describeJob(handle: WorkflowHandle, id: string): Promise<WorkflowExecutionDescription> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CLIError(`job ${id} not found`, EXIT.error);
    throw err;
  }
}

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** The input of the run whose history this is (its first event). */
function inputOf(client: Client, history: History): MigrationInput | undefined {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  return client.options.loadedDataConverter.payloadConverter.fromPayload<MigrationInput>(payload);
}

/** --dry-run --sync: list what the job's sync step would delete, as `ferry ls` would show it. */
async function previewSync(destination: string, input: ReturnType<typeof MigrationInputSchema.parse>) {
  const { openBucket } = await import('../lib/buckets/index.js');
  const { listExtraneous, sourceMatcher } = await import('../activities/sync-delete.js');
  const src = input.source;
  const isName = sourceMatcher(
    src.kind === 'list'
      ? { names: src.names, maxNames: input.options.maxNames }
      : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}), maxNames: input.options.maxNames },
  );
  const bucket = await openBucket(destination);
  const rows: string[][] = [];
  if (await bucket.exists())
    for await (const x of listExtraneous(bucket, isName)) rows.push([x.name, humanBytes(x.size)]);
  console.log(
    rows.length
      ? `--sync would delete ${rows.length} object(s) not in the source:\n${table(['NAME', 'SIZE'], rows)}`
      : '--sync would delete nothing: every object under the destination is in the source',
  );
}

function srcRoot(input: MigrationInput): string | undefined {
  return input.source.kind === 'directory' && input.source ? input.source.root : undefined;
}

function failuresComplete(r: MigrationReport): boolean {
  const recorded = r.failures.filter((f) => !f.name.startsWith('#') || /^#\d+$/.test(f.name)).length;
  const inRanges = r.failedRanges.reduce((a, [s, e]) => a + e - s, 0);
  return recorded + inRanges >= r.totals.failed && r.totals.failed > 0;
}

function indexRanges(r: MigrationReport): [number, number][] {
  return compactRanges([
    ...r.failures.map((f): [number, number] => [f.index, f.index + 1]),
    ...r.failedRanges,
  ]);
}
