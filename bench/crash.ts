// Crash-resume cost: the small workload copied by a `ferry worker` subprocess that is killed with SIGKILL once
// about half the objects are committed and started again at once, against the same copy without the kill.
// Both are timed from workflow start to completion (+ sync) with the worker already running, so the figure is
// what the crash costs, not the CLI's startup. The local bucket's put journal (FERRY_PUT_JOURNAL, one line
// per committed object across processes) counts objects written twice.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { DevServer } from '../devserver/temporal.js';
import { repoRoot } from '../devserver/paths.js';
import type { Dataset } from './dataset.js';
import { emptyDir, median } from './measure.js';
import type { Origin } from './origin.js';
import type { CrashResult, CrashRun } from './report.js';

export interface CrashOptions {
  ds: Dataset;
  origin: Origin;
  temporal: DevServer;
  work: string;
  dest: string;
  runs: number;
  concurrency: number;
  log: (m: string) => void;
}

/** Keep in step with workflows/migration.ts (copy batches' heartbeatTimeout). */
export const HEARTBEAT_TIMEOUT = '10 seconds';
const TARGET = 1.15;

export async function runCrash(o: CrashOptions): Promise<CrashResult> {
  const connection = await Connection.connect({ address: o.temporal.address });
  const client = new Client({ connection });
  const runs: CrashRun[] = [];
  try {
    o.log(`crash: ${o.ds.count} × ${o.ds.size / 1024} KiB, ${o.runs} pairs (uninterrupted / killed at ~50%)`);
    for (let i = 0; i < o.runs; i++) {
      const kinds: CrashRun['kind'][] = i % 2 ? ['killed', 'uninterrupted'] : ['uninterrupted', 'killed'];
      for (const kind of kinds) {
        const r = await once(o, client, i, kind);
        runs.push(r);
        o.log(
          `crash run ${i + 1}/${o.runs} ${kind}: ${r.wallS.toFixed(2)} s` +
            (r.killedAt !== undefined
              ? `, killed at ${r.killedAt}, stall ${r.stallS?.toFixed(1)} s, reclaimed ${r.reclaimed}`
              : '') +
            `, copied twice ${r.copiedTwice}, load ${r.load1}`,
        );
      }
    }
  } finally {
    await connection.close();
  }
  const u = median(runs.filter((r) => r.kind === 'uninterrupted').map((r) => r.wallS));
  const k = median(runs.filter((r) => r.kind === 'killed').map((r) => r.wallS));
  return {
    workload: `small (${o.ds.count} × ${o.ds.size / 1024} KiB, --max-conns ${o.concurrency})`,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    runs,
    medianUninterruptedS: u,
    medianKilledS: k,
    ratio: k / u,
    maxCopiedTwice: Math.max(...runs.map((r) => r.copiedTwice)),
    medianStallS: median(runs.filter((r) => r.stallS !== undefined).map((r) => r.stallS!)),
    target: TARGET,
    met: k / u <= TARGET,
  };
}

// --- internal ---

const ferryBin = join(repoRoot, 'bin', 'ferry.js');

