/**
 * Step 1 of a migration: serve a directory over HTTP/1.1 so that step 2 (and rclone, wget, aria2, curl) can
 * download named files from it.
 *
 * It is `python -m http.server` with what that one lacks for this job: keep-alive, Range requests, validators
 * for conditional GETs, a listing other tools can parse, a hard boundary at `root`, and a bearer token when it
 * is reachable from other hosts. It is the origin of our benchmarks, so the hot path does no synchronous fs
 * call and streams with large reads.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { InputError } from '../../common/errors.js';

/** Options of {@link startFileServer}. */
export interface FileServerOptions {
  /** Directory to serve. Nothing outside it (after resolving symlinks) is ever served. */
  root: string;
  /**
   * Address to listen on. Anything but a loopback address requires {@link FileServerOptions.token}.
   * @default '127.0.0.1'
   */
  bind?: string;
  /** TCP port; 0 picks an ephemeral one (read it back from {@link FileServer.port}). @default 0 */
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Whether names starting with `.` (and everything below a dot-directory) are served. @default 'deny' */
  dotfiles?: 'deny' | 'allow';
  /** Receives one line per notable event (start, close, server-side errors); never per request. */
  log?: (line: string) => void;
  /**
   * Time a client has to send the complete request head. Exposed so tests can use a short one.
   * @default 10_000
   */
  headersTimeoutMs?: number;
  /**
   * How long {@link FileServer.close} lets in-flight responses finish before it destroys their sockets.
   * @default 10_000
   */
  closeTimeoutMs?: number;
}

/** A running server, as returned by {@link startFileServer}. */
export interface FileServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:51061/`. */
  readonly url: string;
  readonly port: number;
  /** The real path (symlinks resolved) of the served directory. */
  readonly root: string;
  /**
   * Stops accepting connections, closes idle keep-alive sockets at once and the others as soon as their
   * response is done (or after `closeTimeoutMs`), and resolves when the listener is closed. Idempotent.
   */
  close(): Promise<void>;
  stats(): FileServerStats;
}

export interface FileServerStats {
  /** Requests received, whatever their outcome. */
  requests: number;
  /** Response body bytes handed to sockets (headers not included; an aborted download counts what was read). */
  bytesSent: number;
  activeConnections: number;
}

export const FileServerErrorCode = {
  /** Options are malformed (bad port, empty token, ...). */
  InvalidOptions: 'FERRY_ERR_FILESERVER_OPTIONS',
  /** `bind` is reachable from other hosts but no token was given. */
  TokenRequired: 'FERRY_ERR_FILESERVER_TOKEN_REQUIRED',
  /** `root` does not exist or is not a directory. */
  InvalidRoot: 'FERRY_ERR_FILESERVER_ROOT',
} as const;
export type FileServerErrorCode = (typeof FileServerErrorCode)[keyof typeof FileServerErrorCode];

/** Raised by {@link startFileServer} for configuration mistakes; callers branch on `code`. */
export class FileServerError extends InputError {
  override readonly name = 'FileServerError';
  constructor(
    message: string,
    override readonly code: FileServerErrorCode,
  ) {
    super(code, message);
  }
}

/** Outcome of {@link resolveSafePath}. */
export type SafePath =
  | {
      ok: true;
      /** Absolute filesystem path inside root (symlinks not yet resolved). */
      fsPath: string;
      /** Decoded, normalised URL path: `/`, `/a/b`, or `/a/b/` when a directory was asked for. */
      urlPath: string;
      /** Decoded path segments, empty ones (from `//`) dropped. */
      segments: readonly string[];
      /** The request path ended in `/`: the client asked for a directory listing. */
      directory: boolean;
      /** Some segment starts with `.` (a dotfile or something below a dot-directory). */
      hidden: boolean;
    }
  | { ok: false; status: 400; reason: string };

/**
 * Maps the path of a request target (still percent-encoded; a query or fragment is cut off) to a path under
 * `root`. Pure string logic: it neither touches the filesystem nor resolves symlinks, so the caller must
 * still check the real path of what it opens.
 *
 * The path is decoded exactly once, and `..`/`.` segments, NUL and backslashes are rejected *after*
 * decoding. That makes `%2e%2e`, `..%2f` and `%5c` harmless, while a double-encoded `%252e%252e` becomes a
 * literal file name `%2e%2e` (most likely a 404) rather than a second chance at traversal.
 */
