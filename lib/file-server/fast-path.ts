// The common request answered without node:http: a complete, plain `GET`/`HEAD` of a small regular file on a
// keep-alive HTTP/1.1 connection — what a copier sends ten thousand times in a row.
//
// Why hand-written: node:http spends more CPU per request in JavaScript (an IncomingMessage and a
// ServerResponse stream, header objects, 'finish'/'close' events) than the whole answer costs otherwise; on
// 10,000 × 64 KiB it was most of ferry serve's CPU per file (README, Benchmarks › Origin). No well-kept
// library on the npm registry gives Node a leaner HTTP/1.1 server (uWebSockets.js is not published there).
//
// Why it is safe: this is a recogniser of a strict subset, not an HTTP parser. A request head it does not
// recognise exactly — another method or version, an incomplete head, a body, folded or unusual header bytes,
// a duplicate Host or Authorization, Range or a conditional header, `Connection: close`, a directory, a
// dotfile, anything refused — is handed over with every byte not yet answered to node:http (llhttp), which
// serves the rest of the connection through handle.ts with all its checks. The fast path never answers an
// error itself, and it runs the same host, token, path and open checks (auth.ts, safe-path.ts, open-file.ts)
// before it answers a file.
import { closeSync, readSync, type Stats } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

import { authorized, hostAllowed } from './auth.js';
import { BufferPool } from './buffer-pool.js';
import { etagOf } from './conditional.js';
import { contentType } from './content-type.js';
import type { Ctx } from './context.js';
import { openInRoot } from './open-file.js';
import { resolveSafePath } from './safe-path.js';
import { endSocket } from './sockets.js';

/** Files up to this size are answered here; larger ones are streamed by node:http (per-byte, not per-request, cost). */
export const FAST_FILE_MAX = 256 * 1024;

/** Timeouts of a connection while the fast path holds it; node:http's own apply once it is handed over. */
export interface FastTimeouts {
  /** A connection that has sent nothing yet: node:http's `server.timeout` (it sets no other for one). */
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * Puts the fast path in front of node:http on `server`: node:http's own connection listener then runs only
 * for a connection the fast path hands over. Returns false, leaving `server` as it was, if node:http's
 * listeners are not the one we expect (another Node release): everything is then served by node:http.
 */
export function divertConnections(server: Server, ctx: Ctx, t: FastTimeouts): boolean {
  const own = server.listeners('connection');
  if (own.length !== 1) return false;
  const nodeConnection = own[0] as (this: Server, socket: Socket) => void;
  server.removeListener('connection', nodeConnection);
  server.on('connection', (socket: Socket) =>
    serveFast(ctx, socket, t, (s, rest) => {
      // Back into the socket's read buffer, where node:http's parser reads first.
      if (rest !== undefined) s.unshift(rest);
      nodeConnection.call(server, s);
    }),
  );
  return true;
}

/**
 * Serves `socket` on the fast path until a request needs node:http; then calls `handOver(socket, rest)` once,
 * with the bytes received and not answered (the caller unshifts them and gives the socket to node:http).
 */
export function serveFast(
  ctx: Ctx,
  socket: Socket,
  t: FastTimeouts,
  handOver: (socket: Socket, rest: Buffer | undefined) => void,
): void {
  let done = false;
  const release = (rest: Buffer | undefined): void => {
    if (done) return;
    done = true;
    socket.removeListener('data', onData);
    socket.removeListener('timeout', onTimeout);
    socket.removeListener('error', onError);
    socket.removeListener('end', onEnd);
    socket.setTimeout(0);
    handOver(socket, rest !== undefined && rest.length > 0 ? rest : undefined);
  };
  // Nothing is buffered between requests here, so an idle socket is simply closed, after the same idle times
  // node:http allows (a pooling client may open a connection well before its first request).
  const onTimeout = (): void => {
    socket.destroy();
  };
  const onError = (): void => {
    socket.destroy();
  };
  // The listener allows half-open sockets (node:http's choice); a client that is done gets our FIN once the
  // responses written so far are flushed, as node:http does.
  const onEnd = (): void => {
    socket.end();
  };
  const onData = (chunk: Buffer): void => {
    // A client that does not read what we wrote: node:http pauses the socket until it drains; so do we.
    if (socket.writableNeedDrain) {
      socket.pause();
      socket.once('drain', () => {
        if (done || socket.destroyed) return;
        onData(chunk);
        if (!done) socket.resume();
      });
      return;
    }
    let off = 0;
    while (off < chunk.length) {
      if (ctx.closing) return release(chunk.subarray(off));
      const end = chunk.indexOf(HEAD_END, off);
      // An incomplete head (rare: a request head is one segment) goes to node:http, whose headers timeout
      // then bounds a client that trickles it.
      if (end === -1 || end - off > MAX_HEAD) return release(chunk.subarray(off));
      const req = recognise(chunk.toString('latin1', off, end));
      if (req === undefined || !answer(ctx, socket, req, t)) return release(chunk.subarray(off));
      off = end + HEAD_END.length;
    }
  };
  socket.setTimeout(t.idleTimeoutMs);
  socket.on('timeout', onTimeout);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('data', onData);
}

// --- internal ---

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Longer heads (big cookies, many headers) are legal but not what copiers send: node:http takes them. */
const MAX_HEAD = 8 * 1024;
const MAX_HEADERS = 64;
/** Room for the status line and headers in front of the body, in the same buffer (one write per file). */
const HEAD_ROOM = 1024;

/** `GET /x HTTP/1.1`: exactly one space each side of a target of visible ASCII, nothing else. */
const REQUEST_LINE = /^(GET|HEAD) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
/** RFC 9110 token, a colon, and a value of visible ASCII, spaces and tabs (no obs-fold, no bare CR/LF). */
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*$/;

/** Headers that change what node:http or handle.ts would do: their presence sends the request there. */
const HAND_OVER = new Set([
  'content-length',
  'transfer-encoding',
  'expect',
  'upgrade',
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
]);

interface Plain {
  method: 'GET' | 'HEAD';
  target: string;
  host: string;
  authorization: string | undefined;
}

function recognise(head: string): Plain | undefined {
  const lines = head.split('\r\n');
  if (lines.length > MAX_HEADERS + 1) return undefined;
  const first = REQUEST_LINE.exec(lines[0] ?? '');
  if (first === null) return undefined;
  let host: string | undefined;
  let authorization: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const m = HEADER_LINE.exec(lines[i]!);
    if (m === null) return undefined;
    const name = m[1]!.toLowerCase();
    const value = m[2]!;
    if (name === 'host') {
      if (host !== undefined) return undefined;
      host = value;
    } else if (name === 'authorization') {
      if (authorization !== undefined) return undefined;
      authorization = value;
    } else if (name === 'connection') {
      if (value.toLowerCase() !== 'keep-alive') return undefined;
    } else if (HAND_OVER.has(name)) return undefined;
  }
  // HTTP/1.1 without Host is a 400, node:http's to give.
  if (host === undefined) return undefined;
  return { method: first[1] as 'GET' | 'HEAD', target: first[2]!, host, authorization };
}