async function once(o: CrashOptions, client: Client, i: number, kind: CrashRun['kind']): Promise<CrashRun> {
  const tag = `crash-${kind}-${i}-${Date.now().toString(36)}`;
  const journal = join(o.work, `${tag}.journal`);
  const queue = `bench-${tag}`;
  emptyDir(o.dest);
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: o.temporal.address,
    FERRY_STATE_DIR: join(o.work, 'ferry-state'),
    FERRY_PUT_JOURNAL: journal,
  };
  let worker = await startWorker(env, queue);
  const load1 = Number((loadavg()[0] ?? 0).toFixed(2));
  const lineBytes = o.ds.fileName(0).length + 1; // fixed-width names: journal size / line = commits
  const committed = () => {
    try {
      return Math.floor(statSync(journal).size / lineBytes);
    } catch {
      return 0;
    }
  };
  try {
    const t0 = performance.now();
    const handle = await client.workflow.start('migrationWorkflow', {
      taskQueue: queue,
      workflowId: tag,
      args: [
        {
          source: { kind: 'template', baseUrl: `${o.origin.url}${o.ds.name}/`, template: o.ds.template },
          destination: `file://${o.dest}`,
          options: { maxConns: o.concurrency },
        },
      ],
    });
    let killedAt: number | undefined;
    let stallS: number | undefined;
    if (kind === 'killed') {
      while (committed() < o.ds.count / 2) await sleep(20);
      worker.kill('SIGKILL');
      const tk = performance.now();
      killedAt = committed();
      o.log(`crash: kill at ${((tk - t0) / 1000).toFixed(1)} s after the start (launcher pid ${worker.pid})`);
      await new Promise((r) =>
        worker.exitCode !== null || worker.signalCode !== null ? r(0) : worker.once('exit', r),
      );
      worker = await startWorker(env, queue);
      const before = committed();
      while (committed() === before) await sleep(20);
      stallS = (performance.now() - tk) / 1000;
    }
    await handle.result();
    const reclaimed = (worker.stderrText().match(/reclaimed /g) ?? []).length;
    if (kind === 'killed') for (const g of await historyGaps(handle)) o.log(`crash: ${g}`);
    spawnSync('sync');
    const wallS = (performance.now() - t0) / 1000;
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
    const distinct = new Set(lines).size;
    // The journal may miss a few objects: a kill between a commit (rename) and its journal line leaves an
    // object the retry then recognises by its metadata and does not write again. The bucket is the truth.
    const present = readdirSync(o.dest).filter((n) => !n.startsWith('.')).length;
    if (present !== o.ds.count)
      throw new Error(`crash ${kind}: ${present} of ${o.ds.count} objects in the bucket`);
    return {
      round: i,
      kind,
      wallS,
      ...(killedAt !== undefined ? { killedAt } : {}),
      ...(stallS !== undefined ? { stallS, reclaimed } : {}),
      copiedTwice: lines.length - distinct,
      load1,
    };
  } finally {
    await stopWorker(worker);
    rmSync(journal, { force: true });
  }
}

interface HistoryEvent {
  eventTime?: { seconds?: unknown; nanos?: number };
  eventType?: unknown;
  eventId?: unknown;
  workflowTaskScheduledEventAttributes?: { taskQueue?: { name?: string; kind?: unknown } };
  workflowTaskStartedEventAttributes?: { identity?: string };
}

/** Who held a workflow task (a gap after one is the task timeout of a worker that died holding it). */
function who(e: HistoryEvent): string {
  const started = e.workflowTaskStartedEventAttributes?.identity;
  if (started) return `; started by ${started}`;
  const q = e.workflowTaskScheduledEventAttributes?.taskQueue;
  return q
    ? `; scheduled on ${String(q.kind) === '2' ? 'the sticky queue' : 'the normal queue'} ${q.name ?? ''}`
    : '';
}

/** Pauses of more than a second in a job's history: where a crash's cost went (what waited, for how long). */
async function historyGaps(handle: {
  fetchHistory(): Promise<{ events?: unknown[] | null }>;
}): Promise<string[]> {
  const out: string[] = [];
  const { events } = await handle.fetchHistory();
  let prev: number | undefined;
  let first: number | undefined;
  let prevType = '';
  let prevWho = '';
  for (const e of (events ?? []) as HistoryEvent[]) {
    const t = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    first ??= t;
    if (prev !== undefined && t - prev > 1000)
      out.push(
        `${((t - prev) / 1000).toFixed(1)} s pause before event ${String(e.eventId)} (type ${String(e.eventType)}, after type ${prevType}) at ${((t - first) / 1000).toFixed(1)} s${prevWho}`,
      );
    prevWho = who(e);
    prev = Math.max(prev ?? t, t);
    prevType = String(e.eventType);
  }
  return out;
}

/** Start `ferry worker` and wait until it polls (it says so on stderr once its workers run). */
async function startWorker(
  env: NodeJS.ProcessEnv,
  queue: string,
): Promise<ChildProcess & { stderrText: () => string }> {
  const child = spawn(process.execPath, [ferryBin, 'worker', '--task-queue', queue], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry worker did not start:\n${text}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('ferry worker:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`ferry worker exited (${c}):\n${text}`));
    });
  });
  // The listener above keeps collecting: the restarted worker reports the attempts it reclaimed.
  return Object.assign(child, { stderrText: () => text });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}
