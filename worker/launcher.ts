// `ferry worker` runs in a child Node process whose old-generation heap is bounded (FERRY_WORKER_HEAP,
// default 192 MiB). Why: V8 sizes its heap limit from the machine's memory (4 GiB here) and collects lazily
// below it, so an idle-but-busy worker's RSS grew to 463 MiB at 50,000 objects with nothing live to keep;
// bounded at 192 MiB the same worker copied 1,000,000 objects at 335 MiB (README, Scale). The limit can only
// be set when a Node process starts (`v8.setFlagsFromString` after start does not move it), hence the
// re-exec. The Temporal SDK also sizes its workflow cache from the heap limit, so a bounded heap caches fewer
// workflows, which is what a copy worker wants.
//
// The launcher must be invisible: its exit code and signal are the child's; SIGINT/SIGTERM/SIGHUP are passed
// on; and a launcher killed outright (SIGKILL, OOM killer) takes the child with it — the child watches its IPC
// channel and SIGKILLs itself when the channel drops, so `kill -9 <launcher>` is `kill -9` of the worker, as
// every crash test and operator expects. The child's pid is the worker identity (`<pid>@<host>`), which the
// reclaim of a restarted worker (worker/reclaim.ts) then finds dead.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import { ConfigError, readVar } from '../lib/env.js';

/** Set in the child: the launcher's pid (it is the child's IPC peer; a dropped channel means it died). */
const LAUNCHED = 'FERRY_WORKER_LAUNCHER_PID';
const MIB = 1024 * 1024;
const MIN_HEAP = 64 * MIB;

/** The heap flag is already chosen, on the command line or in NODE_OPTIONS: the user's choice wins. */
function heapAlreadySet(): boolean {
  const flag = /--max[-_]old[-_]space[-_]size/;
  return process.execArgv.some((a) => flag.test(a)) || flag.test(process.env.NODE_OPTIONS ?? '');
}

/** The `--max-old-space-size` value in MiB this worker should be relaunched with, or undefined for none. */
export function heapLimitMiB(): number | undefined {
  if (process.env[LAUNCHED] !== undefined || heapAlreadySet()) return undefined;
  const bytes = readVar('FERRY_WORKER_HEAP');
  if (bytes === 0) return undefined;
  if (bytes < MIN_HEAP)
    throw new ConfigError(
      'FERRY_WORKER_HEAP',
      process.env.FERRY_WORKER_HEAP ?? '',
      "is below 64MiB: a worker needs more; use e.g. 192MiB, or 0 for Node's default",
    );
  return Math.ceil(bytes / MIB);
}

/**
 * From bin/ferry.js, before the CLI's modules load: `ferry worker` relaunches in its bounded child here, so the
 * launcher costs one bare Node start-up instead of a whole CLI start-up (0.7–0.8 s of every `ferry worker` start
 * and of every restart after a crash, measured at load 2–3, ~0.4 s of it the CLI's modules). The child checks the
 * options and reports what is wrong, once; the launcher passes its stderr and exit code on. Returns when the
 * worker should run in this process (or FERRY_WORKER_HEAP is malformed: the CLI reports that, in one line).
 */
export async function launchEarly(): Promise<void> {
  let mib: number | undefined;
  try {
    mib = heapLimitMiB();
  } catch {
    return;
  }
  if (mib !== undefined) await relaunch(mib, (m) => console.error(`ferry worker: ${m}`));
}

/**
 * In the launched child: die with the launcher (elsewhere, nothing). The channel is unref'd so it never keeps
 * the worker alive on its own.
 */
