// Several "hosts" on one machine: Linux network namespaces joined by veth pairs to one bridge, each with its own
// address, its own processes and, for copy hosts, a rate-limited link (tc tbf both ways: netem is not in every
// kernel). Needs root. Everything is named `ferry-*` (namespaces ferry-h0.., bridge ferry-br, veths ferry-v0..)
// so leftovers of a killed run can be found: bench/hosts/cleanup.sh removes them.
//
// Addressing: 10.77.0.0/24 lives only on the bridge made here (10.77.0.1, so this process can reach the hosts'
// servers) and inside the namespaces (10.77.0.10 + i). No namespace has a default route and nothing is
// forwarded: no packet leaves the machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BRIDGE = 'ferry-br';
export const BRIDGE_IP = '10.77.0.1';
export const nsName = (i: number) => `ferry-h${i}`;
export const hostIp = (i: number) => `10.77.0.${10 + i}`;

export interface HostSpec {
  /** A label for logs. */
  role: string;
  /** Link rate each way (tc tbf), e.g. `200mbit`; none when absent. */
  rate?: string;
}

export interface HostProcess {
  readonly host: number;
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

function sh(cmd: string, args: string[], opts: { ignoreErrors?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.ignoreErrors)
    throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout ?? '';
}

export class Hosts {
  private readonly procs: HostProcess[] = [];
  private up = false;

  constructor(
    readonly specs: HostSpec[],
    readonly logDir: string,
  ) {}

  /** Make the bridge, the namespaces and their links; removes leftovers of an earlier run first. */
  setup(): void {
    if (process.getuid?.() !== 0) throw new Error('the multi-host harness needs root (ip netns, tc)');
    removeLeftovers();
    mkdirSync(this.logDir, { recursive: true });
    this.up = true;
    sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE]);
    sh('ip', ['link', 'set', BRIDGE, 'up']);
    this.specs.forEach((spec, i) => {
      const ns = nsName(i);
      const outer = `ferry-v${i}`;
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', `ferry-e${i}`, 'netns', ns]);
      sh('ip', ['link', 'set', outer, 'master', BRIDGE]);
      sh('ip', ['link', 'set', outer, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', `ferry-e${i}`, 'name', 'eth0']);
      sh('ip', ['-n', ns, 'addr', 'add', `${hostIp(i)}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      if (spec.rate) this.limit(i, spec.rate);
    });
  }

  /**
   * Rate-limit host i's link both ways: its eth0 (what it sends) and the bridge side of its veth (what it
   * receives). A burst of 64 KiB and 50 ms of queue keep the rate smooth at the tens-of-Mbit scale used here.
   */
  limit(i: number, rate: string): void {
    const tbf = ['root', 'tbf', 'rate', rate, 'burst', '64kb', 'latency', '50ms'];
    sh('ip', ['netns', 'exec', nsName(i), 'tc', 'qdisc', 'replace', 'dev', 'eth0', ...tbf]);
    sh('tc', ['qdisc', 'replace', 'dev', `ferry-v${i}`, ...tbf]);
  }

  /** Link down or up (a cut cable): both ends of host i's veth. */
  link(i: number, up: boolean): void {
    sh('ip', ['link', 'set', `ferry-v${i}`, up ? 'up' : 'down']);
  }

  /** Start `cmd args` inside host i, in a process group of its own; output goes to logDir/<name>.log. */
  spawn(i: number, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): HostProcess {
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    const child = spawn('ip', ['netns', 'exec', nsName(i), cmd, ...args], {
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const p = { host: i, name, child, exited };
    this.procs.push(p);
    return p;
  }

  /** kill -9 every process of host i (a whole-host failure): the ones started here and any left in its namespace. */
  async killHost(i: number): Promise<void> {
    const mine = this.procs.filter((p) => p.host === i && p.child.exitCode === null);
    for (const p of mine) killGroup(p.child.pid);
    for (const pid of nsPids(nsName(i))) killPid(pid);
    await Promise.all(mine.map((p) => p.exited));
  }

  /** Stop everything and remove every namespace, veth and the bridge. Safe to call twice. */
  async teardown(): Promise<void> {
    for (let i = 0; i < this.specs.length; i++) await this.killHost(i).catch(() => undefined);
    if (this.up) removeLeftovers();
    this.up = false;
  }
}

/** Resolve once host:port accepts a TCP connection (from this, the root namespace, through the bridge). */
export async function waitForPort(host: string, port: number, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${host}:${port} not listening after ${timeoutMs} ms`);
    await sleep(200);
  }
}

// --- internal ---

function nsPids(ns: string): number[] {
  return sh('ip', ['netns', 'pids', ns], { ignoreErrors: true })
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    killPid(pid);
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** Every `ferry-h*` namespace (and the processes in it: all started by this harness), every `ferry-v*` veth, the bridge. */
export function removeLeftovers(): void {
  for (const line of sh('ip', ['netns', 'list'], { ignoreErrors: true }).split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    if (!/^ferry-h\d+$/.test(ns)) continue;
    for (const pid of nsPids(ns)) killPid(pid);
    sh('ip', ['netns', 'del', ns], { ignoreErrors: true });
  }
  for (const line of sh('ip', ['-o', 'link', 'show'], { ignoreErrors: true }).split('\n')) {
    const m = /^\d+: (ferry-v\d+)[@:]/.exec(line);
    if (m) sh('ip', ['link', 'del', m[1]!], { ignoreErrors: true });
  }
  sh('ip', ['link', 'del', BRIDGE], { ignoreErrors: true });
}
