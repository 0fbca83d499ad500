// Timing one contender: a subprocess under GNU time (user+sys of its whole process tree, which wait4's rusage
// includes), then `sync`, both inside the timed span; the destination is emptied and synced before it.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface Command {
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface Timed {
  wallS: number;
  /** user+sys of the contender's process tree. */
  cpuS: number;
  maxRssMiB: number;
  exitCode: number;
  /** 1-minute load average when the run started. */
  load1: number;
}

const TIME = '/usr/bin/time';

/** Run `c` to completion and `sync` (unless `sync: false`); stdout+stderr go to `logFile`. */
export async function timed(c: Command, logFile: string, opts: { sync?: boolean } = {}): Promise<Timed> {
  const timeFile = `${logFile}.time`;
  const out = openSync(logFile, 'w');
  const load1 = loadavg()[0] ?? 0;
  const t0 = performance.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%U %S %M', '-o', timeFile, c.cmd, ...c.args], {
      stdio: ['ignore', out, out],
      env: { ...process.env, ...c.env },
    });
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : 1)));
  });
  if (opts.sync !== false) spawnSync('sync');
  const wallS = (performance.now() - t0) / 1000;
  closeSync(out);
  // GNU time prefixes "Command exited with non-zero status N" on a failure; the figures are the last line.
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
  const [user, sys, rssKiB] = last.split(' ').map(Number);
  rmSync(timeFile, { force: true });
  return {
    wallS,
    cpuS: (user ?? NaN) + (sys ?? NaN),
    maxRssMiB: (rssKiB ?? NaN) / 1024,
    exitCode,
    load1,
  };
}

/** Empty a destination directory and flush the deletions, so they do not land in the next timed `sync`. */
export function emptyDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  spawnSync('sync');
}

const CLK_TCK = 100;
/** CPU seconds (user+sys) a process has used, from /proc; NaN once it is gone. */
export function procCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** First line of `cmd args` output, or undefined when the tool is missing. */
export function versionOf(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return (r.stdout || r.stderr).trim().split('\n')[0];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