export function followLauncher(): void {
  if (process.env[LAUNCHED] === undefined || !process.send) return;
  process.channel?.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/**
 * Run this same command line in a child with `--max-old-space-size=<mib>` and mirror its end: never returns;
 * the process exits with the child's code, or dies of the child's signal.
 *
 * A child that runs out of heap is started again with twice the heap, up to Node's own default on this host:
 * a bounded heap must not turn one origin directory of millions of files (whose listing a walk holds) into a
 * crash loop. V8's report of the crash (its last GCs and a native stack) is replaced by one line; the
 * restarted worker reclaims the dead one's attempts at once (worker/reclaim.ts).
 */
export async function relaunch(mib: number, log: (m: string) => void): Promise<never> {
  const ceiling = Math.floor(getHeapStatistics().heap_size_limit / MIB);
  let child: ChildProcess | undefined;
  let stopping = false;
  // Ctrl-C in a terminal sends SIGINT to the whole foreground process group, the worker included: passed on
  // as well, it would be the worker's second SIGINT, which kills it instead of letting it drain. So with a
  // terminal on stdin the launcher only notes it; without one (a supervisor, a test) it passes it on.
  const fromTerminal = process.stdin.isTTY === true;
  for (const sig of SIGNALS)
    process.on(sig, () => {
      if (sig !== 'SIGHUP') stopping = true;
      if (!(sig === 'SIGINT' && fromTerminal)) child?.kill(sig);
    });
  for (let heap = mib; ;) {
    const c = spawn(
      process.execPath,
      [...process.execArgv, `--max-old-space-size=${heap}`, ...process.argv.slice(1)],
      {
        stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
        env: {
          // glibc gives each thread that allocates (libuv's pool doing fs calls, the Temporal core's runtime
          // threads) an arena of its own, up to 8 per core, and keeps their freed memory: at 300,000 walked
          // files that was ~50 MiB of the worker's peak RSS (392 vs 342 MiB with 2 arenas, same speed;
          // README, Worker memory). The user's own setting wins.
          MALLOC_ARENA_MAX: '2',
          ...process.env,
          [LAUNCHED]: String(process.pid),
        },
      },
    );
    child = c;
    const report = passStderr(c.stderr!);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      c.once('error', reject);
      c.once('exit', (co, si) => resolve([co, si]));
    });
    const fatal = await report;
    const next = Math.min(heap * 2, ceiling);
    if (fatal?.outOfMemory && !stopping && next > heap) {
      log(`the worker ran out of its ${heap} MiB heap; restarting it with ${next} MiB (FERRY_WORKER_HEAP)`);
      heap = next;
      continue;
    }
    if (fatal)
      log(
        fatal.outOfMemory
          ? `the worker ran out of its ${heap} MiB heap, Node's limit on this host: give it fewer concurrent activities`
          : `the worker died: ${fatal.line}`,
      );
    if (signal) {
      // Die of the same signal, so a supervisor sees what the worker saw.
      for (const sig of SIGNALS) process.removeAllListeners(sig);
      process.kill(process.pid, signal);
      // A signal that does not end a process by default (none of those a worker dies of) falls through.
      await new Promise((r) => setTimeout(r, 1000));
    }
    process.exit(code ?? 1);
  }
}

// --- internal ---

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Copy the child's stderr to ours line by line, until V8's fatal-error report starts (`<--- Last few GCs`,
 * `FATAL ERROR:`): that and everything after it (a native stack trace) is held back. Resolves, at the end of
 * the stream, with the report's FATAL ERROR line, or undefined when there was none.
 */
function passStderr(stream: Readable): Promise<{ line: string; outOfMemory: boolean } | undefined> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let held = false;
  let fatal: { line: string; outOfMemory: boolean } | undefined;
  lines.on('line', (line) => {
    if (/^<--- Last few GCs|^FATAL ERROR:|^#\s*Fatal error/.test(line)) held = true;
    if (held) {
      if (/FATAL ERROR:|Fatal error/.test(line))
        fatal = { line: line.replace(/^#\s*/, ''), outOfMemory: /out of memory/i.test(line) };
      return;
    }
    process.stderr.write(`${line}\n`);
  });
  return new Promise((resolve) =>
    lines.once('close', () =>
      resolve(fatal ?? (held ? { line: 'V8 fatal error', outOfMemory: false } : undefined)),
    ),
  );
}
