// Starting a job: validate, check the destination and origin, then start the workflow — with an in-process
// worker (--wait, migrate) or, in embedded mode, a background one — and either follow it to its report or
// return at once, warning when no worker polls the job's queue.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { WorkflowType } from '../common/queues.js';
import {
  MigrationInputSchema,
  isListingSource,
  type MigrationInput,
  type MigrationInputParsed,
} from '../common/schemas.js';
import { FerryDestination, FerrySource, FerryState } from '../common/search-attributes.js';
import { describeSource } from '../common/source.js';
import { stateDir } from '../devserver/paths.js';
import { trace } from '../lib/trace.js';
import type { migrationWorkflow } from '../workflows/index.js';
import { startWorkers, type RunningWorkers } from '../worker/run.js';
import { buildId, connect, embeddedWorkerAlive, workerPidPath } from './connection.js';
import { CLIError, EXIT, GrpcStatus, errorText, grpcCode } from './errors.js';
import { humanBytes } from './format.js';
import type { ManifestArg, ManifestPlan } from './manifest-plan.js';
import { taskQueueOf } from './job-options.js';
import { noWorkerLine, workerPolls } from './job-state.js';
import { checkOriginReachable, preflightDestination } from './preflight.js';
import { printResult } from './report.js';
import { watchJobs } from './progress.js';
import { validateJob } from './validate.js';

export interface StartFlags {
  /** The job's ID (client/ids.ts mints new ones; a resume reuses the job's). */
  jobId: string;
  /** A new run of an existing job (`job resume`), not a new job. */
  resumed?: boolean;
  wait?: boolean;
  dryRun?: boolean;
  taskQueue?: string;
  /** Run an in-process worker serving this directory (migrate). */
  serveRoot?: string;
  hostQueue?: string;
  quiet?: boolean;
  /** A new manifest job: its manifest as given (checked here, staged into the destination when local). */
  manifest?: ManifestArg;
}

/**
 * A workflow input above this never reaches the server: gRPC refuses messages over 4 MiB, and Temporal's
 * default blob limit (2 MiB) refuses smaller ones. Checked before connecting, since the SDK retries a
 * RESOURCE_EXHAUSTED refusal for ~40 s before giving up.
 */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** What the advice to split a list aims below: Temporal's default blob size limit, with a margin. */
const SAFE_INPUT_BYTES = 1.5 * 1024 * 1024;

/** A job checked and ready to start: what {@link prepareJob} returns and {@link workflowStartOf} reads. */
export interface PreparedJob {
  input: MigrationInput;
  parsed: MigrationInputParsed;
  plan: ReturnType<typeof validateJob>;
  destination: string;
  sourceText: string;
  /** A manifest job's plan (objects, bytes, first and last names), read whole before anything starts. */
  manifestPlan?: ManifestPlan;
}

/**
 * Everything `job start` checks before it connects to Temporal: the input (validateJob), its size, the
 * destination and the origin (reachable; a listing's root answers). Shared with `job schedule create`, so a
 * schedule is refused for exactly what a start is refused for, and nothing is created or written meanwhile.
 */
export async function prepareJob(
  input: MigrationInput,
  flags: { dryRun?: boolean; manifest?: ManifestArg } = {},
): Promise<PreparedJob> {
  trace('validate');
  let plan = validateJob(input);
  const destination = formatBucketUri(parseBucketUri(input.destination));
  const parsed = MigrationInputSchema.parse(input);
  const sourceText = describeSource(parsed.source);
  const inputBytes = Buffer.byteLength(JSON.stringify(input));
  if (inputBytes > MAX_INPUT_BYTES) throw tooLarge(parsed, inputBytes);
  // The destination and origin checks touch nothing and run side by side; connect() comes after them since
  // in embedded mode it may start a dev server, and bad input must leave nothing behind.
  // When both are wrong, the destination's problem is the one reported (as when they ran one after the other).
  const src = parsed.source;
  // A malformed FERRY_ORIGIN_TOKENS is bad input here, before anything starts, not a failure in every batch.
  if ('baseUrl' in src) (await import('../lib/origin-auth.js')).originAuth(src.baseUrl);
  // A manifest is read whole first: a bad line is bad input whatever the origin's state.
  let manifestPlan: ManifestPlan | undefined;
  if (src.kind === 'manifest' && flags.manifest) {
    const { planManifest } = await import('./manifest-plan.js');
    manifestPlan = await planManifest(flags.manifest, src.filter);
    plan = { total: manifestPlan.objects, first: manifestPlan.first ?? '-', last: manifestPlan.last ?? '-' };
  }
  const checks = await Promise.allSettled([
    preflightDestination(destination),
    !flags.dryRun && 'baseUrl' in src ? checkOriginReachable(src.baseUrl) : undefined,
  ]);
  for (const c of checks) if (c.status === 'rejected') throw c.reason;
  if (!flags.dryRun && src.kind === 'listing')
    await (await import('./listing-plan.js')).probeListing(src.baseUrl);
  return { input, parsed, plan, destination, sourceText, ...(manifestPlan ? { manifestPlan } : {}) };
}

