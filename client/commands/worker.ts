// `ferry worker`: the copy queue, plus this host's queue when --serve-root is given.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { hostQueueName } from '../../common/queues.js';
import { CLIError } from '../errors.js';
import { parseIntOption } from '../format.js';
import { taskQueueOf } from '../job-options.js';
import { readVar } from '../../lib/env.js';
import { trace } from '../../lib/trace.js';
import { isLoopback } from '../../lib/file-server/auth.js';

/** The runtime binds the metrics port in its own thread and cannot report a busy one: check it first. */
async function checkPortFree(port: number): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CLIError(`--metrics-port ${port}: ${err.code === 'EADDRINUSE' ? 'already in use' : err.message}`),
      ),
    );
    s.listen(port, '0.0.0.0', () => s.close(() => resolve()));
  });
}

interface WorkerOpts {
  serveRoot?: string;
  taskQueue?: string;
  hostQueue?: string;
  advertiseHost?: string;
  bind?: string;
  maxActivities: string;
  metricsPort?: string;
  processes: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description("run a worker: the copy queue, plus this host's queue when --serve-root is given")
    .option('--serve-root <dir>', 'directories under this one may be served to migrations (step 1)')
    .option('--task-queue <name>', 'copy task queue (env FERRY_TASK_QUEUE)')
    .option('--host-queue <name>', `this host's queue (default ${hostQueueName(hostname())})`)
    .option('--advertise-host <host>', 'host name other workers use to reach the file server')
    .option('--bind <addr>', 'file server bind address (non-loopback requires a token)')
    .option('--max-activities <n>', 'concurrent activities on the copy queue', '16')
    .option(
      '--processes <n>',
      'worker processes on the copy queue, each on its own core (`auto`: one per core); the others copy only',
      '1',
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on this port, all interfaces (env FERRY_METRICS_PORT)',
    )
    .action(async (o: WorkerOpts) => {
      const serveRoot = o.serveRoot ? resolve(o.serveRoot) : undefined;
      if (serveRoot && !(existsSync(serveRoot) && statSync(serveRoot).isDirectory()))
        throw new CLIError(`--serve-root ${serveRoot} is not a directory`);
      // Off loopback the file server requires a token, derived from the shared secret (lib/serve-token.ts):
      // refuse here, once, rather than fail every migration's step 1.
      if (serveRoot && o.bind && !isLoopback(o.bind) && !readVar('FERRY_SERVE_SECRET'))
        throw new CLIError(
          `--bind ${o.bind} is reachable from other hosts: set FERRY_SERVE_SECRET (the same on every worker) so the file server requires a per-job token`,
        );
      const maxConcurrentActivities = parseIntOption(o.maxActivities, '--max-activities', 1, 1024);
      const processes =
        o.processes === 'auto' ? availableParallelism() : parseIntOption(o.processes, '--processes', 1, 64);
      const metricsPort =
        o.metricsPort !== undefined
          ? parseIntOption(o.metricsPort, '--metrics-port', 1, 65535)
          : readVar('FERRY_METRICS_PORT');
      if (metricsPort !== undefined) await checkPortFree(metricsPort);
      // A malformed FERRY_ORIGIN_TOKENS stops the worker here, in one line, not each batch later.
      (await import('../../lib/origin-auth.js')).originAuth('http://localhost/');
      // Checked above, in the launcher, so bad options fail once; the worker itself runs in a child process with
      // a bounded heap (worker/launcher.ts).
      const launcher = await import('../../worker/launcher.js');
      launcher.followLauncher();
      const heapMiB = launcher.heapLimitMiB();
      if (heapMiB !== undefined) await launcher.relaunch(heapMiB, (m) => console.error(`ferry worker: ${m}`));
      const { isConnectFailure, resolveTemporal, unreachable } = await import('../connection.js');

      trace('worker: load');
      const { startWorkers } = await import('../../worker/run.js');
      trace('worker: resolve');
      const r = await resolveTemporal({ log: (m) => console.error(m) });
      const taskQueue = taskQueueOf(o);
      const w = await startWorkers({
        address: r.address,
        namespace: r.namespace,
        connectionOptions: r.connectionOptions as Record<string, unknown>,
        taskQueue,
        maxConcurrentActivities,
        ...(metricsPort !== undefined ? { metricsPort } : {}),
        ...(serveRoot ? { serveRoot } : {}),
        ...(o.hostQueue ? { hostQueue: o.hostQueue } : {}),
        ...(o.advertiseHost ? { advertiseHost: o.advertiseHost } : {}),
        ...(o.bind ? { bind: o.bind } : {}),
        log: (m) => console.error(`ferry worker: ${m}`),
      }).catch((err: unknown) => {
        throw isConnectFailure(err) ? unreachable(r.address, err) : err;
      });
      // Before the banner: whoever waits for it (a test, a supervisor's readiness check, a person about to press
      // Ctrl-C) may signal at once, and a SIGINT without a handler kills the worker instead of stopping it.
      let copies: { shutdown(): Promise<void>; pids(): number[] } | undefined = undefined;
      const stop = () => void Promise.all([w.shutdown(), copies?.shutdown()]);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      console.error(
        `ferry worker: ${r.address} namespace ${r.namespace}, queue ${taskQueue}` +
          (serveRoot
            ? `, host queue ${o.hostQueue ?? hostQueueName(hostname())} serving under ${serveRoot}`
            : '') +
          (metricsPort !== undefined ? `, metrics on :${metricsPort}/metrics` : ''),
      );
      // The other processes start once this one runs: a bad server address fails here, once, not N times.
      copies =
        processes > 1
          ? (await import('../../worker/processes.js')).startCopyProcesses(
              processes - 1,
              process.argv[1]!,
              ['--task-queue', taskQueue, '--max-activities', String(maxConcurrentActivities)],
              (m) => console.error(`ferry worker: ${m}`),
            )
          : undefined;
      if (copies)
        console.error(`ferry worker: ${processes} processes (copy-only pids ${copies.pids().join(', ')})`);
      await w.done;
      await copies?.shutdown();
    });
}
