// `workers > 1`: N processes serving one listening socket (node:cluster), so that the second core serves too.
// This process forks them and hands out connections; each worker is an ordinary single-process server
// (cluster-worker.ts) started with the options already checked here.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';

import { FileServerError, FileServerErrorCode } from './errors.js';
import type { FileServer, FileServerOptions, FileServerStats } from './types.js';

/** Messages between this process and its workers (IPC, JSON). */
export type ToWorker =
  { type: 'start'; opts: Omit<FileServerOptions, 'log' | 'workers'> } | { type: 'close' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'listening'; url: string; port: number }
  | { type: 'log'; line: string }
  | { type: 'stats'; stats: FileServerStats }
  | { type: 'failed'; message: string; code?: string };

/** Interval at which workers report their counters; {@link FileServer.stats} is that much behind at most. */
export const STATS_INTERVAL_MS = 250;

export async function startCluster(
  opts: FileServerOptions,
  workers: number,
  realRoot: string,
  log: (line: string) => void,
): Promise<FileServer> {
  const { log: _log, workers: _workers, ...rest } = opts;
  void _log;
  void _workers;
  // The scheduling policy and the entry are process-wide settings of node:cluster; a ferry process runs at most
  // one file server, and nothing else of ours forks cluster workers.
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)), args: [] });

  const stats = new Map<Worker, FileServerStats>();
  // Counters of workers that have exited (closed, or crashed and replaced): requests and bytes stay counted.
  const retired: FileServerStats = { requests: 0, bytesSent: 0, activeConnections: 0, fastRequests: 0 };
  const exited = new Map<Worker, Promise<void>>();
  let closing = false;

  const fork = (): Promise<{ worker: Worker; url: string; port: number }> => {
    const worker = cluster.fork();
    exited.set(worker, new Promise((resolve) => worker.once('exit', () => resolve())));
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (m: FromWorker) => {
        // Every worker asks for the same port, 0 included: node:cluster keys the shared socket by the port
        // asked for, so listen(0) in each worker lands on the one socket the first listen created.
        if (m.type === 'ready') worker.send({ type: 'start', opts: rest } satisfies ToWorker);
        else if (m.type === 'listening') {
          started = true;
          resolve({ worker, url: m.url, port: m.port });
        } else if (m.type === 'log') log(`worker ${worker.id}: ${m.line}`);
        else if (m.type === 'stats') stats.set(worker, m.stats);
        else if (m.type === 'failed')
          reject(
            new FileServerError(
              m.message,
              (m.code as FileServerErrorCode) ?? FileServerErrorCode.InvalidRoot,
            ),
          );
      });
      worker.once('exit', (code, signal) => {
        const last = stats.get(worker);
        if (last) {
          retired.requests += last.requests;
          retired.bytesSent += last.bytesSent;
          retired.fastRequests += last.fastRequests;
        }
        stats.delete(worker);
        if (!started) {
          reject(new Error(`file server worker exited during start (${signal ?? code})`));
          return;
        }
        if (closing) return;
        // A crashed worker is replaced; what it did since its last report is not counted.
        log(`worker ${worker.id} exited (${signal ?? code}); starting another`);
        void fork().catch((err: Error) => log(`could not replace worker: ${err.message}`));
      });
    });
  };

  const first = await fork().catch(async (err: unknown) => {
    await Promise.all(exited.values());
    throw err;
  });
  const others = await Promise.allSettled(Array.from({ length: workers - 1 }, () => fork()));
  const failed = others.find((r) => r.status === 'rejected');
  if (failed) {
    closing = true;
    for (const w of exited.keys()) w.send({ type: 'close' } satisfies ToWorker);
    await Promise.all(exited.values());
    throw failed.reason;
  }
  const url = first.url;
  log(
    `serving ${realRoot} at ${url} with ${workers} worker processes${opts.token ? ' (token required)' : ''}`,
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    port: first.port,
    root: realRoot,
    close() {
      closed ??= (async () => {
        closing = true;
        for (const w of exited.keys()) if (w.isConnected()) w.send({ type: 'close' } satisfies ToWorker);
        await Promise.all(exited.values());
        log(`closed ${url}`);
      })();
      return closed;
    },
    stats() {
      const sum: FileServerStats = { ...retired };
      for (const s of stats.values()) {
        sum.requests += s.requests;
        sum.bytesSent += s.bytesSent;
        sum.activeConnections += s.activeConnections;
        sum.fastRequests += s.fastRequests;
      }
      return sum;
    },
  };
}