/**
 * The workflow a job runs and how it is started (type, queue, input, summary, details, search attributes):
 * `job start` starts it at once, `job schedule create` makes it a schedule's action, so a scheduled run is
 * exactly the job `job start` would have started. The input holds no secrets (credentials stay in the
 * workers' environment), so it may sit in a schedule's definition and in each run's history.
 */
export function workflowStartOf(
  job: PreparedJob,
  flags: { taskQueue?: string | undefined; resumed?: boolean; scheduleId?: string },
) {
  const { parsed, plan, destination, sourceText } = job;
  const src = parsed.source;
  const o = parsed.options;
  const label = flags.scheduleId ? ` (schedule ${flags.scheduleId})` : flags.resumed ? ' (resumed)' : '';
  return {
    workflowType: WorkflowType.migration,
    taskQueue: taskQueueOf(flags),
    args: [job.input] as [MigrationInput],
    staticSummary: `ferry ${'hostQueue' in src ? 'migrate' : 'download'}${label}: ${plan.listing ? 'every listed file' : `${plan.total} objects`} → ${destination}`,
    staticDetails: [
      `- **source**: \`${sourceText}\``,
      `- **destination**: \`${destination}\``,
      plan.listing
        ? '- **objects**: every file of the listing, walked as the job runs'
        : // A count, no names: start metadata is history too (the dry run prints the first and last names).
          `- **objects**: ${plan.total}`,
      `- **options**: max-conns ${o.maxConns}, batch-size ${o.batchSize}, window ${o.window}` +
        `${o.skipExisting ? ', skip-existing' : ''}${o.sync ? ', sync' : ''}${o.limitBph ? `, limit ${humanBytes(o.limitBph)}/h` : ''}`,
      ...(flags.scheduleId ? [`- **schedule**: \`${flags.scheduleId}\``] : []),
      ...(parsed.description ? [`- **description**: ${parsed.description}`] : []),
    ].join('\n'),
    typedSearchAttributes: [
      { key: FerryDestination, value: destination },
      { key: FerrySource, value: sourceText.slice(0, 250) },
      { key: FerryState, value: 'running' },
    ],
  };
}

export async function startJob(input: MigrationInput, flags: StartFlags): Promise<number> {
  // A remote manifest is read once, here, and staged with the job (client/manifest-stage.ts).
  const stage = await import('./manifest-stage.js');
  const spool = flags.dryRun ? undefined : await stage.spoolRemote(flags.manifest);
  try {
    const prepared = await prepareJob(input, flags);
    const job = spool
      ? { ...prepared, input: stage.stagedInput(prepared.input), parsed: stage.stagedInput(prepared.parsed) }
      : prepared;
    return await runJob(job, flags, flags.manifest?.local ?? spool?.path);
  } finally {
    await spool?.remove();
  }
}