export function resolveSafePath(root: string, urlPath: string): SafePath {
  let end = urlPath.length;
  const q = urlPath.indexOf('?');
  if (q !== -1) end = q;
  const h = urlPath.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const raw = urlPath.slice(0, end);
  if (!raw.startsWith('/')) return bad('path must start with /');

  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return bad('malformed percent-encoding');
  }
  if (decoded.includes('\0')) return bad('NUL in path');
  // A backslash is a separator on Windows and has no business in a dataset's object names.
  if (decoded.includes('\\')) return bad('backslash in path');

  const segments: string[] = [];
  let hidden = false;
  for (const seg of decoded.split('/')) {
    if (seg === '') continue;
    // Clients normalise dot segments before sending, so one that arrives is a probe, not a name.
    if (seg === '.' || seg === '..') return bad('dot segment in path');
    if (seg.startsWith('.')) hidden = true;
    segments.push(seg);
  }

  const base = path.resolve(root);
  const fsPath = segments.length === 0 ? base : path.join(base, ...segments);
  // Belt and braces: with the checks above this cannot fail, but it is the invariant the server relies on.
  if (!isInside(base, fsPath)) return bad('path escapes root');

  const directory = decoded.endsWith('/');
  const joined = '/' + segments.join('/');
  return {
    ok: true,
    fsPath,
    urlPath: directory && segments.length > 0 ? joined + '/' : joined,
    segments,
    directory,
    hidden,
  };
}

/** Starts serving `opts.root`; resolves once the socket is listening. */
export async function startFileServer(opts: FileServerOptions): Promise<FileServer> {
  const bind = opts.bind ?? '127.0.0.1';
  const port = opts.port ?? 0;
  const dotfiles = opts.dotfiles ?? 'deny';
  const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const closeTimeoutMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const log = opts.log ?? (() => {});

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
    stats: { requests: 0, bytesSent: 0, activeConnections: 0 },
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
      handle(ctx, req, res).catch((err: unknown) => failRequest(ctx, res, err));
    },
  );
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
/**
 * Read size of file streams. Large reads keep syscalls and stream bookkeeping per byte low: measured here
 * (bench/file-server.ts, 4 x 256 MiB, 4 concurrent, 2 vCPU) 64 KiB reads gave ~730 MiB/s, 1 MiB ~1,050 MiB/s.
 */
const READ_CHUNK = 1024 * 1024;
/**
 * Files (or ranges) up to this size are read into one buffer and sent with one write: ~30% more files/s
 * than a stream for 64 KiB files in the same benchmark. The bound caps memory at 256 KiB per request.
 */
const SMALL_FILE_MAX = 256 * 1024;
/** Any real single-range header fits; longer ones are multi-range or hostile and are ignored (RFC 9110 14.2). */
const MAX_RANGE_HEADER = 200;
/** Directory entries stat'ed at once when listing; bounds descriptors and threadpool queueing. */
const LISTING_CONCURRENCY = 32;

interface Ctx {
  realRoot: string;
  rootPrefix: string;
  denyDotfiles: boolean;
  tokenDigest: Buffer | undefined;
  checkHost: boolean;
  stats: FileServerStats;
  closing: boolean;
  log: (line: string) => void;
  /** Every open socket and how many of its requests have not finished their response yet. */
  inFlight: Map<Socket, number>;
}

/** Ends a socket once its buffered writes (the tail of the last response) are flushed. */
function endSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end();
}

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

function bad(reason: string): SafePath {
  return { ok: false, status: 400, reason };
}

