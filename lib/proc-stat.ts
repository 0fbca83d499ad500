// /proc/<pid>/stat (Linux), read where ferry must tell a live process from a dead one: the reclaim of a dead
// worker's attempts (worker/reclaim.ts) and the tests that prove nothing is left running. One parser for
// both, because the line is easy to misread: the command name (field 2) is the process's own choice, up to
// 15 bytes in parentheses, and may hold spaces and parentheses itself, so the fields after it are only found
// from the LAST ')' (proc(5)). Written by hand: a 20-line split needs no dependency.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** The command name (comm), without its parentheses. */
  comm: string;
  /** One letter: R running, S sleeping, D disk sleep, T stopped, Z zombie, X dead, ... */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Start time in clock ticks after boot: with the pid, it names one process even if the pid is reused. */
  startTime: number;
}

/** Parse the text of a /proc/<pid>/stat file. */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // After "comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice num_threads itrealvalue starttime ... (fields 3, 4, 5, ... 22).
  const f = text.slice(close + 2).split(' ');
  return {
    comm: text.slice(open + 1, close),
    state: f[0] ?? '',
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    startTime: Number(f[19]),
  };
}

/**
 * The stat of process `pid`, or undefined when there is no such process (its /proc entry is gone). Other
 * errors (no /proc: not Linux) are thrown: the caller decides what "cannot tell" means.
 */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH')
      return undefined;
    throw err;
  }
}

/**
 * Exited: a zombie (Z, not yet reaped by its parent) or dead (X, being reaped). `kill(pid, 0)` still succeeds
 * on such a process; a reparented zombie stays one for as long as init takes to reap it.
 */
export function hasExited(s: ProcStat): boolean {
  return s.state === 'Z' || s.state === 'X';
}
