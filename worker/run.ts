// `ferry worker`: polls the shared copy queue and, with --serve-root, this host's own queue on which the
// migration runs step 1 (serveDirectory). Also used in-process by `ferry migrate` and `--wait`.
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { trace } from '../lib/trace.js';
import { reclaimDeadAttempts } from './reclaim.js';
import { DEFAULT_TASK_QUEUE, hostQueueName } from '../common/queues.js';
import { createFerryWorker, installRuntime } from './index.js';

export interface RunWorkerOptions {
  address: string;
  namespace: string;
  /** Temporal connection settings other than address (TLS, API key) from envconfig. */
  connectionOptions?: Record<string, unknown>;
  taskQueue?: string;
  serveRoot?: string;
  hostQueue?: string;
  advertiseHost?: string;
  bind?: string;
  maxConcurrentActivities?: number;
  /** Serve Prometheus metrics on this port (worker/index.ts installRuntime); the process's first runtime. */
  metricsPort?: number;
  /** Where to report reclaimed attempts (worker/reclaim.ts). */
  log?: (m: string) => void;
}

export interface RunningWorkers {
  workers: Worker[];
  /** Resolves when all workers stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorkers(opts: RunWorkerOptions): Promise<RunningWorkers> {
  installRuntime(undefined, opts.metricsPort);
  trace('worker: connect');
  const native = await NativeConnection.connect({ ...(opts.connectionOptions ?? {}), address: opts.address });
  trace('worker: create');
  let clientConn: Promise<Connection> | undefined;
  const client = async () => {
    clientConn ??= Connection.connect({ ...(opts.connectionOptions ?? {}), address: opts.address });
    return new Client({ connection: await clientConn, namespace: opts.namespace });
  };
  const common = {
    connection: native,
    namespace: opts.namespace,
    client,
    ...(opts.advertiseHost ? { advertiseHost: opts.advertiseHost } : {}),
    ...(opts.bind ? { bind: opts.bind } : {}),
  };
  const workers: Worker[] = [
    await createFerryWorker({
      ...common,
      taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
      ...(opts.maxConcurrentActivities
        ? { maxConcurrentActivityTaskExecutions: opts.maxConcurrentActivities }
        : {}),
    }),
  ];
  if (opts.serveRoot) {
    workers.push(
      await createFerryWorker({
        ...common,
        serveRoot: opts.serveRoot,
        taskQueue: opts.hostQueue ?? hostQueueName(hostname()),
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    await native.close();
    if (clientConn) await (await clientConn).close();
  });
  // Attempts left running by a worker of this host that died are handed back now, not after their heartbeat
  // timeouts (worker/reclaim.ts). In the background: it is an optimisation and must not delay polling.
  void client()
    .then((c) =>
      reclaimDeadAttempts({
        client: c,
        namespace: opts.namespace,
        taskQueues: [
          opts.taskQueue ?? DEFAULT_TASK_QUEUE,
          ...(opts.serveRoot ? [opts.hostQueue ?? hostQueueName(hostname())] : []),
        ],
        ...(opts.log ? { log: opts.log } : {}),
      }),
    )
    .catch((err: unknown) =>
      opts.log?.(`could not reclaim dead workers' attempts: ${(err as Error).message}`),
    );
  return {
    workers,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
