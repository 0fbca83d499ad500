// An HTTP origin whose GET responses wait at a gate the test controls: while the gate is held, every GET is
// parked (headers not sent) until the test opens it. A test can then act on a job at a known point — "a
// batch has started and cannot finish" — whatever the machine's speed, instead of racing a copy that a fast
// machine finishes (or a loaded one never reaches) before the test's next step.
//
// Files come from `root`, answered honestly (200, Content-Length, ETag). HEAD is never held: it carries no
// progress. A parked request is not timed out here; the client's headers timeout (60 s) is far above how long
// a test holds one.
import { createServer, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';

export interface GatedOrigin {
  /** Base URL with a trailing slash. */
  readonly url: string;
  /** GET requests received so far (held or answered). */
  gets(): number;
  /** GET requests parked at the gate right now. */
  held(): number;
  /** From now on, park every GET until {@link open}. */
  hold(): void;
  /** Answer every parked GET and let later ones through. */
  open(): void;
  /** Resolve once `predicate` holds for (gets, held); reject after `timeoutMs` (a bound, not a pace). */
  waitUntil(
    predicate: (s: { gets: number; held: number }) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startGatedOrigin(root: string, opts: { held?: boolean } = {}): Promise<GatedOrigin> {
  let gated = opts.held ?? true;
  let gets = 0;
  const parked: (() => void)[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void (async () => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      let body: Buffer;
      try {
        body = await readFile(join(root, name));
      } catch {
        res.writeHead(404).end('not found');
        return;
      }
      if (req.method === 'HEAD') return answer(res, body, true);
      gets++;
      if (gated) {
        await new Promise<void>((release) => {
          parked.push(release);
          notify();
        });
      } else notify();
      if (!res.destroyed) answer(res, body, false);
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  const open = () => {
    gated = false;
    for (const release of parked.splice(0)) release();
    notify();
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    gets: () => gets,
    held: () => parked.length,
    hold: () => {
      gated = true;
    },
    open,
    waitUntil(predicate, what, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate({ gets, held: parked.length })) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `gated origin: ${what} not reached in ${timeoutMs} ms (gets ${gets}, held ${parked.length})`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((r) => {
        open();
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function answer(res: ServerResponse, body: Buffer, head: boolean): void {
  res.writeHead(200, { 'content-length': body.length, etag: `"${body.length}"` });
  res.end(head ? undefined : body);
}
