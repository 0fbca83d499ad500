// Process checks for tests that prove nothing is left running. Zombie-aware: a process whose parent died is
// reparented to init and stays a zombie until init reaps it — dead, but `kill(pid, 0)` still succeeds on it,
// which would make "is it gone?" flaky on a busy machine.
import { readdirSync, readFileSync } from 'node:fs';
import { hasExited, readProcStat, type ProcStat } from '../../lib/proc-stat.js';

/** Live (not zombie) members of process group `pgid` (Linux /proc). */
export function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s && s.pgrp === pgid && !hasExited(s)) out.push(Number(name));
  }
  return out;
}

/** Whether `pid` is a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && !hasExited(s);
}

/** Pids of live processes whose environment holds `entry` (`NAME=value`). */
export function processesWithEnv(entry: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // A zombie's environ is empty: it never matches.
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) out.push(Number(name));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return out;
}

// --- internal ---

function stat(pid: number): ProcStat | undefined {
  try {
    return readProcStat(pid);
  } catch {
    return undefined; // not ours to read
  }
}