function isInside(base: string, p: string): boolean {
  if (p === base) return true;
  return p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function urlHost(bind: string): string {
  // A wildcard address is not something another host can connect to; our host name is the best guess.
  if (bind === '0.0.0.0' || bind === '::' || bind === '[::]') return osHostname();
  return isIP(bind) === 6 ? `[${bind}]` : bind;
}

function hostAllowed(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  let name = hostHeader.toLowerCase();
  if (name.startsWith('[')) return true; // an IPv6 literal
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  const own = osHostname().toLowerCase();
  return name === own || name === own.split('.')[0];
}

function authorized(ctx: Ctx, header: string | undefined): boolean {
  if (ctx.tokenDigest === undefined) return true;
  if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ')
    return false;
  return timingSafeEqual(sha256(header.slice(7).trim()), ctx.tokenDigest);
}

async function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.requests++;
  trackRequest(ctx, req, res);
  // Requests pipelined on a busy socket while we close get their answer, then the socket goes.
  if (ctx.closing) res.shouldKeepAlive = false;

  if (ctx.checkHost && !hostAllowed(req.headers.host)) {
    return sendText(ctx, req, res, 403, 'Forbidden: unexpected Host header; use an IP address or localhost');
  }
  if (!authorized(ctx, req.headers.authorization)) {
    return sendText(ctx, req, res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="ferry"' });
  }
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    return sendText(ctx, req, res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  }

  const target = req.url ?? '/';
  const safe = resolveSafePath(ctx.realRoot, target);
  if (!safe.ok) return sendText(ctx, req, res, 400, 'Bad Request');
  if (safe.hidden && ctx.denyDotfiles) return sendText(ctx, req, res, 404, 'Not Found');

  // Resolve symlinks of the target only: the root's real path was computed once at start. The native
  // realpath is a single threadpool call, cheaper than an lstat per segment from JavaScript.
  // (A local user who can swap path components between this check and open() could race it; our threat is
  // the HTTP client, who cannot.)
  let real: string;
  try {
    real = safe.segments.length === 0 ? ctx.realRoot : await realpath(safe.fsPath);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  if (real !== ctx.realRoot && !real.startsWith(ctx.rootPrefix)) {
    return sendText(ctx, req, res, 403, 'Forbidden');
  }
  // A symlink with an innocent name may point at a dotfile inside root.
  if (ctx.denyDotfiles && hasHiddenSegment(real.slice(ctx.rootPrefix.length))) {
    return sendText(ctx, req, res, 404, 'Not Found');
  }

  if (safe.directory) return sendListing(ctx, req, res, safe, real, target);

  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise block a threadpool thread until a writer shows up. It has no
    // effect on reads of regular files, which are all we serve.
    fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  await sendFile(ctx, req, res, fh, safe);
}

function hasHiddenSegment(rel: string): boolean {
  if (rel.startsWith('.')) return true;
  return rel.includes(path.sep + '.');
}

async function sendFile(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  fh: FileHandle,
  safe: Extract<SafePath, { ok: true }>,
): Promise<void> {
  let handedOff = false;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) {
      // Relative links in the listing only work below a slash. Built from the normalised segments, never
      // from the raw target: `//evil.example` must not become a protocol-relative redirect.
      const query = queryOf(req.url ?? '');
      const location = '/' + safe.segments.map(encodeURIComponent).join('/') + '/' + query;
      return sendText(ctx, req, res, 301, 'Moved Permanently', { Location: location });
    }
    if (!st.isFile()) return sendText(ctx, req, res, 403, 'Forbidden');

    const size = st.size;
    const etag = `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`;
    const lastModified = new Date(st.mtimeMs).toUTCString();

    if (notModified(req, etag, st.mtimeMs)) {
      res.writeHead(304, { ETag: etag, 'Last-Modified': lastModified, 'Accept-Ranges': 'bytes' });
      res.end();
      return;
    }

    const headers: OutgoingHttpHeaders = {
      'Content-Type': contentType(safe.segments[safe.segments.length - 1] ?? ''),
      'Content-Length': size,
      'Last-Modified': lastModified,
      ETag: etag,
      'Accept-Ranges': 'bytes',
      'X-Content-Type-Options': 'nosniff',
    };
    let status = 200;
    let start = 0;
    let end = size - 1;
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined && ifRangeHolds(req.headers['if-range'], etag, lastModified)) {
      const range = parseRange(rangeHeader, size);
      if (range === 'unsatisfiable') {
        return sendText(ctx, req, res, 416, 'Range Not Satisfiable', {
          'Content-Range': `bytes */${size}`,
          'Accept-Ranges': 'bytes',
        });
      }
      if (range !== undefined) {
        status = 206;
        start = range.start;
        end = range.end;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
        headers['Content-Length'] = end - start + 1;
      }
    }

    const length = end - start + 1;
    if (req.method === 'HEAD' || length <= 0) {
      res.writeHead(status, headers);
      res.end();
      return;
    }

    if (length <= SMALL_FILE_MAX) {
      // One read into one buffer and one write: a stream's per-object setup and bookkeeping cost more than
      // the copy for files this small, and the descriptor is released before the bytes hit the network.
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < length) throw new Error('file shrank while being read');
      res.writeHead(status, headers);
      res.end(buf);
      ctx.stats.bytesSent += length;
      return;
    }

    res.writeHead(status, headers);

    // With `end` given, the stream never issues the extra read that would just find EOF.
    const stream = fh.createReadStream({ start, end, highWaterMark: Math.min(READ_CHUNK, length) });
    handedOff = true; // autoClose: the stream closes the handle on end, error and destroy
    pipeline(stream, res, (err) => {
      if (err === undefined || err === null) {
        ctx.stats.bytesSent += length;
        return;
      }
      ctx.stats.bytesSent += stream.bytesRead;
      // A client that goes away mid-body is routine (rclone cancels, curl is interrupted); anything else is not.
      const code = err.code;
      if (code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ECONNRESET' && code !== 'EPIPE') {
        ctx.log(`error streaming ${safe.urlPath}: ${code ?? err.message}`);
      }
      // pipeline has destroyed both streams; a response whose headers went out is cut short, which the
      // client sees as a truncated body against Content-Length rather than waiting forever.
    });
  } finally {
    if (!handedOff) await fh.close().catch(() => {});
  }
}