async function runJob(job: PreparedJob, flags: StartFlags, stageFrom: string | undefined): Promise<number> {
  const { input, parsed, plan, destination, sourceText, manifestPlan } = job;
  const manifest = manifestPlan ? await import('./manifest-plan.js') : undefined;
  const inputBytes = Buffer.byteLength(JSON.stringify(input));
  const src = parsed.source;
  if (flags.dryRun && isListingSource(src)) {
    const listing = await import('./listing-plan.js');
    return listing.dryRunListing(src, destination, sourceText, parsed.options.batchSize, {
      skipExisting: parsed.options.skipExisting,
      sync: parsed.options.sync,
    });
  }
  if (flags.dryRun && manifest && manifestPlan)
    return manifest.dryRunManifest(
      manifestPlan,
      destination,
      sourceText,
      parsed.options.batchSize,
      flags.manifest && src.kind === 'manifest'
        ? { m: flags.manifest, baseUrl: src.baseUrl, filter: src.filter }
        : undefined,
      { skipExisting: parsed.options.skipExisting, sync: parsed.options.sync },
    );
  if (flags.dryRun)
    return (await import('./dry-run-plan.js')).dryRunNamed(parsed, destination, sourceText, plan);
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
  const taskQueue = taskQueueOf(flags);
  const jobId = flags.jobId;
  try {
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
    if (manifest && stageFrom) {
      const at = await manifest.stageManifest(stageFrom, destination, jobId);
      log(`manifest staged at ${at}`);
    }
    trace('start workflow');
    const { workflowType, ...start } = workflowStartOf(job, flags);
    const handle = await conn.client.workflow
      .start<typeof migrationWorkflow>(workflowType, { workflowId: jobId, ...start })
      .catch((err: unknown) => {
        // gRPC's message limit, or the server's blob size limit ("Blob data size exceeds limit.").
        if (
          grpcCode(err) === GrpcStatus.RESOURCE_EXHAUSTED ||
          /size exceeds limit|larger than max/i.test(errorText(err))
        )
          throw tooLarge(parsed, inputBytes);
        throw err;
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
    const ui = conn.embedded?.uiUrl
      ? `Temporal Web UI: ${conn.embedded.uiUrl}/namespaces/${conn.namespace}/workflows/${jobId}`
      : undefined;
    if (!flags.wait) {
      console.log(`Run \`ferry show job ${jobId} --progress\` to monitor the progress.`);
      if (ui) console.log(ui);
      await warnIfNoWorker(conn, parsed, taskQueue, !!starting);
      return EXIT.ok;
    }
    if (ui) log(ui);
    await watchJobs(conn, [handle.workflowId], { quiet: flags.quiet ?? false, ownWorker: true });
    trace('job closed');
    const code = await printResult(conn.client, jobId);
    if (flags.serveRoot) await settleServeChild(conn.client, jobId);
    return code;
  } finally {
    trace('shutdown');
    // A worker that came up while the workflow start failed is shut down too.
    await (workers ?? (await starting?.catch(() => undefined)))?.shutdown();
    await conn.close();
    trace('done');
  }
}

/** In embedded mode with no --wait, a background worker runs jobs after this command exits. */
/**
 * With --wait this process's own worker also serves step 1. The migration cancels its serve child as it ends,
 * and the child needs one more workflow task to close: shutting the worker down first would leave the child
 * Running in the UI until another worker of that host queue turns up. Bounded: at worst the exit is 10 s later.
 */
async function settleServeChild(client: Client, jobId: string): Promise<void> {
  const give = new Promise<void>((r) => setTimeout(r, 10_000).unref());
  const settle = async () => {
    const query = `WorkflowId STARTS_WITH "${jobId}-serve-" AND ExecutionStatus = "Running"`;
    for await (const wf of client.workflow.list({ query }))
      await client.workflow
        .getHandle(wf.workflowId)
        .result()
        .catch(() => undefined);
  };
  await Promise.race([settle().catch(() => undefined), give]);
}

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

// --- internal ---
/** A started job nobody will run is worth a line: the job waits, durably, until a worker polls its queue. */
async function warnIfNoWorker(
  conn: Awaited<ReturnType<typeof connect>>,
  input: MigrationInputParsed,
  taskQueue: string,
  ownWorker: boolean,
): Promise<void> {
  // The embedded background worker polls the default queue and may still be starting: no false alarm there.
  const queues = ownWorker || (conn.embedded && taskQueue === taskQueueOf({})) ? [] : [taskQueue];
  const src = input.source;
  if ('hostQueue' in src && !ownWorker) queues.push(src.hostQueue);
  for (const q of queues) {
    if (await workerPolls(conn, q).catch(() => true)) continue;
    const line =
      'hostQueue' in src && q === src.hostQueue
        ? `no worker is polling task queue \`${q}\` — start one on the data host with \`ferry worker --serve-root ${src.root}\``
        : noWorkerLine(q);
    console.error(`ferry: warning: ${line}`);
  }
}

function tooLarge(input: MigrationInputParsed, bytes: number): CLIError {
  const what =
    input.source.kind === 'list'
      ? `the object list (${input.source.names.length} names, ${humanBytes(bytes)} as workflow input)`
      : `the job's input (${humanBytes(bytes)})`;
  const advice =
    input.source.kind === 'list'
      ? `split it into lists of at most ${Math.max(1, Math.floor((input.source.names.length * SAFE_INPUT_BYTES) / bytes))} names and start one job per list`
      : 'shorten it';
  return new CLIError(`${what} is too large for one workflow input: ${advice}`, EXIT.usage);
}
