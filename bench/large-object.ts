/**
 * One large object (default 1 GiB) copied by the real CLI (`job start download ... --wait`, whose process is
 * the worker) into each destination, with that process's resident memory sampled from /proc: flat memory means
 * the peak does not grow with the object. Then: does range-parallel GET from the origin pay?
 *
 *   node dist/bench/large-object.js [--size-mib 1024] [--dest local,minio,ais,ais-s3] [--runs 1]
 *                                   [--ranges 4] [--skip-copy] [--skip-ranges]
 *
 * Starts its own Temporal dev server, MinIO and AIStore (devserver/), and a `ferry serve` origin. The object is
 * written to bench/data/large-object/ (git-ignored) once and reused. Each copy is preceded by a 1 KiB copy in a
 * fresh process to show the baseline footprint of a CLI + worker that copies nothing large.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startAistore } from '../devserver/aistore.js';
import { startMinio } from '../devserver/minio.js';
import { startDevServer } from '../devserver/temporal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const dataDir = path.join(root, 'bench', 'data', 'large-object');
const CLI = path.join(root, 'dist', 'client', 'main.js');
const MiB = 1024 * 1024;

/** Runs the CLI to completion; returns its output. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  return { code, out };
}

function procKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * A long-lived `ferry worker` (its start-up — bundling the workflow code — peaks well above what copying needs, so
 * a copy is measured in a worker that has started and copied once already). Per copy: its RSS before, then its
 * peak (VmHWM, reset through /proc/PID/clear_refs just before the job), and the job's duration.
 */
