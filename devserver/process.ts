// Process helpers shared by every real server ferry starts (Temporal dev server, MinIO, AIStore).
//
// A server started for a test, a benchmark or the CLI must never outlive its purpose by accident:
// - it runs in its own process group (detached), so stopping it kills its children too;
// - a `process.on('exit')` hook kills the group if the owner exits normally or on a signal;
// - a watchdog shell reads a pipe from the owner: if the owner is SIGKILLed (no hook runs), the kernel
//   closes the pipe, the watchdog sees EOF and kills the group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { openSync, closeSync } from 'node:fs';

export interface SpawnGroupOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append stdout+stderr here; default: discarded. */
  logFile?: string;
  /** Kill the group when this process dies, even by SIGKILL. @default true */
  watchdog?: boolean;
}

export interface GroupProcess {
  pid: number;
  /** Resolves with the exit code (or signal name) once the leader exits. */
  exited: Promise<number | string>;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves when the leader has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Detach from the watchdog and exit hooks so the process outlives this one (daemon). */
  release(): void;
}

const live = new Set<number>();
let hooked = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
  // Without a listener Node exits on these signals without running 'exit' hooks.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const pid of live) killGroup(pid, 'SIGTERM');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export function spawnGroup(cmd: string, args: string[], opts: SpawnGroupOptions = {}): GroupProcess {
  let out: number | 'ignore' = 'ignore';
  if (opts.logFile) out = openSync(opts.logFile, 'a');
  const child: ChildProcess = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  if (typeof out === 'number') closeSync(out);
  if (child.pid === undefined) {
    // The 'error' event (ENOENT, EACCES) follows on the next tick; unhandled, it would crash the caller.
    child.once('error', () => undefined);
    throw new Error(`could not start ${cmd}: spawn failed (is the binary present and executable?)`);
  }
  const pid = child.pid;
  live.add(pid);
  hookExit();

  const watchdog = opts.watchdog !== false ? watchGroup(pid) : undefined;

  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      // The leader is gone; make sure no child of it survives, then retire the watchdog quietly.
      killGroup(pid, 'SIGKILL');
      watchdog?.retire();
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      live.delete(pid);
      watchdog?.retire();
      resolve(err.message);
    });
  });
  child.unref();

  return {
    pid,
    exited,
    async stop(graceMs = 5000) {
      if (!live.has(pid)) {
        await exited;
        return;
      }
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    release() {
      live.delete(pid);
      watchdog?.retire();
    },
  };
}

/** A watchdog on one process group; see {@link watchGroup}. */
export interface GroupWatchdog {
  /** The watchdog is no longer needed (the group exited, or is released): stop it quietly. */
  retire(): void;
}

/**
 * Kill process group `pgid` when this process dies, even by SIGKILL (when no exit hook runs): a shell reads a
 * pipe from us; the kernel closes it when we die, the shell sees EOF and sends SIGTERM, then SIGKILL 3 s later.
 * The shell has a process group of its own, so whatever kills our group spares it.
 */
export function watchGroup(pgid: number): GroupWatchdog {
  // `kill -SIG -PGID`, not `kill -SIG -- -PGID`: dash (Debian's sh) rejects `--` ("Illegal number: -"),
  // which would leave the watchdog doing nothing at all.
  const watchdog = spawn(
    'sh',
    ['-c', `cat >/dev/null; kill -TERM -${pgid} 2>/dev/null; sleep 3; kill -KILL -${pgid} 2>/dev/null`],
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  watchdog.unref();
  // The pipe must not keep our event loop alive either.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  // A watchdog that could not start must not crash its owner (the 'error' event would be unhandled).
  watchdog.once('error', () => undefined);
  return {
    retire() {
      if (watchdog.pid) killGroup(watchdog.pid, 'SIGKILL');
    },
  };
}

/** A port that was free a moment ago on `host` (the kernel picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Poll `probe` until it returns true; throw a message naming `what` after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  opts: { intervalMs?: number; abortIf?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    const aborted = opts.abortIf?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`${what}: not ready after ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
