// `ferry worker --processes N`: one Node process uses one core for JavaScript, and a copy worker's JavaScript
// (HTTP parsing, hashing glue, the bucket's commit calls) is what limits small-object throughput. N processes
// poll the same copy queue and Temporal spreads batches over them; each is a whole worker of its own (own
// connection, own reclaim identity `<pid>@<host>`), so losing one loses only its attempts, which the others —
// or its restarted replacement, at once through worker/reclaim.ts — take over.
//
// The primary (this process) is a full worker: the copy queue, plus the host queue and the metrics port when
// asked. The others copy only: step 1 must run in exactly one file server per host, and a port binds once.
// A copy process that dies is restarted (at most RESTARTS_PER_MINUTE times a minute, then left down with a
// line saying so); SIGINT/SIGTERM reach them all, and the primary waits for them before it exits.
import { spawn, type ChildProcess } from 'node:child_process';

/** Restarts of one slot within a minute before it is left down (a crash loop is a bug, not a blip). */
const RESTARTS_PER_MINUTE = 5;

export interface CopyProcesses {
  /** Stop every copy process (SIGTERM: each drains like a worker does) and wait for them. */
  shutdown(): Promise<void>;
  readonly pids: () => number[];
}

/**
 * Start `count` copy-only worker processes running `args` (the `ferry worker` command line for a copy-only
 * worker) with this process's Node binary.
 */
export function startCopyProcesses(
  count: number,
  cli: string,
  args: string[],
  log: (m: string) => void,
): CopyProcesses {
  const slots: { child: ChildProcess | undefined; starts: number[] }[] = [];
  let stopping = false;
  const start = (slot: number): void => {
    const s = slots[slot]!;
    const now = Date.now();
    s.starts = s.starts.filter((t) => now - t < 60_000);
    if (s.starts.length >= RESTARTS_PER_MINUTE) {
      log(`copy process ${slot + 1} exited ${RESTARTS_PER_MINUTE} times within a minute; left down`);
      s.child = undefined;
      return;
    }
    s.starts.push(now);
    // execArgv carries the launcher's heap bound (worker/launcher.ts) to every copy process.
    const child = spawn(process.execPath, [...process.execArgv, cli, 'worker', ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, FERRY_WORKER_PROCESS: String(slot + 2) },
    });
    s.child = child;
    child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`copy process ${slot + 1} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting`);
      start(slot);
    });
  };
  for (let i = 0; i < count; i++) {
    slots.push({ child: undefined, starts: [] });
    start(i);
  }
  return {
    pids: () => slots.flatMap((s) => (s.child?.pid !== undefined ? [s.child.pid] : [])),
    async shutdown() {
      stopping = true;
      await Promise.all(
        slots.map(async (s) => {
          const c = s.child;
          if (!c || c.exitCode !== null || c.signalCode !== null) return;
          const exited = new Promise<void>((r) => c.once('exit', () => r()));
          c.kill('SIGTERM');
          await exited;
        }),
      );
    },
  };
}
