// An HTTP origin that watches how it is treated: the peak number of open connections and of requests in flight,
// every request's time, method, path and User-Agent, and when each body chunk left (bytes per interval). It
// answers files from `root` honestly, except what `script` says: a 503 or 429 with a Retry-After header for the
// first N GETs of a path. `delayMs` holds each GET's headers back a little so that concurrent requests overlap
// (a bound on concurrency is only tested if requests can pile up), not to pace the test.
import { createServer, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RequestRecord {
  method: string;
  path: string;
  userAgent: string | undefined;
  /** Date.now() when the request arrived. */
  at: number;
  status: number;
}

export interface ScriptedFault {
  /** The first `times` GETs of the path answer `status` with `Retry-After: retryAfter`. */
  status: 429 | 503;
  times: number;
  retryAfter?: string;
}

export interface CountingOrigin {
  /** Base URL with a trailing slash. */
  readonly url: string;
  readonly requests: RequestRecord[];
  /** [Date.now(), bytes] per body chunk written. */
  readonly sent: [number, number][];
  peakSockets(): number;
  peakInFlight(): number;
  close(): Promise<void>;
}

export async function startCountingOrigin(
  root: string,
  opts: { delayMs?: number; script?: Record<string, ScriptedFault> } = {},
): Promise<CountingOrigin> {
  const requests: RequestRecord[] = [];
  const sent: [number, number][] = [];
  const gets = new Map<string, number>();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let peakInFlight = 0;
  let peakSockets = 0;

  const server = createServer((req, res) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    let counted = true;
    const done = () => {
      if (counted) inFlight--;
      counted = false;
    };
    res.on('close', done);
    const path = decodeURIComponent((req.url ?? '/').slice(1));
    const rec: RequestRecord = {
      method: req.method ?? '?',
      path,
      userAgent: req.headers['user-agent'],
      at: Date.now(),
      status: 200,
    };
    requests.push(rec);
    void (async () => {
      let body: Buffer;
      try {
        body = await readFile(join(root, path));
      } catch {
        rec.status = 404;
        res.writeHead(404).end('not found');
        return;
      }
      if (req.method === 'HEAD') return answer(res, body, true, sent);
      const n = (gets.get(path) ?? 0) + 1;
      gets.set(path, n);
      const fault = opts.script?.[path];
      if (fault && n <= fault.times) {
        rec.status = fault.status;
        res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
        res.end('busy');
        return;
      }
      if (opts.delayMs) await sleep(opts.delayMs);
      if (!res.destroyed) answer(res, body, false, sent);
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    peakSockets = Math.max(peakSockets, sockets.size);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    sent,
    peakSockets: () => peakSockets,
    peakInFlight: () => peakInFlight,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Bodies go out in 16 KiB writes, each timestamped: the origin's view of the job's bytes per interval. */
function answer(res: ServerResponse, body: Buffer, head: boolean, sent: [number, number][]): void {
  res.writeHead(200, { 'content-length': body.length, etag: `"${body.length}"` });
  if (head) return void res.end();
  let off = 0;
  const pump = () => {
    while (off < body.length) {
      const chunk = body.subarray(off, off + 16 * 1024);
      off += chunk.length;
      const ok = res.write(chunk);
      sent.push([Date.now(), chunk.length]);
      if (!ok) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}