async function measure(
  env: NodeJS.ProcessEnv,
  target: string,
  tinyUrl: string,
  bigUrl: string,
  runs: number,
): Promise<{ before: number; peak: number; jobS: number }[]> {
  const worker = spawn(process.execPath, [CLI, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.stderr.on('data', (d: Buffer) => {
        if (d.toString().includes('ferry worker:')) resolve();
      });
      worker.once('exit', (c) => reject(new Error(`worker exited (${c})`)));
    });
    const job = async (url: string): Promise<number> => {
      const started = await cli(['job', 'start', 'download', url, target, '-q'], env);
      const id = started.out.split('\n')[0]?.trim() ?? '';
      if (started.code !== 0) throw new Error(`start ${url}: ${started.out}`);
      const done = await cli(['show', 'job', id, '--progress'], env);
      if (done.code !== 0) throw new Error(`${id}: ${done.out}`);
      const m = /in ([\d.]+)(m?s)/.exec(done.out);
      return m ? Number(m[1]) / (m[2] === 'ms' ? 1000 : 1) : NaN;
    };
    await job(tinyUrl);
    // Run 0 is the first large copy of this worker ("cold": it allocates the part buffers it keeps for reuse).
    const out: { before: number; peak: number; jobS: number }[] = [];
    for (let run = 0; run <= runs; run++) {
      await new Promise((r) => setTimeout(r, 1000));
      const before = procKb(worker.pid!, 'VmRSS');
      writeFileSync(`/proc/${worker.pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
      const jobS = await job(bigUrl);
      out.push({ before, peak: procKb(worker.pid!, 'VmHWM'), jobS });
    }
    return out;
  } finally {
    worker.kill('SIGTERM');
  }
}

/** A file of pseudo-random bytes (fast to make, incompressible enough for any store). */
function ensureObject(file: string, bytes: number): string {
  let ok = false;
  try {
    ok = statSync(file).size === bytes;
  } catch {
    // missing
  }
  if (!ok) {
    mkdirSync(path.dirname(file), { recursive: true });
    const block = randomBytes(4 * MiB);
    const fd = openSync(file, 'w');
    for (let off = 0; off < bytes; off += block.length) {
      block.writeUInt32LE(off >>> 0, 0); // every block differs
      writeSync(fd, block, 0, Math.min(block.length, bytes - off));
    }
    closeSync(fd);
  }
  return file;
}

async function startOrigin(dir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => {
      const m = /at (http:\/\/\S+)/.exec(d.toString());
      if (m?.[1]) resolve(m[1].endsWith('/') ? m[1] : `${m[1]}/`);
      else reject(new Error(`ferry serve: ${d.toString()}`));
    });
  });
  return { url, stop: () => child.kill('SIGKILL') };
}

/** One plain GET, the bytes counted (and hashed, with `hash`) as they stream: what ferry does today. */
async function streamGet(url: string, size: number, hash: boolean): Promise<number> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 1 });
  const t0 = performance.now();
  const h = hash ? createHash('sha256') : undefined;
  const res = await pool.request({ path: u.pathname, method: 'GET' });
  for await (const chunk of res.body) h?.update(chunk as Buffer);
  h?.digest();
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  return size / MiB / s;
}

/**
 * Range-parallel GET as ferry would have to do it: parts of `partMiB` fetched `inFlight` at a time into buffers
 * (a sha256 needs the bytes in order, so parts that arrive early wait in memory), hashed in order with `hash`.
 */
async function rangedGet(
  url: string,
  size: number,
  inFlight: number,
  partMiB: number,
  hash: boolean,
): Promise<number> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: inFlight });
  const part = partMiB * MiB;
  const parts = Math.ceil(size / part);
  const t0 = performance.now();
  const h = hash ? createHash('sha256') : undefined;
  const fetchPart = async (i: number): Promise<Buffer[]> => {
    const res = await pool.request({
      path: u.pathname,
      method: 'GET',
      headers: { range: `bytes=${i * part}-${Math.min(size, (i + 1) * part) - 1}` },
    });
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    return chunks;
  };
  const window: Promise<Buffer[]>[] = [];
  let next = 0;
  while (next < Math.min(inFlight, parts)) window.push(fetchPart(next++));
  for (let i = 0; i < parts; i++) {
    const chunks = await window.shift()!;
    if (next < parts) window.push(fetchPart(next++));
    for (const c of chunks) h?.update(c);
  }
  h?.digest();
  const s = (performance.now() - t0) / 1000;
  await pool.close();
  return size / MiB / s;
}

const fmtMiB = (b: number): string => `${(b / MiB).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '1024' },
      dest: { type: 'string', default: 'local,minio,ais,ais-s3' },
      runs: { type: 'string', default: '1' },
      ranges: { type: 'string', default: '4' },
      'skip-copy': { type: 'boolean', default: false },
      'skip-ranges': { type: 'boolean', default: false },
    },
  });
  const size = Number(values['size-mib']) * MiB;
  const dests = (values.dest ?? '').split(',').filter(Boolean);
  const runs = Number(values.runs);
  const file = ensureObject(path.join(dataDir, `big-${values['size-mib']}.bin`), size);
  writeFileSync(path.join(dataDir, 'tiny.bin'), randomBytes(1024));
  const name = path.basename(file);

  const work = mkdtempSync(path.join(tmpdir(), 'ferry-bench-large-'));
  const temporal = await startDevServer({ uiPort: false, logFile: path.join(work, 'temporal.log') });
  const [minio, ais] = await Promise.all([
    dests.includes('minio') ? startMinio() : undefined,
    dests.some((d) => d.startsWith('ais')) ? startAistore() : undefined,
  ]);
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    FERRY_STATE_DIR: path.join(work, 'state'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const origin = await startOrigin(dataDir, baseEnv);
  try {
    console.log(
      `# ${fmtMiB(size)} object, origin ${origin.url}, node ${process.version}, ` +
        `${(await import('node:os')).cpus().length} CPUs; ${runs} run(s) per destination`,
    );
    if (!values['skip-copy']) {
      console.log(
        '| destination | job time (cold, then warm runs) | MiB/s (best) | worker RSS before | worker peak RSS during the copy |',
      );
      console.log('|---|---|---|---|---|');
      for (const d of dests) {
        const env: NodeJS.ProcessEnv = { ...baseEnv, FERRY_TASK_QUEUE: `bench-${d}-${Date.now()}` };
        let target: string;
        if (d === 'local') target = path.join(work, 'local-bucket');
        else if (d === 'minio' && minio) {
          Object.assign(env, {
            AWS_ENDPOINT_URL: minio.endpoint,
            AWS_ACCESS_KEY_ID: minio.accessKey,
            AWS_SECRET_ACCESS_KEY: minio.secretKey,
          });
          target = 's3://bench';
        } else if (d === 'ais' && ais) {
          env.AIS_ENDPOINT = ais.endpoint;
          target = 'ais://bench';
        } else if (d === 'ais-s3' && ais) {
          Object.assign(env, {
            AWS_ENDPOINT_URL: ais.s3Endpoint,
            AWS_ACCESS_KEY_ID: 'bench',
            AWS_SECRET_ACCESS_KEY: 'bench-secret',
          });
          target = 's3://bench-s3';
        } else throw new Error(`unknown destination ${d}`);
        const r = await measure(env, target, `${origin.url}tiny.bin`, `${origin.url}${name}`, runs);
        console.log(
          `| ${d} (${target.startsWith('/') ? 'local path' : target}) | ${r.map((x) => `${x.jobS.toFixed(1)} s`).join(', ')} | ` +
            `${(size / MiB / Math.min(...r.map((x) => x.jobS))).toFixed(0)} | ` +
            `${r.map((x) => fmtMiB(x.before)).join(', ')} | ${r.map((x) => fmtMiB(x.peak)).join(', ')} |`,
        );
      }
    }
    if (!values['skip-ranges']) {
      const n = Number(values.ranges);
      const u = `${origin.url}${name}`;
      await streamGet(u, size, false); // page cache, JIT
      console.log(`\n| origin GET of ${fmtMiB(size)} (bytes dropped after counting) | MiB/s, 3 runs |`);
      console.log('|---|---|');
      const cases: [string, () => Promise<number>][] = [
        ['1 stream', () => streamGet(u, size, false)],
        ['1 stream + sha256 (ferry today)', () => streamGet(u, size, true)],
        [`${n} ranges of 16 MiB in flight`, () => rangedGet(u, size, n, 16, false)],
        [`${n} ranges of 16 MiB in flight + sha256 in order`, () => rangedGet(u, size, n, 16, true)],
      ];
      for (const [label, f] of cases) {
        const r: number[] = [];
        for (let i = 0; i < 3; i++) r.push(await f());
        console.log(`| ${label} | ${r.map((x) => x.toFixed(0)).join(', ')} |`);
      }
    }
  } finally {
    origin.stop();
    await Promise.all([minio?.stop(), ais?.stop(), temporal.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
