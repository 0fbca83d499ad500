// Builds ferry workers. One process may run several: the shared copy queue and the data host's own queue.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
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
import type { ActivityDeps } from '../activities/index.js';
import { DEFAULT_TASK_QUEUE } from '../common/queues.js';
import { ferryEnv } from '../lib/env.js';
import { METRIC, ORIGIN_LATENCY_BUCKETS_MS } from '../lib/metrics.js';
import { FerryPlugin } from './plugin.js';
import { dropSourcesContent } from './bundle-map.js';

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
    : bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger }).then(({ code }) => ({
        // Slimmed like the prebuilt one (worker/bundle-map.ts), so a stale build costs the same memory.
        code: dropSourcesContent(code),
      }));
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
 * The SDK logs every worker state change at INFO; a CLI user wants warnings only. With `metricsPort`, the
 * runtime serves Prometheus metrics (the SDK's and ferry's, lib/metrics.ts) on that port, all interfaces. Must
 * run before the first NativeConnection or Worker is created (the runtime is a process-wide singleton, installed
 * once): a second call changes nothing, and one asking for metrics then throws.
 */
export function installRuntime(level: LogLevel = ferryEnv().logLevel(), metricsPort?: number): void {
  if (runtimeInstalled) {
    if (metricsPort !== undefined)
      throw new Error(
        'the Temporal runtime is already installed: metrics must be asked for before any worker',
      );
    return;
  }
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger(level),
    ...(metricsPort !== undefined
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                bindAddress: `0.0.0.0:${metricsPort}`,
                histogramBucketOverrides: { [METRIC.originLatency]: ORIGIN_LATENCY_BUCKETS_MS },
              },
            },
          },
        }
      : {}),
  });
}

/** A worker of ferry's workflows and, through {@link FerryPlugin} (as an embedder's worker gets them), its activities. */
export async function createFerryWorker(opts: FerryWorkerOptions): Promise<Worker> {
  installRuntime();
  const { connection, namespace, taskQueue, maxConcurrentActivityTaskExecutions, ...deps } = opts;
  return Worker.create({
    connection,
    namespace: namespace ?? 'default',
    taskQueue: taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    plugins: [new FerryPlugin(deps)],
    // Unversioned (workflow changes are replay-safe through patched(): CONTRIBUTING.md), but each worker says
    // which build it runs, so a task in a history and a worker in `temporal task-queue describe` name their code.
    workerDeploymentOptions: {
      version: { deploymentName: DEPLOYMENT_NAME, buildId: await ferryBuildId() },
      useWorkerVersioning: false,
    },
    maxConcurrentActivityTaskExecutions: maxConcurrentActivityTaskExecutions ?? 16,
    // Flush activity heartbeats at least every second: a retried copyBatch redoes at most ~1 s of work
    // after a crash, and a job stop reaches running batches within a second.
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
  });
}

/** The deployment name ferry's CLI workers report (Worker Deployment Versioning is not used: see CONTRIBUTING.md). */
export const DEPLOYMENT_NAME = 'ferry';

let build: Promise<string> | undefined;
/** `<package version>+<12 hex of the workflow bundle's sha256>`: two workers agree iff their workflow code does. */
export function ferryBuildId(): Promise<string> {
  build ??= (async () => {
    const b = await workflowBundle();
    const code = 'code' in b ? b.code : readFileSync(b.codePath, 'utf8');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    return `${pkg.version}+${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
  })();
  return build;
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
