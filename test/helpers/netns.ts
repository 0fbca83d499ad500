// Several "hosts" on one machine: Linux network namespaces joined by veth pairs to one bridge, each with its own
// address, its own processes and, optionally, a rate-limited link (tc tbf both ways: netem is not in every
// kernel). Each process also runs in a UTS namespace of its own with the host's name (`unshare --uts`), so a
// worker's identity (`pid@name`), its host queue and FERRY_RECLAIM see distinct machines, as they would on real
// ones. Needs root. Shared by the whole-host failure tests (test/integration/hosts-*) and bench/hosts.
//
// Names never collide with a concurrent run: every namespace, veth and bridge is `fh<pid36>-<n>…` (the
// creating process's pid in base 36 and a per-process counter; at most 11 characters, under IFNAMSIZ), and
// the subnet 10.78.N.0/24 takes an N no other interface of this machine uses. A run cleans up in teardown()
// (tests call it from t.after, so a failing assertion still cleans up); the processes it starts carry
// watchdogs (devserver/process.ts) that kill them if the test process is SIGKILLed; and setup() first removes
// what an earlier run whose process is gone left behind (its pid no longer alive), never a live run's.
//
// Addressing: the bridge has 10.78.N.1 (so this process, in the root namespace, reaches the hosts' servers),
// host i has 10.78.N.(10 + i). No namespace has a default route and nothing is forwarded: no packet leaves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchGroup, type GroupWatchdog } from '../../devserver/process.js';

export interface HostSpec {
  /** A label for logs and the host's name (`<prefix>-<role>`). */
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

const PREFIX_RE = /^fh([0-9a-z]+)-(\d+)/;
let instances = 0;

function sh(cmd: string, args: string[], opts: { ignoreErrors?: boolean } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.ignoreErrors)
    throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout ?? '';
}

