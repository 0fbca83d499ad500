// Builds ferry workers. One process may run several: the shared copy queue and the data host's own queue.
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type LogLevel,
  type NativeConnection,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { DEFAULT_TASK_QUEUE } from '../common/queues.js';
import { ferryEnv } from '../lib/env.js';
import { createOrigin } from '../lib/origin.js';

/** The compiled workflow entry (dist/workflows/index.js). */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
/** Written by `npm run build` (scripts/bundle-workflows.ts). */
export const PREBUILT_BUNDLE = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

let bundle: Promise<WorkflowBundleOption> | undefined;
/**
 * The workflow code for Worker.create: the bundle prebuilt by `npm run build` when it is at least as new as
 * the compiled workflow code, otherwise bundled here once per process and shared by its workers. Bundling
 * (webpack) took ~2.5 s of a 13 s `job start download --wait` of 10,000 small objects on 2 vCPU.
 */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  bundle ??= prebuiltIsFresh()
    ? Promise.resolve({ codePath: PREBUILT_BUNDLE })
    : bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

export interface FerryWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Concurrent activity executions (each copyBatch has its own inner concurrency). */
  maxConcurrentActivityTaskExecutions?: number;
}

let runtimeInstalled = false;
/**
 * The SDK logs every worker state change at INFO; a CLI user wants warnings only. Must run before the first
 * NativeConnection or Worker is created (the runtime is a process-wide singleton).
 */
export function installRuntime(level: LogLevel = ferryEnv().logLevel()): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}

export async function createFerryWorker(opts: FerryWorkerOptions): Promise<Worker> {
  installRuntime();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ ...depsFromEnv(), ...opts }),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 16,
    // Flush activity heartbeats at least every second: a retried copyBatch redoes at most ~1 s of work
    // after a crash, and a job stop reaches running batches within a second.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  });
}

/** The bundler reports progress at info level; a CLI user wants warnings only. */
export const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
  log: () => undefined,
};

// --- internal ---

/** The activities' dependencies that come from the environment: read here, where the worker is composed. */
function depsFromEnv(): ActivityDeps {
  const env = ferryEnv();
  const journal = env.putJournal();
  return {
    origin: createOrigin({
      headersTimeoutMs: env.httpHeadersTimeoutMs(),
      bodyTimeoutMs: env.httpBodyTimeoutMs(),
      connectTimeoutMs: env.httpConnectTimeoutMs(),
      ...(env.userAgent() ? { userAgent: env.userAgent() } : {}),
    }),
    checkpointEveryMs: env.checkpointEveryMs(),
    // Test instrumentation: one line per committed object, so crash tests can count objects written twice
    // across worker processes. Off unless FERRY_PUT_JOURNAL is set.
    ...(journal ? { putJournal: (name: string) => appendFileSync(journal, `${name}\n`) } : {}),
  };
}

/** Workflow code (and the pure modules it imports) compiled after the bundle was made means a stale bundle. */
function prebuiltIsFresh(): boolean {
  let built: number;
  try {
    built = statSync(PREBUILT_BUNDLE).mtimeMs;
  } catch {
    return false;
  }
  const dist = dirname(PREBUILT_BUNDLE);
  for (const dir of ['workflows', 'common']) {
    let names: string[];
    try {
      names = readdirSync(join(dist, dir));
    } catch {
      return false;
    }
    for (const n of names)
      if (n.endsWith('.js') && statSync(join(dist, dir, n)).mtimeMs > built) return false;
  }
  return true;
}
