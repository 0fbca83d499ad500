// An origin for one large object that serves Range requests as a strict server would (strong ETag, If-Range,
// If-Match, 206 with Content-Range) and can hold responses mid-body: a test decides which requests stop after
// `holdAfter` bytes until it releases them, so that a copy is caught with some ranges finished and others not.
// It counts the body bytes it hands to each connection, so a test can prove which bytes were fetched again.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ServedRequest {
  method: string;
  /** Inclusive byte range asked for; undefined for a plain GET. */
  range: [number, number] | undefined;
  status: number;
  /** Body bytes written. */
  bytes: number;
  /** The phase the test had set when the request arrived. */
  phase: number;
}

export interface RangedOrigin {
  /** Base URL with a trailing slash; the object is `<url><name>`. */
  readonly url: string;
  readonly requests: ServedRequest[];
  /** Set by the test; recorded with every request. */
  phase: number;
  /** Which requests hold after `holdAfter` bytes (until release()); none by default. */
  hold: ((r: ServedRequest) => boolean) | undefined;
  /** The most connections open at once, and requests in flight at once. */
  peakSockets(): number;
  peakInFlight(): number;
  /** Lets every held response go on (and no new one hold). */
  release(): void;
  close(): Promise<void>;
}

const CHUNK = 256 * 1024;

export async function startRangedOrigin(
  name: string,
  data: Buffer,
  opts: { holdAfter?: number; etag?: string } = {},
): Promise<RangedOrigin> {
  const etag = opts.etag ?? '"ranged-v1"';
  const lastModified = new Date(Date.now() - 60_000).toUTCString();
  const holdAfter = opts.holdAfter ?? 1024 * 1024;
  const sockets = new Set<Socket>();
  let releaseAll: () => void = () => undefined;
  let released = new Promise<void>((ok) => (releaseAll = ok));
  let [inFlight, peakInFlight, peakSockets] = [0, 0, 0];

  const o: RangedOrigin = {
    url: '',
    requests: [],
    phase: 1,
    hold: undefined,
    peakSockets: () => peakSockets,
    peakInFlight: () => peakInFlight,
    release() {
      o.hold = undefined;
      releaseAll();
      released = new Promise<void>((ok) => (releaseAll = ok));
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rec: ServedRequest = {
      method: req.method ?? 'GET',
      range: undefined,
      status: 0,
      bytes: 0,
      phase: o.phase,
    };
    o.requests.push(rec);
    if (decodeURIComponent((req.url ?? '/').slice(1)) !== name) return end(res, rec, 404);
    const h = {
      etag,
      'last-modified': lastModified,
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
    };
    let [start, last] = [0, data.length - 1];
    let status = 200;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      if (req.headers['if-match'] !== undefined && req.headers['if-match'] !== etag)
        return end(res, rec, 412);
      const ifRange = req.headers['if-range'];
      if (ifRange === undefined || ifRange === etag || ifRange === lastModified) {
        [start, last] = [Number(m[1]), Math.min(Number(m[2]), data.length - 1)];
        rec.range = [start, last];
        status = 206;
      }
    }
    rec.status = status;
    res.writeHead(status, {
      ...h,
      'content-length': String(last - start + 1),
      ...(status === 206 ? { 'content-range': `bytes ${start}-${last}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const closed = new Promise<void>((ok) => res.once('close', ok));
    for (let pos = start; pos <= last && !res.destroyed;) {
      if (rec.bytes >= holdAfter && o.hold?.(rec)) await Promise.race([released, closed]);
      if (res.destroyed) return;
      const chunk = data.subarray(pos, Math.min(last + 1, pos + CHUNK));
      rec.bytes += chunk.length;
      pos += chunk.length;
      if (!res.write(chunk)) await Promise.race([new Promise((ok) => res.once('drain', ok)), closed]);
    }
    res.end();
  };

  const server = createServer((req, res) => {
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    res.once('close', () => inFlight--);
    void serve(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    peakSockets = Math.max(peakSockets, sockets.size);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  Object.assign(o, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  return o;
}

// --- internal ---

function end(res: ServerResponse, rec: ServedRequest, status: number): void {
  rec.status = status;
  res.writeHead(status).end();
}