/** Whether this machine can run the harness: root, `ip netns`, `tc`, `unshare`. Else why not. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the multi-host harness needs root (ip netns, tc)';
  for (const [cmd, args] of [
    ['ip', ['netns', 'list']],
    ['tc', ['-V']],
    ['unshare', ['--version']],
  ] as const) {
    const r = spawnSync(cmd, [...args], { encoding: 'utf8' });
    if (r.status !== 0) return `\`${cmd}\` is not usable here: ${(r.stderr || String(r.error ?? '')).trim()}`;
  }
  return undefined;
}

export class Hosts {
  /** `fh<pid36>-<n>`: every name this run makes starts with it. */
  readonly prefix: string;
  readonly bridge: string;
  /** The third octet of this run's 10.78.N.0/24. */
  private subnet = -1;
  private readonly procs: HostProcess[] = [];
  private readonly watchdogs = new Map<ChildProcess, GroupWatchdog>();
  private up = false;

  constructor(
    readonly specs: HostSpec[],
    readonly logDir: string,
  ) {
    this.prefix = `fh${process.pid.toString(36)}-${instances++ % 10}`;
    this.bridge = `${this.prefix}br`;
  }

  ns(i: number): string {
    return `${this.prefix}h${i}`;
  }
  /** Host i's address. */
  ip(i: number): string {
    return `10.78.${this.subnet}.${10 + i}`;
  }
  /** The bridge's address: how the root namespace (this process) is seen by the hosts. */
  get bridgeIp(): string {
    return `10.78.${this.subnet}.1`;
  }
  /** Host i's name inside its UTS namespace. */
  hostName(i: number): string {
    return `${this.prefix}-${this.specs[i]?.role ?? 'host'}${i}`;
  }

  /** Make the bridge, the namespaces and their links; removes leftovers of dead earlier runs first. */
  setup(): void {
    const why = netnsUnavailable();
    if (why) throw new Error(why);
    removeStale();
    mkdirSync(this.logDir, { recursive: true });
    this.subnet = freeSubnet();
    this.up = true;
    sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${this.bridgeIp}/24`, 'dev', this.bridge]);
    sh('ip', ['link', 'set', this.bridge, 'up']);
    this.specs.forEach((spec, i) => {
      const ns = this.ns(i);
      const outer = `${this.prefix}v${i}`;
      const inner = `${this.prefix}e${i}`;
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', ns]);
      sh('ip', ['link', 'set', outer, 'master', this.bridge]);
      sh('ip', ['link', 'set', outer, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', inner, 'name', 'eth0']);
      sh('ip', ['-n', ns, 'addr', 'add', `${this.ip(i)}/24`, 'dev', 'eth0']);
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
    sh('ip', ['netns', 'exec', this.ns(i), 'tc', 'qdisc', 'replace', 'dev', 'eth0', ...tbf]);
    sh('tc', ['qdisc', 'replace', 'dev', `${this.prefix}v${i}`, ...tbf]);
  }

  /** Link down or up (a cut cable, a partition): the bridge side of host i's veth. */
  link(i: number, up: boolean): void {
    sh('ip', ['link', 'set', `${this.prefix}v${i}`, up ? 'up' : 'down']);
  }

  /**
   * Start `cmd args` on host i (its network namespace, and a UTS namespace named {@link hostName}), in a
   * process group of its own with a watchdog; output goes to logDir/<name>.log.
   */
  spawn(i: number, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): HostProcess {
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns(i),
        'unshare',
        '--uts',
        '--',
        'sh',
        '-c',
        'hostname "$0" && exec "$@"',
        this.hostName(i),
        cmd,
        ...args,
      ],
      { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    if (child.pid !== undefined) this.watchdogs.set(child, watchGroup(child.pid));
    const exited = new Promise<number | null>((r) =>
      child.once('exit', (code) => {
        this.watchdogs.get(child)?.retire();
        this.watchdogs.delete(child);
        r(code);
      }),
    );
    const p = { host: i, name, child, exited };
    this.procs.push(p);
    return p;
  }

  /** kill -9 every process of host i (a whole-host failure): the ones started here and any left in its namespace. */
  async killHost(i: number): Promise<void> {
    const mine = this.procs.filter(
      (p) => p.host === i && p.child.exitCode === null && p.child.signalCode === null,
    );
    for (const p of mine) killGroup(p.child.pid);
    if (this.up) for (const pid of nsPids(this.ns(i))) killPid(pid);
    await Promise.all(mine.map((p) => p.exited));
  }

  /** Stop everything and remove every namespace, veth and the bridge of this run. Safe to call twice. */
  async teardown(): Promise<void> {
    for (let i = 0; i < this.specs.length; i++) await this.killHost(i).catch(() => undefined);
    if (this.up) removeRun(this.prefix);
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

/**
 * Remove what harness runs left behind: every `fh*` namespace (and its processes), veth and bridge — of the
 * run `prefix` only, or, without one, of every run whose creating process is no longer alive.
 */
export function removeLeftovers(prefix?: string): void {
  if (prefix) removeRun(prefix);
  else removeStale();
}

// --- internal ---

function ownerAlive(name: string): boolean {
  const m = PREFIX_RE.exec(name);
  if (!m) return true; // not ours: never touched
  try {
    process.kill(parseInt(m[1]!, 36), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeStale(): void {
  const dead = new Set<string>();
  for (const n of [...netnsNames(), ...linkNames()]) {
    const m = PREFIX_RE.exec(n);
    if (m && !ownerAlive(n)) dead.add(`fh${m[1]}-${m[2]}`);
  }
  for (const p of dead) removeRun(p);
}

function removeRun(prefix: string): void {
  for (const ns of netnsNames().filter((n) => n.startsWith(`${prefix}h`))) {
    for (const pid of nsPids(ns)) killPid(pid);
    sh('ip', ['netns', 'del', ns], { ignoreErrors: true });
  }
  for (const l of linkNames().filter((n) => n.startsWith(prefix)))
    sh('ip', ['link', 'del', l], { ignoreErrors: true });
}

function netnsNames(): string[] {
  return sh('ip', ['netns', 'list'], { ignoreErrors: true })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => PREFIX_RE.test(n));
}

function linkNames(): string[] {
  const out: string[] = [];
  for (const line of sh('ip', ['-o', 'link', 'show'], { ignoreErrors: true }).split('\n')) {
    const m = /^\d+: ([^@:]+)[@:]/.exec(line);
    if (m && PREFIX_RE.test(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** A third octet N for 10.78.N.0/24 that no interface of this machine (root namespace) has. */
function freeSubnet(): number {
  const used = new Set<number>();
  for (const m of sh('ip', ['-o', '-4', 'addr', 'show'], { ignoreErrors: true }).matchAll(/10\.78\.(\d+)\./g))
    used.add(Number(m[1]));
  const start = Math.floor(Math.random() * 250);
  for (let k = 0; k < 250; k++) {
    const n = ((start + k) % 250) + 1;
    if (!used.has(n)) return n;
  }
  throw new Error('no free 10.78.N.0/24 subnet for the multi-host harness');
}

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
