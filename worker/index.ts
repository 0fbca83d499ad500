// Builds ferry workers. One process may run several: the shared copy queue and the data host's own queue.
import { fileURLToPath } from 'node:url';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type LogLevel,
  type NativeConnection,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const DEFAULT_TASK_QUEUE = 'ferry';

const workflowsPath = fileURLToPath(new URL('../workflows/index.js', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundle the workflow code once per process: every worker in it shares the result (bundling takes seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
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
export function installRuntime(
  level: LogLevel = (process.env.FERRY_LOG_LEVEL?.toUpperCase() as LogLevel) || 'WARN',
): void {
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
    activities: createActivities(opts),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivityTaskExecutions ?? 16,
    // Flush activity heartbeats at least every second: a retried copyBatch redoes at most ~1 s of work
    // after a crash, and a job stop reaches running batches within a second.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  });
}

// --- internal ---
const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
  log: () => undefined,
};