/** Answers `req` if it is a small regular file that handle.ts would serve with a 200; false: not answered. */
function answer(ctx: Ctx, socket: Socket, req: Plain, t: FastTimeouts): boolean {
  if (ctx.checkHost && !hostAllowed(req.host)) return false;
  if (!authorized(ctx, req.authorization)) return false;
  const safe = resolveSafePath(ctx.realRoot, req.target);
  if (!safe.ok || safe.directory || (safe.hidden && ctx.denyDotfiles)) return false;
  let opened;
  try {
    opened = openInRoot(ctx, safe);
  } catch {
    return false; // a 404 or 403: handle.ts maps it
  }
  if (typeof opened === 'string') return false;
  const { fd, st } = opened;
  let buf: Buffer | undefined;
  try {
    if (!st.isFile() || st.size > FAST_FILE_MAX) return false;
    const size = st.size;
    const head = responseHead(st, safe.segments[safe.segments.length - 1] ?? '', t.keepAliveTimeoutMs);
    buf = take();
    const headLen = buf.write(head, 0, 'latin1');
    if (headLen !== head.length) return false;
    let got = 0;
    if (req.method === 'GET') {
      while (got < size) {
        const n = readSync(fd, buf, headLen + got, size - got, got);
        if (n === 0) break;
        got += n;
      }
      // The file shrank between fstat and read: node:http's path reports it (a 500 there, as before).
      if (got < size) return false;
    }
    ctx.stats.requests++;
    ctx.stats.fastRequests++;
    ctx.stats.bytesSent += got;
    ctx.inFlight.set(socket, (ctx.inFlight.get(socket) ?? 0) + 1);
    const out = buf;
    buf = undefined;
    socket.write(out.subarray(0, headLen + got), () => {
      free(out);
      const n = (ctx.inFlight.get(socket) ?? 1) - 1;
      if (!ctx.inFlight.has(socket)) return; // closed meanwhile
      ctx.inFlight.set(socket, n);
      if (ctx.closing && n === 0) endSocket(socket);
    });
    socket.setTimeout(t.keepAliveTimeoutMs);
    return true;
  } finally {
    if (buf !== undefined) free(buf);
    try {
      closeSync(fd);
    } catch {
      // EBADF/EIO on close of a read-only descriptor: nothing to undo.
    }
  }
}

/** The same headers, in the same order, as send-file.ts and node:http write for a keep-alive 200. */
function responseHead(st: Stats, name: string, keepAliveMs: number): string {
  return (
    'HTTP/1.1 200 OK\r\nContent-Type: ' +
    contentType(name) +
    '\r\nContent-Length: ' +
    st.size +
    '\r\nLast-Modified: ' +
    new Date(st.mtimeMs).toUTCString() +
    '\r\nETag: ' +
    etagOf(st) +
    '\r\nAccept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\nDate: ' +
    httpDate() +
    '\r\nConnection: keep-alive\r\nKeep-Alive: timeout=' +
    Math.floor(keepAliveMs / 1000) +
    '\r\n\r\n'
  );
}

/** The Date header, formatted once per second (as node:http does). */
let dateSecond = -1;
let dateText = '';
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/** Head and body in one pooled buffer, so that a file is one write (buffer-pool.ts says why pooled). */
const pool = new BufferPool(HEAD_ROOM + FAST_FILE_MAX);
const take = (): Buffer => pool.take();
const free = (buf: Buffer): void => pool.give(buf);
