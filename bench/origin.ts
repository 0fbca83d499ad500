// The benchmark's origins, seen from the harness: ferry's file server (bench/origin-process.js, a process of its
// own), nginx (the Debian package, on loopback with a generated config) and `python3 -m http.server`. All
// serve bench/data/ with the HTML listings rclone needs; CPU time is read from /proc for the whole process
// tree (nginx's and ferry's workers included).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** `ferry-ref`: another build's bench/origin-process.js (--origin-ref), for A/B of a file-server change. */
export const ORIGIN_KINDS = ['ferry', 'nginx', 'python', 'ferry-ref'] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];

export interface Origin {
  kind: OriginKind;
  /** Base URL with a trailing slash. */
  url: string;
  pid: number;
  /** What runs, for the results file. */
  describe: string;
  /** CPU seconds (user+sys) the origin's process tree has used so far. */
  sample(): Promise<{ cpuS: number }>;
  stop(): Promise<void>;
}

export interface OriginOptions {
  /** Worker processes of ferry serve and nginx's worker_processes (the same, so the comparison is fair). */
  workers: number;
  /** Scratch directory (nginx's config, pid and temp paths). */
  work: string;
  /** `ferry-ref`'s entry: another checkout's dist/bench/origin-process.js. */
  refEntry?: string;
}

export const NGINX = '/usr/sbin/nginx';
export const PEERS_HINT = 'run scripts/peers.sh (apt-get install nginx-light curl rclone aria2)';

export function startOrigin(kind: OriginKind, root: string, o: OriginOptions): Promise<Origin> {
  switch (kind) {
    case 'ferry':
      return startFerry('ferry', fileURLToPath(new URL('./origin-process.js', import.meta.url)), root, o);
    case 'ferry-ref':
      if (!o.refEntry)
        throw new Error('origin ferry-ref needs --origin-ref PATH/dist/bench/origin-process.js');
      return startFerry('ferry-ref', o.refEntry, root, o);
    case 'nginx':
      return startNginx(root, o);
    case 'python':
      return startPython(root);
  }
}

/** Why an origin cannot run here, or undefined. */
export function originMissing(kind: OriginKind): string | undefined {
  if (kind === 'nginx' && !existsSync(NGINX)) return `nginx not installed (${PEERS_HINT})`;
  if (kind === 'python' && spawnSync('python3', ['--version']).status !== 0) return 'python3 not installed';
  return undefined;
}

/** CPU seconds (user+sys) of `pid` and its live descendants, from /proc. */
export function treeCpuS(pid: number): number {
  const kids = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      // Fields after the parenthesised command (which may hold spaces): ppid is field 4, utime 14, stime 15.
      const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(rest[1]);
      cpu.set(Number(e), (Number(rest[11]) + Number(rest[12])) / CLK_TCK);
      const list = kids.get(ppid) ?? [];
      list.push(Number(e));
      kids.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    total += cpu.get(p) ?? 0;
    todo.push(...(kids.get(p) ?? []));
  }
  return total;
}

// --- internal ---

const CLK_TCK = 100;

async function startFerry(
  kind: 'ferry' | 'ferry-ref',
  entry: string,
  root: string,
  o: OriginOptions,
): Promise<Origin> {
  const child = spawn(process.execPath, [entry, root, '--workers', String(o.workers)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('ferry origin exited before listening');
  const { url } = JSON.parse(String(first.value)) as { url: string };
  return handle(kind, url, child, `ferry serve (${entry}, workers ${o.workers})`, () => {
    child.stdin.end();
  });
}

async function startNginx(root: string, o: OriginOptions): Promise<Origin> {
  const dir = join(o.work, 'nginx');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(root, dir, port, o.workers));
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitListening(port, child, 'nginx');
  return handle(
    'nginx',
    url,
    child,
    `nginx ${nginxVersion()} (worker_processes ${o.workers}, sendfile, keep-alive, autoindex, access_log off)`,
    () => child.kill('SIGQUIT'),
  );
}

async function startPython(root: string): Promise<Origin> {
  const port = await freePort();
  const child = spawn(
    'python3',
    ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  await waitListening(port, child, 'python3 -m http.server');
  return handle('python', `http://127.0.0.1:${port}/`, child, 'python3 -m http.server (HTTP/1.0)', () =>
    child.kill('SIGTERM'),
  );
}

function handle(
  kind: OriginKind,
  url: string,
  child: ChildProcess,
  describe: string,
  end: () => void,
): Origin {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;
  return {
    kind,
    url,
    pid,
    describe,
    sample: () => Promise.resolve({ cpuS: treeCpuS(pid) }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      end();
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * nginx as a static origin tuned the way a production one is: sendfile (zero-copy from the page cache),
 * keep-alive without a per-connection request cap that curl's 625 requests per connection could hit,
 * autoindex for rclone, no access log. Paths all under `dir`, so it runs unprivileged and leaves nothing.
 */
function nginxConf(root: string, dir: string, port: number, workers: number): string {
  const asRoot = process.getuid?.() === 0;
  return `# generated by bench/origin.ts
${asRoot ? 'user root;\n' : ''}worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    autoindex on;
    location / { }
  }
}
`;
}

function nginxVersion(): string {
  const r = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return /nginx\/(\S+)/.exec(r.stderr)?.[1] ?? '?';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not listen on ${port} within 10 s`);
}
