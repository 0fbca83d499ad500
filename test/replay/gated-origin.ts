// An HTTP origin whose GETs of chosen objects wait until released: "a batch has started" becomes a state the
// caller can wait for (the GET arrived), and the job cannot finish before the caller acts on it. Everything
// else is served at once, with Content-Length, ETag and Last-Modified. HEAD is never held.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export interface GatedOrigin {
  /** Base URL with a trailing slash. */
  url: string;
  /** Resolves once a GET of `name` has arrived (and is being held). */
  requested(name: string): Promise<void>;
  /** Let the held GETs of `name` (and any later ones) through. */
  release(name: string): void;
  close(): Promise<void>;
}

export async function startGatedOrigin(root: string, hold: string[]): Promise<GatedOrigin> {
  const held = new Set(hold);
  const arrived = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const latch = (m: typeof arrived, name: string) => {
    let l = m.get(name);
    if (!l) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      l = { promise, resolve };
      m.set(name, l);
    }
    return l;
  };
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    let body: Buffer;
    let mtime: Date;
    try {
      [body, { mtime }] = await Promise.all([readFile(join(root, name)), stat(join(root, name))]);
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    if (req.method === 'GET' && held.has(name)) {
      latch(arrived, name).resolve();
      const aborted = new Promise<void>((r) => res.once('close', r));
      await Promise.race([latch(gates, name).promise, aborted]);
      if (res.destroyed || res.writableEnded) return; // the client gave up (a stopped job's batch)
    }
    res.writeHead(200, {
      'content-length': body.length,
      etag: `"${body.length}-${mtime.getTime()}"`,
      'last-modified': mtime.toUTCString(),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
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
    requested: (name) => latch(arrived, name).promise,
    release: (name) => {
      held.delete(name);
      latch(gates, name).resolve();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const g of gates.values()) g.resolve();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
