// serveDirectory (step 1): runs ferry's file server on the data host for as long as the migration needs it.
// Long-running: heartbeats every few seconds; if this worker dies the heartbeat times out and Temporal starts
// the activity again (on any worker of the host queue), which tries to re-bind the same port so the batches'
// origin URL stays valid. Stops when the workflow cancels it.
import { realpath, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ErrorType } from '../common/errors.js';
import { isLoopback } from '../lib/file-server/auth.js';
import { startFileServer, type FileServer } from '../lib/file-server/index.js';
import { serveToken } from '../lib/serve-token.js';

export interface ServeDirectoryInput {
  root: string;
  /** Workflow to notify (originReadySignal) once the server listens. */
  workflowId: string;
  bind?: string;
}

export const ORIGIN_READY_SIGNAL = 'originReady';
const HEARTBEAT_MS = 2000;
/** Check every 5th heartbeat (10 s) that the migration is still running. */
const MIGRATION_CHECK_EVERY = 5;

async function migrationRunning(client: () => Promise<Client>, workflowId: string): Promise<boolean> {
  try {
    const desc = await (await client()).workflow.getHandle(workflowId).describe();
    return desc.status.name === 'RUNNING';
  } catch (err) {
    // Not found means gone; anything else (server briefly unreachable) is not a reason to stop serving.
    return !(err instanceof Error && err.name === 'WorkflowNotFoundError');
  }
}

export interface ServeDeps {
  serveRoot?: string;
  client?: () => Promise<Client>;
  /** Host name put in the served URL (other hosts fetch from it). @default 127.0.0.1 */
  advertiseHost?: string;
  bind?: string;
  /** File servers running now; the worker plugin closes what is left when its worker stops. */
  openServers?: Set<{ close(): Promise<void> }>;
  /** FERRY_SERVE_SECRET: the server requires the job's token derived from it (lib/serve-token.ts). */
  serveSecret?: string;
  /** Processes sharing the file server's socket (FERRY_SERVE_PROCESSES). @default 1 */
  serveProcesses?: number;
}

export function makeServeDirectory(deps: ServeDeps) {
  return async function serveDirectory(
    input: ServeDirectoryInput,
  ): Promise<{ requests: number; bytesSent: number }> {
    const ctx = Context.current();
    const root = await checkRoot(input.root, deps.serveRoot);
    const prev = ctx.info.heartbeatDetails as { port?: number } | undefined;
    const bind = input.bind ?? deps.bind ?? '127.0.0.1';
    if (!deps.serveSecret && !isLoopback(bind)) {
      // Without a token anyone who reaches the address could read the directory; retrying cannot help.
      throw ApplicationFailure.create({
        type: ErrorType.ServeFailed,
        message:
          `this worker (${hostname()}) would serve on ${bind}, which other hosts reach, without a token: ` +
          'set the same FERRY_SERVE_SECRET on every worker (data host and copy hosts)',
        nonRetryable: true,
      });
    }
    // The job's token, derived on both ends and never passed through the workflow (lib/serve-token.ts).
    const token = deps.serveSecret ? serveToken(deps.serveSecret, input.workflowId) : undefined;
    const common = { root, bind, workers: deps.serveProcesses ?? 1, ...(token ? { token } : {}) };
    let server: FileServer;
    try {
      server = await startFileServer({ ...common, port: prev?.port ?? 0 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      server = await startFileServer({ ...common, port: 0 });
    }
    deps.openServers?.add(server);
    try {
      const host = deps.advertiseHost ?? (bind === '0.0.0.0' || bind === '::' ? hostname() : bind);
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}/`;
      ctx.heartbeat({ port: server.port, url });
      if (deps.client) {
        const client = await deps.client();
        await client.workflow.getHandle(input.workflowId).signal(ORIGIN_READY_SIGNAL, { url });
      }
      let beats = 0;
      for (;;) {
        try {
          await ctx.sleep(HEARTBEAT_MS);
        } catch (err) {
          if (err instanceof CancelledFailure) break;
          throw err;
        }
        ctx.heartbeat({ port: server.port, url, ...server.stats() });
        // The serve child is abandoned by design (it outlives continue-as-new); if its migration ended
        // without cancelling it (terminated, timed out), stop serving on our own.
        if (
          deps.client &&
          ++beats % MIGRATION_CHECK_EVERY === 0 &&
          !(await migrationRunning(deps.client, input.workflowId))
        )
          break;
      }
      // Closed first (close() is idempotent): the counters of several processes are final only then.
      await server.close();
      const stats = server.stats();
      return { requests: stats.requests, bytesSent: stats.bytesSent };
    } finally {
      deps.openServers?.delete(server);
      await server.close();
    }
  };
}

// --- internal ---
async function checkRoot(root: string, serveRoot: string | undefined): Promise<string> {
  if (!serveRoot) {
    throw ApplicationFailure.create({
      type: ErrorType.ServeRootDenied,
      message: `this worker (${hostname()}) serves no directory: start it with --serve-root covering ${root}`,
      nonRetryable: true,
    });
  }
  let real: string;
  try {
    real = await realpath(root);
    if (!(await stat(real)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw ApplicationFailure.create({
      type: ErrorType.InvalidInput,
      message: `cannot serve ${root} on ${hostname()}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      nonRetryable: true,
    });
  }
  const allowed = await realpath(serveRoot);
  if (!(real === allowed || real.startsWith(allowed.endsWith('/') ? allowed : `${allowed}/`))) {
    throw ApplicationFailure.create({
      type: ErrorType.ServeRootDenied,
      message: `${root} is outside this worker's --serve-root ${serveRoot}`,
      nonRetryable: true,
    });
  }
  return real;
}
