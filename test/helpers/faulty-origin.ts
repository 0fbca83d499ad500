// An HTTP origin that misbehaves on purpose, chosen by the object name's prefix, so one job exercises every
// origin fault at once. Counters are per path: "first N requests fail, then behave".
//   e503-*      503 on the first 2 GETs
//   reset-*     first GET: headers + half the body, then the socket is destroyed
//   stall-*     first GET: headers + half the body, then silence (the client's body timeout must fire)
//   short-*     first GET: full Content-Length announced, half the body sent, connection closed
//   permshort-* every GET announces 100 bytes more than it sends, then closes (a permanent liar)
//   perm500-*   every GET answers 500
// Anything else is served normally. HEAD is always answered honestly.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export interface FaultyOrigin {
  url: string;
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function startFaultyOrigin(root: string): Promise<FaultyOrigin> {
  const requests = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      const n = (requests.get(name) ?? 0) + 1;
      if (req.method === 'GET') requests.set(name, n);
      let body: Buffer;
      try {
        body = await readFile(join(root, name));
        await stat(join(root, name));
      } catch {
        res.writeHead(404).end('not found');
        return;
      }
      const half = body.subarray(0, Math.floor(body.length / 2));
      if (req.method === 'HEAD') return ok(res, body, true);
      if (name.startsWith('e503-') && n <= 2) return void res.writeHead(503).end('busy');
      if (name.startsWith('perm500-')) return void res.writeHead(500).end('broken');
      if (name.startsWith('reset-') && n === 1) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(half, () => req.socket.destroy());
        return;
      }
      if (name.startsWith('stall-') && n === 1) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(half);
        return; // never ends: the client's body timeout must give up
      }
      if ((name.startsWith('short-') && n === 1) || name.startsWith('permshort-')) {
        const announced = name.startsWith('permshort-') ? body.length + 100 : body.length;
        res.writeHead(200, { 'content-length': announced, connection: 'close' });
        res.end(name.startsWith('permshort-') ? body : half);
        req.socket.end();
        return;
      }
      ok(res, body, false);
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function ok(res: ServerResponse, body: Buffer, head: boolean): void {
  res.writeHead(200, { 'content-length': body.length, etag: `"${body.length}"` });
  res.end(head ? undefined : body);
}
