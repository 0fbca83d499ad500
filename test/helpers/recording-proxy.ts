// A pass-through HTTP proxy in front of an origin (e.g. `ferry serve`) that records every request it forwards:
// method, path, Range header and status. Tests count what reached the origin — the Range GETs of a large object,
// the GETs of a manifest — without changing how the origin answers.
import { createServer, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Decoded path without the leading '/'. */
  path: string;
  range: string | undefined;
  status: number;
}

export interface RecordingProxy {
  /** Base URL without a trailing slash. */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const rec: ProxiedRequest = {
      method: req.method ?? '?',
      path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1)),
      range: req.headers.range,
      status: 0,
    };
    requests.push(rec);
    const up = httpRequest(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        rec.status = r.statusCode ?? 0;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