function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q);
}

/** RFC 9110 13.1.2-3: If-None-Match (weak comparison) wins over If-Modified-Since. */
function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    const ours = etag;
    for (const candidate of inm.split(',')) {
      let tag = candidate.trim();
      if (tag.startsWith('W/')) tag = tag.slice(2);
      if (tag === ours) return true;
    }
    return false;
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  // HTTP dates have whole seconds: compare against the truncated mtime or a file would never be "unmodified".
  return !Number.isNaN(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/** RFC 9110 13.1.5: a Range is honoured only if If-Range (when sent) matches exactly (strong comparison). */
function ifRangeHolds(ifRange: string | string[] | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false; // sent twice: ambiguous, so serve the whole file
  const v = ifRange.trim();
  return v === etag || v === lastModified;
}

type ByteRange = { start: number; end: number };

const RANGE_RE = /^bytes=[ \t]*(\d{0,16})[ \t]*-[ \t]*(\d{0,16})[ \t]*$/i;

/**
 * Parses a single byte range. Returns undefined when the header is to be ignored (the response is then a
 * plain 200): multiple ranges, other units, syntax errors, numbers beyond 2^53. Multi-range responses
 * (multipart/byteranges) are legal to refuse this way and no downloader we serve needs them.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header.length > MAX_RANGE_HEADER) return undefined;
  const m = RANGE_RE.exec(header);
  if (m === null) return undefined;
  const a = m[1] ?? '';
  const b = m[2] ?? '';
  if (a === '' && b === '') return undefined;
  const first = a === '' ? undefined : Number(a);
  const last = b === '' ? undefined : Number(b);
  if (
    (first !== undefined && !Number.isSafeInteger(first)) ||
    (last !== undefined && !Number.isSafeInteger(last))
  ) {
    return undefined;
  }
  if (first === undefined) {
    // Suffix range: the last `last` bytes. Zero of them, or of an empty file, cannot be satisfied.
    if (last === undefined || last === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - last), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined; // invalid, not unsatisfiable
  if (first >= size) return 'unsatisfiable';
  return { start: first, end: last === undefined ? size - 1 : Math.min(last, size - 1) };
}

interface ListingEntry {
  name: string;
  type: 'file' | 'dir';
  size: number;
  /** ISO 8601, UTC. */
  mtime: string;
}

