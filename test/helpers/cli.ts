// Test helpers for end-to-end tests through real processes: the ferry CLI as a subprocess (one-shot commands,
// and long-running `ferry serve` / `ferry worker` in process groups of their own that a test can kill -9),
// progress polling through the Temporal client, deterministic datasets and byte-for-byte bucket checks.
//
// Every test gets its own task queue (its workers never steal another test's tasks) and its own state
// directory (no embedded server or daemon worker is ever started: TEMPORAL_ADDRESS points at the suite's).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Progress } from '../../common/schemas.js';
import { repoRoot } from '../../devserver/paths.js';
import { watchGroup } from '../../devserver/process.js';
import { progressQuery } from '../../workflows/index.js';
import { testAddress } from './temporal.js';

export const FERRY_BIN = join(repoRoot, 'bin', 'ferry.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A long-running ferry process (serve, worker), leader of its own process group. */
export interface FerryProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or 128 + signal number style: -1 for a signal) once it exited. */
  readonly exited: Promise<number>;
  /** The same end as `[code, signal]`, for tests that tell an exit 0 from a death by signal. */
  readonly exitStatus: Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves with the first match of `re` in stdout+stderr; rejects if the process exits first or on timeout. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** `kill -9` the whole process group (a crash: no shutdown hooks run), and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM the process group, wait up to `graceMs`, then kill -9. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * One test's view of ferry: an isolated task queue, state directory and scratch directory, and the processes
 * it started — all killed (kill -9, whole process group) and the scratch directory removed in `t.after`,
 * whether the test passed or not.
 */
export class FerryHarness {
  readonly taskQueue = `test-${randomUUID()}`;
  /** Scratch directory of this test, under the suite's work directory. */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly procs = new Set<FerryProcess>();
  private client?: Promise<{ client: Client; connection: Connection }>;

  constructor(t: TestContext, name: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const base = process.env.FERRY_TEST_WORKDIR ?? tmpdir();
    this.dir = mkdtempSync(join(base, `${name}-`));
    const address = testAddress();
    this.env = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      FERRY_TASK_QUEUE: this.taskQueue,
      FERRY_STATE_DIR: join(this.dir, 'state'),
      ...extraEnv,
    };
    t.after(() => this.cleanup());
  }

  /** Run a one-shot CLI command to completion. */
  run(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
    return runFerry(args, {
      env: { ...this.env, ...opts.env },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  /** Start a long-running CLI command in its own process group; it is killed at the end of the test. */
  spawn(name: string, args: string[], opts: { env?: NodeJS.ProcessEnv } & SpawnOptions = {}): FerryProcess {
    const { env, ...spawnOpts } = opts;
    const p = spawnFerry(name, args, { ...this.env, ...env }, spawnOpts);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    return p;
  }

  /** `ferry serve DIR --port 0`: resolves once it listens, with the URL it printed. */
  async serve(root: string): Promise<{ url: string; proc: FerryProcess }> {
    const proc = this.spawn('serve', ['serve', root, '--port', '0']);
    const m = await proc.waitFor(/serving (.+?) at (https?:\/\/\S+)/, 30_000);
    return { url: m[2]!.replace(/\/$/, ''), proc };
  }

  /** `ferry worker` on this test's task queue: resolves once it polls (it prints its banner then). */
  async worker(
    opts: { env?: NodeJS.ProcessEnv; args?: string[]; nodeArgs?: string[] } = {},
  ): Promise<FerryProcess> {
    const { args = [], ...spawnOpts } = opts;
    const proc = this.spawn('worker', ['worker', ...args], spawnOpts);
    await proc.waitFor(/ferry worker: .* queue /, 60_000);
    return proc;
  }

  /** A Temporal client on the suite's server (one per test, closed in t.after). */
  async temporal(): Promise<Client> {
    this.client ??= (async () => {
      const connection = await Connection.connect({ address: testAddress() });
      return { connection, client: new Client({ connection }) };
    })();
    return (await this.client).client;
  }

  /** Poll the job's progress query until `predicate` holds; see {@link waitForProgress}. */
  async waitForProgress(
    jobId: string,
    predicate: (p: Progress) => boolean,
    opts: { timeoutMs?: number } = {},
  ): Promise<Progress> {
    return waitForProgress(await this.temporal(), jobId, predicate, opts);
  }

  private async cleanup(): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.kill()));
    if (this.client) await (await this.client).connection.close().catch(() => undefined);
    // Best effort, as exec.ts rmrf: a server another hook stops may still be writing; the suite's work
    // directory takes what is left.
    try {
      rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (err) {
      console.log(`# cleanup: ${this.dir} not removed (${(err as Error).message})`);
    }
  }
}

