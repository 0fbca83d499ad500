// Third-party directory-listing origins for whole-tree tests: `python3 -m http.server` and nginx autoindex,
// started as children on 127.0.0.1 and a free port, killed in t.after. And a JSON-listing origin whose listing
// of one directory fails transiently (503) a given number of times, to prove a walk retries without skipping.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export async function freePort(): Promise<number> {
  const s = netServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once `url` answers (any status); a child that exits first fails it. */
async function answering(url: string, child: ChildProcess, what: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 200; i++) {
    if (exited) throw new Error(`${what} exited before answering`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/** `python3 -m http.server` serving `root`; resolves with its base URL (ends with '/'). */
export async function startPythonServer(t: TestContext, root: string): Promise<string> {
  const port = await freePort();
  const child = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1'], {
    cwd: root,
    stdio: 'ignore',
  });
  t.after(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}/`;
  await answering(url, child, 'python3 -m http.server');
  return url;
}

/** nginx is installed (scripts/peers.sh installs it)? */
export function hasNginx(): boolean {
  return spawnSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' }).status === 0;
}

/** nginx with `autoindex on` serving `root` (config and logs under `work`); resolves with its base URL. */
export async function startNginx(t: TestContext, root: string, work: string): Promise<string> {
  const port = await freePort();
  mkdirSync(join(work, 'tmp'), { recursive: true });
  const conf = join(work, 'nginx.conf');
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  writeFileSync(
    conf,
    `${user}daemon off;\nworker_processes 1;\npid ${work}/nginx.pid;\nerror_log ${work}/error.log;\n` +
      `events { worker_connections 64; }\nhttp {\n  access_log off;\n` +
      `  client_body_temp_path ${work}/tmp; proxy_temp_path ${work}/tmp; fastcgi_temp_path ${work}/tmp;\n` +
      `  uwsgi_temp_path ${work}/tmp; scgi_temp_path ${work}/tmp;\n` +
      `  server { listen 127.0.0.1:${port}; root ${root}; autoindex on; charset utf-8; }\n}\n`,
  );
  const child = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'ignore', detached: true });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const url = `http://127.0.0.1:${port}/`;
  await answering(url, child, 'nginx');
  return url;
}

/**
 * ferry-serve-shaped JSON listings and files of `root`, except that the listing of `flaky` (a directory path
 * like `b/`) answers 503 to its first `failures` requests. `hits` counts listing requests per directory.
 */
export async function startFlakyListingOrigin(
  t: TestContext,
  root: string,
  flaky: string,
  failures: number,
  /** Top-level file names the root listing shows although they do not exist (deleted after listing). */
  ghosts: string[] = [],
): Promise<{ url: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
      const full = join(root, path);
      try {
        if (path === '' || path.endsWith('/')) {
          const n = (hits.get(path) ?? 0) + 1;
          hits.set(path, n);
          if (path === flaky && n <= failures) return void res.writeHead(503).end('busy');
          const entries = await Promise.all(
            (await readdir(full, { withFileTypes: true })).map(async (d) => ({
              name: d.name,
              type: d.isDirectory() ? 'dir' : 'file',
              size: d.isDirectory() ? 0 : (await stat(join(full, d.name))).size,
            })),
          );
          if (path === '')
            for (const g of ghosts)
              if (!entries.some((e) => e.name === g)) entries.push({ name: g, type: 'file', size: 1 });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ entries }));
          return;
        }
        const n = (hits.get(path) ?? 0) + 1;
        hits.set(path, n);
        const body = await readFile(full);
        res.writeHead(200, { 'content-length': body.length }).end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, hits };
}
