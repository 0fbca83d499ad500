// The listener: option checks, createServer with its timeouts, connection tracking, and a graceful close().
import cluster from 'node:cluster';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';

import { isLoopback, sha256 } from './auth.js';
import { startCluster } from './cluster.js';
import type { Ctx } from './context.js';
import { FileServerError, FileServerErrorCode } from './errors.js';
import { divertConnections } from './fast-path.js';
import { handle } from './handle.js';
import { failRequest } from './respond.js';
import { endSocket } from './sockets.js';
import type { FileServer, FileServerOptions } from './types.js';

/** Starts serving `opts.root`; resolves once the socket is listening. */
export async function startFileServer(opts: FileServerOptions): Promise<FileServer> {
  const bind = opts.bind ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const dotfiles = opts.dotfiles ?? 'deny';
  const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const log = opts.log ?? (() => {});
  const workers = opts.workers ?? 1;

  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FileServerError(
      `port must be an integer in 0..65535, got ${port}`,
      FileServerErrorCode.InvalidOptions,
    );
  }
  if (dotfiles !== 'deny' && dotfiles !== 'allow') {
    throw new FileServerError(`dotfiles must be 'deny' or 'allow'`, FileServerErrorCode.InvalidOptions);
  }
  if (!Number.isInteger(headersTimeoutMs) || headersTimeoutMs <= 0) {
    throw new FileServerError(
      'headersTimeoutMs must be a positive integer',
      FileServerErrorCode.InvalidOptions,
    );
  }
  if (!Number.isInteger(closeTimeoutMs) || closeTimeoutMs < 0) {
    throw new FileServerError(
      'closeTimeoutMs must be a non-negative integer',
      FileServerErrorCode.InvalidOptions,
    );
  }
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new FileServerError(
      `workers must be an integer in 1..${MAX_WORKERS}, got ${workers}`,
      FileServerErrorCode.InvalidOptions,
    );
  }
  if (opts.token !== undefined && opts.token.length === 0) {
    throw new FileServerError('token must not be empty', FileServerErrorCode.InvalidOptions);
  }
  if (opts.token === undefined && !isLoopback(bind)) {
    throw new FileServerError(
      `refusing to serve on ${bind} without a token: that address is reachable from other hosts. ` +
        `Pass a token (clients then send "Authorization: Bearer <token>") or bind to 127.0.0.1.`,
      FileServerErrorCode.TokenRequired,
    );
  }

  let realRoot: string;
  try {
    realRoot = await realpath(path.resolve(opts.root));
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new FileServerError(
      `root ${opts.root} is not a readable directory: ${(err as Error).message}`,
      FileServerErrorCode.InvalidRoot,
    );
  }

  // A cluster worker is itself a single-process server (cluster-worker.ts starts it with workers: 1).
  if (workers > 1 && cluster.isPrimary) return startCluster(opts, workers, realRoot, log);

  const ctx: Ctx = {
    realRoot,
    rootPrefix: realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep,
    denyDotfiles: dotfiles === 'deny',
    // Hashing both sides gives equal-length buffers for timingSafeEqual, so not even the length leaks.
    tokenDigest: opts.token === undefined ? undefined : sha256(opts.token),
    // DNS rebinding: a web page can point its own host name at 127.0.0.1 and read a loopback server that has
    // no credentials. Such requests carry the attacker's name in Host, so without a token we only accept
    // IP literals and this machine's own names.
    checkHost: opts.token === undefined,
    stats: { requests: 0, bytesSent: 0, activeConnections: 0, fastRequests: 0 },
    closing: false,
    log,
    inFlight: new Map(),
  };

  const server = createServer(
    {
      // A client on the same LAN sends its request head in one segment within milliseconds; 10 s still
      // allows for a few TCP retransmissions, and frees a slowloris connection quickly.
      headersTimeout: headersTimeoutMs,
      // GET/HEAD have no body, so once the head is in the request is complete; this only bounds clients that
      // trickle a body we will never read. It does not limit how long a response takes to download.
      requestTimeout: Math.max(headersTimeoutMs, REQUEST_TIMEOUT_MS),
      // Node checks both timeouts only on this interval (30 s by default), which would let a slow client hold
      // its socket for headersTimeout + 30 s. A sweep over a few hundred connections per second is nothing.
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(headersTimeoutMs / 4))),
      // Longer than the idle time after which clients reuse or drop pooled sockets (undici 4 s, Go 90 s but it
      // retries, nginx upstream 60 s, cloud LBs 60 s), so we are never the side closing a socket the client
      // is just about to reuse, which would surface as ECONNRESET on an idempotent GET.
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      noDelay: true,
    },
    (req, res) => {
      ctx.stats.requests++;
      trackRequest(ctx, req, res);
      try {
        handle(ctx, req, res)?.catch((err: unknown) => failRequest(ctx, res, err));
      } catch (err) {
        failRequest(ctx, res, err);
      }
    },
  );
  // Plain GETs of small files skip node:http's per-request machinery (fast-path.ts says why it is safe).
  if (opts.fastPath ?? true) {
    divertConnections(server, ctx, {
      idleTimeoutMs: SOCKET_IDLE_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    });
  }
  // A client that stops reading a response would otherwise pin its socket and file descriptor forever.
  server.timeout = SOCKET_IDLE_TIMEOUT_MS;
  // Caps descriptors (a socket and a file each) far above the 500 concurrent downloads we plan for.
  server.maxConnections = MAX_CONNECTIONS;

  server.on('connection', (socket: Socket) => {
    if (ctx.closing) {
      socket.destroy();
      return;
    }
    ctx.inFlight.set(socket, 0);
    ctx.stats.activeConnections++;
    socket.once('close', () => {
      ctx.inFlight.delete(socket);
      ctx.stats.activeConnections--;
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // The kernel caps the backlog at net.core.somaxconn (4096 on current kernels); 511 (Node's default) is
    // below a burst of 500 new connections plus stragglers.
    server.listen({ host: bind, port, backlog: LISTEN_BACKLOG });
  });
  server.on('error', (err) => log(`file server error: ${err.message}`));

  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${urlHost(bind)}:${boundPort}/`;
  log(`serving ${realRoot} at ${url}${ctx.tokenDigest ? ' (token required)' : ''}`);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      ctx.closing = true;
      const force = setTimeout(() => {
        log(`closing: destroying ${ctx.inFlight.size} connection(s) still busy after ${closeTimeoutMs} ms`);
        for (const socket of ctx.inFlight.keys()) socket.destroy();
      }, closeTimeoutMs);
      force.unref();
      // We track idleness ourselves: Node's closeIdleConnections() (called by server.close()) skips sockets
      // that are connected but have not sent a request yet, which pooling clients such as undici open ahead
      // of time; those would hold close() for headersTimeout. Busy sockets follow when their response is done.
      for (const [socket, n] of ctx.inFlight) if (n === 0) endSocket(socket);
      server.close(() => {
        clearTimeout(force);
        // The listener reports closed once its connection count is zero, a tick before the sockets emit
        // 'close'; wait for those too, so that stats() reads zero once close() has resolved.
        const last = [...ctx.inFlight.keys()].map(
          (socket) => new Promise((done) => socket.once('close', done)),
        );
        void Promise.all(last).then(() => {
          log(`closed ${url}`);
          resolve();
        });
      });
    });
    return closed;
  };

  return {
    url,
    port: boundPort,
    root: realRoot,
    close,
    stats: () => ({ ...ctx.stats }),
  };
}

// --- internal ---

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Long enough for a client busy writing a large object to its bucket, short enough to reclaim dead peers. */
const SOCKET_IDLE_TIMEOUT_MS = 120_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 4096;
const LISTEN_BACKLOG = 1024;
const MAX_WORKERS = 64;

function trackRequest(ctx: Ctx, req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  ctx.inFlight.set(socket, (ctx.inFlight.get(socket) ?? 0) + 1);
  res.once('close', () => {
    const n = (ctx.inFlight.get(socket) ?? 1) - 1;
    if (!ctx.inFlight.has(socket)) return; // socket already closed
    ctx.inFlight.set(socket, n);
    // server.close() does not end a keep-alive socket whose response finishes after it was called.
    if (ctx.closing && n === 0) endSocket(socket);
  });
}

function urlHost(bind: string): string {
  // A wildcard address is not something another host can connect to; our host name is the best guess.
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') return osHostname();
  return isIP(bind) === 6 ? `[${bind}]` : bind;
}