/** Run `node bin/ferry.js ...args` to completion. */
export function runFerry(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FERRY_BIN, ...args], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    // Its own process group survives this process's death: the watchdog kills it then (see spawnFerry).
    const watchdog = child.pid === undefined ? undefined : watchGroup(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`ferry ${args.join(' ')}: no exit after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      watchdog?.retire();
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      watchdog?.retire();
      resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr });
    });
  });
}

export interface SpawnOptions {
  /** Another build's launcher, for the upgrade test. */
  bin?: string;
  /** Node flags before the launcher's path, e.g. `--max-old-space-size=300`. */
  nodeArgs?: string[];
}

/** Spawn a long-running `node bin/ferry.js ...args` as the leader of a new process group. */
export function spawnFerry(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: SpawnOptions = {},
): FerryProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.bin ?? FERRY_BIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`ferry ${name}: spawn failed`);
  const pid = child.pid;
  // A process group of its own lets a test kill -9 the process with all its children, but also outlives
  // this test process: were the runner killed, no t.after would run. The watchdog (the same one the dev
  // server has) kills the group when this process dies, however it dies.
  const watchdog = watchGroup(pid);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  let alive = true;
  // 'close', not 'exit': it also waits for every process that holds the leader's stdout or stderr (a child
  // that inherited them), so the group kill below never beats such a child to its own end.
  const exitStatus = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.once('close', (code, signal) => {
      alive = false;
      // Children it left in its group go too (the test's kill may have hit only the leader).
      killGroup(child, 'SIGKILL');
      watchdog.retire();
      notify();
      resolve([code, signal]);
    });
  });
  const exited = exitStatus.then(([code, signal]) => code ?? (signal ? -1 : 0));
  const proc: FerryProcess = {
    name,
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitStatus,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out) ?? re.exec(err);
          if (m) return done(() => resolve(m));
          if (!alive)
            return done(() =>
              reject(new Error(`ferry ${name} exited before printing ${re}:\n${out}\n${err}`)),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`ferry ${name}: ${re} not seen in ${timeoutMs} ms:\n${out}\n${err}`)),
            ),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (!alive) return;
      killGroup(child, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive) return;
      killGroup(child, 'SIGTERM');
      const t = await Promise.race([exited.then(() => 'exited'), sleep(graceMs, 'timeout')]);
      if (t === 'timeout') await proc.kill();
    },
  };
  return proc;
}

/**
 * Poll the progress query of a job until `predicate` holds. Query errors (no worker alive, between
 * continue-as-new runs) are retried; a job that closes before the predicate holds is an error.
 */
export async function waitForProgress(
  client: Client,
  jobId: string,
  predicate: (p: Progress) => boolean,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Progress> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let last: Progress | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    const handle = client.workflow.getHandle(jobId);
    try {
      last = await handle.query(progressQuery);
      if (predicate(last)) return last;
    } catch (err) {
      lastErr = err;
      const desc = await handle.describe().catch(() => undefined);
      if (desc && desc.status.name !== 'RUNNING' && desc.status.name !== 'CONTINUED_AS_NEW')
        throw new Error(`job ${jobId} closed (${desc.status.name}) before the awaited progress`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
  throw new Error(
    `job ${jobId}: progress condition not met in time; last ${JSON.stringify(last)}` +
      (lastErr
        ? `; last query error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}`
        : ''),
  );
}

// --- datasets ---

export interface DatasetSpec {
  /** Number of files. */
  count: number;
  /** File name of index i, e.g. (i) => `obj-${String(i).padStart(4, '0')}.bin`. */
  name: (i: number) => string;
  /** Size in bytes of file i: a number, or [min, max] for deterministic pseudo-random sizes. */
  size: number | [number, number];
  /** Seed of the content and sizes: the same spec always yields the same bytes. */
  seed?: number;
}

/** Write `count` files of deterministic pseudo-random content under `dir`; returns names and total bytes. */
export function makeDataset(dir: string, spec: DatasetSpec): { names: string[]; bytes: number } {
  mkdirSync(dir, { recursive: true });
  const seed = spec.seed ?? 1;
  const names: string[] = [];
  let bytes = 0;
  const made = new Set<string>();
  for (let i = 0; i < spec.count; i++) {
    const rnd = xorshift32(mix32(Math.imul(seed, 0x9e3779b1) ^ mix32(i + 1)));
    const size =
      typeof spec.size === 'number'
        ? spec.size
        : spec.size[0] + Math.floor((rnd() / 0x1_0000_0000) * (spec.size[1] - spec.size[0] + 1));
    const buf = Buffer.allocUnsafe(size);
    for (let o = 0; o < size; o += 4) {
      const v = rnd();
      buf[o] = v & 0xff;
      if (o + 1 < size) buf[o + 1] = (v >>> 8) & 0xff;
      if (o + 2 < size) buf[o + 2] = (v >>> 16) & 0xff;
      if (o + 3 < size) buf[o + 3] = (v >>> 24) & 0xff;
    }
    const name = spec.name(i);
    const path = join(dir, name);
    const sub = path.slice(0, path.lastIndexOf('/'));
    if (sub !== dir && !made.has(sub)) {
      mkdirSync(sub, { recursive: true });
      made.add(sub);
    }
    writeFileSync(path, buf);
    names.push(name);
    bytes += size;
  }
  return { names, bytes };
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface TreeComparison {
  /** Names missing from the bucket. */
  missing: string[];
  /** Names whose bytes differ. */
  different: string[];
  /** Files in the bucket (outside `.ferry/`) that are not in `names`. */
  extra: string[];
}

/** Compare `names` under `srcDir` with the same names in a local bucket directory, by sha256. */
export async function compareTrees(
  srcDir: string,
  bucketDir: string,
  names: string[],
): Promise<TreeComparison> {
  const missing: string[] = [];
  const different: string[] = [];
  const want = new Set(names);
  const present = new Set(await listFiles(bucketDir, { skip: ['.ferry'] }));
  const queue = [...names];
  const lane = async () => {
    for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
      if (!present.has(name)) {
        missing.push(name);
        continue;
      }
      const [a, b] = await Promise.all([sha256File(join(srcDir, name)), sha256File(join(bucketDir, name))]);
      if (a !== b) different.push(name);
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const extra = [...present].filter((n) => !want.has(n));
  return { missing: missing.sort(), different: different.sort(), extra: extra.sort() };
}

/** Every regular file under `dir`, as '/'-separated paths relative to it; `skip` prunes top-level entries. */
export async function listFiles(dir: string, opts: { skip?: string[] } = {}): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (d === dir && opts.skip?.includes(e.name)) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  await walk(dir);
  return out;
}

/** Lines of a FERRY_PUT_JOURNAL file counted per object name: how often each object was committed. */
export function journalCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}

// --- internal ---

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** murmur3's finalizer: spreads neighbouring seeds over 32 bits. */
function mix32(v: number): number {
  let h = v >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function xorshift32(seed: number): () => number {
  let x = seed || 0x2545f491;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