async function sendListing(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  safe: Extract<SafePath, { ok: true }>,
  real: string,
  target: string,
): Promise<void> {
  let dirents;
  try {
    dirents = await readdir(real, { withFileTypes: true });
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }

  const entries: ListingEntry[] = [];
  await mapLimit(dirents, LISTING_CONCURRENCY, async (d) => {
    if (ctx.denyDotfiles && d.name.startsWith('.')) return;
    const full = path.join(real, d.name);
    try {
      if (d.isSymbolicLink()) {
        // List only links the server would follow: same checks as a request for them.
        const target = await realpath(full);
        if (!target.startsWith(ctx.rootPrefix)) return;
        if (ctx.denyDotfiles && hasHiddenSegment(target.slice(ctx.rootPrefix.length))) return;
      } else if (!d.isFile() && !d.isDirectory()) {
        return; // sockets, FIFOs, devices are never served
      }
      const st = await stat(full);
      if (st.isDirectory()) {
        entries.push({ name: d.name, type: 'dir', size: 0, mtime: new Date(st.mtimeMs).toISOString() });
      } else if (st.isFile()) {
        entries.push({
          name: d.name,
          type: 'file',
          size: st.size,
          mtime: new Date(st.mtimeMs).toISOString(),
        });
      }
    } catch {
      // Vanished or unreadable while listing: leave it out rather than fail the whole page.
    }
  });
  // Code-unit order, like nginx's strcmp: deterministic and locale-independent.
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));

  const accept = req.headers.accept ?? '';
  const wantsJson =
    accept.includes('application/json') || /(?:^|&)format=json(?:&|$)/.test(queryOf(target).slice(1));
  const common = { Vary: 'Accept', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (wantsJson) {
    const body = JSON.stringify({ path: safe.urlPath, entries });
    return sendBody(ctx, req, res, 200, body, {
      ...common,
      'Content-Type': 'application/json; charset=utf-8',
    });
  }
  return sendBody(ctx, req, res, 200, htmlListing(safe.urlPath, entries), {
    ...common,
    'Content-Type': 'text/html; charset=utf-8',
  });
}

/**
 * nginx autoindex layout: rclone's `:http:` backend, wget -r and aria2 look for `<a href>` lines in exactly
 * this shape. Directories first, as nginx does.
 */
function htmlListing(urlPath: string, entries: ListingEntry[]): string {
  const title = escapeHtml(urlPath);
  const lines: string[] = [
    `<html>\r\n<head><title>Index of ${title}</title></head>\r\n<body>\r\n<h1>Index of ${title}</h1><hr><pre>`,
  ];
  if (urlPath !== '/') lines.push('<a href="../">../</a>\r\n');
  const ordered = [...entries.filter((e) => e.type === 'dir'), ...entries.filter((e) => e.type === 'file')];
  for (const e of ordered) {
    const slash = e.type === 'dir' ? '/' : '';
    const shown = e.name + slash;
    const pad = ' '.repeat(Math.max(1, 51 - shown.length));
    const size = e.type === 'dir' ? '-' : String(e.size);
    lines.push(
      `<a href="${encodeURIComponent(e.name)}${slash}">${escapeHtml(shown)}</a>${pad}` +
        `${nginxDate(e.mtime)} ${size.padStart(19)}\r\n`,
    );
  }
  lines.push('</pre><hr></body>\r\n</html>\r\n');
  return lines.join('');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function nginxDate(iso: string): string {
  const d = new Date(iso);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return (
    `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()] ?? '???'}-${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.tar': 'application/x-tar',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.zst': 'application/zstd',
  '.zip': 'application/zip',
  '.bz2': 'application/x-bzip2',
  '.xz': 'application/x-xz',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.parquet': 'application/vnd.apache.parquet',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

function contentType(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return CONTENT_TYPES[name.slice(dot).toLowerCase()] ?? 'application/octet-stream';
}

function fsErrorStatus(err: unknown): 403 | 404 | 500 {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return 404;
    case 'EACCES':
    case 'EPERM':
      return 403;
    default:
      return 500;
  }
}

function sendFsError(ctx: Ctx, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = fsErrorStatus(err);
  if (status === 500)
    ctx.log(`fs error on ${req.url ?? ''}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  // Error texts are fixed strings: fs messages carry absolute paths, which a client has no business seeing.
  sendText(ctx, req, res, status, STATUS_TEXT[status]);
}

const STATUS_TEXT = { 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' } as const;

function sendText(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extra?: OutgoingHttpHeaders,
): void {
  sendBody(ctx, req, res, status, text + '\n', { ...extra, 'Content-Type': 'text/plain; charset=utf-8' });
}

function sendBody(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders,
): void {
  const buf = Buffer.from(body, 'utf8');
  headers['Content-Length'] = buf.length;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
  } else {
    ctx.stats.bytesSent += buf.length;
    res.end(buf);
  }
}

function failRequest(ctx: Ctx, res: ServerResponse, err: unknown): void {
  ctx.log(`internal error: ${err instanceof Error ? err.message : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = 'Internal Server Error\n';
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}
