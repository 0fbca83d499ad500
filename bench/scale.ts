// Scale of whole trees and manifests (issue 11, point 7; not in CI): N small files (default 1,000,000) on a
// fresh ext4 image (bench/dest-fs.ts, as root; else a directory beside bench/data), copied into a local bucket
// twice — walked (`ferry migrate DIR BUCKET`, no names given) and through an N-line manifest
// (`ferry job start download URL BUCKET --object-list FILE`) — each with one `ferry worker` on its own dev server.
// Reports per case: wall time; objects/s over the first and the last tenth of the objects (from the job's
// progress query, sampled every second; the last must be ≥ 0.8× the first); the worker's peak RSS (VmHWM of
// the worker process, the launcher's child, < 400 MiB; the launcher's own beside it); the largest run's history events (< 10,000); the number of runs.
//
//   node dist/bench/scale.js [--files N] [--cases tree,manifest] [--dest-dir DIR] [--json OUT] [--samples PREFIX]
//     [--cpu-prof-dir DIR]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../devserver/temporal.js';
import { repoRoot } from '../devserver/paths.js';
import type { Progress } from '../common/schemas.js';
import { prepareDestFs } from './dest-fs.js';

const CLI = join(repoRoot, 'dist', 'client', 'main.js');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const FILES = Number(arg('--files') ?? 1_000_000);
/** Which cases to run (`--cases tree,manifest`, both by default). */
const CASES = (arg('--cases') ?? 'tree,manifest').split(',');
const DIRS = Math.max(1, Math.round(Math.sqrt(FILES)));
const log = (m: string) => console.error(`[scale] ${m}`);

interface CaseResult {
  case: string;
  objects: number;
  wallS: number;
  firstTenthObjPerS: number;
  lastTenthObjPerS: number;
  ratio: number;
  workerPeakRssMiB: number;
  /** The launcher's own peak RSS (0 when the worker runs in it). */
  launcherPeakRssMiB: number;
  largestRunEvents: number;
  runs: number;
  /** From the last object done to the job's close (finalizeJob: report compaction, cleanup). */
  finalizeS: number;
  /** Objects/s in each tenth of the objects, in order. */
  tenths: number[];
}

const name = (i: number) => `d${String(i % DIRS).padStart(4, '0')}/f-${String(i).padStart(7, '0')}.bin`;

function makeTree(root: string): void {
  const t0 = Date.now();
  for (let d = 0; d < DIRS; d++) mkdirSync(join(root, `d${String(d).padStart(4, '0')}`), { recursive: true });
  const body = Buffer.alloc(64, 7);
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, name(i)), body);
  log(`made ${FILES} files of 64 B in ${DIRS} dirs in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** `--cpu-prof-dir DIR`: the worker writes a V8 CPU profile there when it exits (NODE_OPTIONS may not carry it). */
const PROF_DIR = arg('--cpu-prof-dir');

function ferry(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const prof = PROF_DIR && args[0] === 'worker' ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : [];
  return spawn(process.execPath, [...prof, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function output(p: ChildProcess): Promise<string> {
  let out = '';
  p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => p.on('exit', r));
  if (code !== 0) throw new Error(`ferry exited ${code}: ${out}`);
  return out;
}

/**
 * The worker process: `ferry worker` runs its worker in a child with a bounded heap (worker/launcher.ts); the
 * launcher only waits. Without a child (FERRY_WORKER_HEAP=0, or a heap flag in NODE_OPTIONS) it is the worker.
 */
function workerPid(launcher: number): number {
  const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/);
  return kids[0] ? Number(kids[0]) : launcher;
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function runCase(
  label: string,
  start: (env: NodeJS.ProcessEnv) => Promise<string>,
  workerArgs: string[],
  dataRoot: string,
): Promise<CaseResult> {
  // A fresh database per case: one left by an interrupted run would hand its unfinished job (whose destination
  // is gone) to this case's worker.
  const dbFile = join(dataRoot, `${label}-temporal.db`);
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) rmSync(f, { force: true });
  const server = await startDevServer({ uiPort: false, dbFile });
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, FERRY_TASK_QUEUE: `scale-${label}` };
  const worker = ferry(['worker', ...workerArgs], env);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const t0 = Date.now();
    const jobId = (await start(env)).split('\n')[0]!.trim();
    log(`${label}: job ${jobId}`);
    const samples: { t: number; done: number; total: number }[] = [];
    const handle = client.workflow.getHandle(jobId);
    let closed = false;
    void handle.result().finally(() => (closed = true));
    while (!closed) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const p = await handle.query<Progress>('progress');
        samples.push({ t: Date.now(), done: p.done, total: p.total });
        if (samples.length % 30 === 0) log(`${label}: ${p.done} done`);
      } catch {
        // between runs (continue-as-new) the query may miss; the next sample counts
      }
    }
    const wallS = (Date.now() - t0) / 1000;
    const samplesOut = arg('--samples');
    // Every progress sample (seconds since start, objects done), to see the shape of a slowdown, not only its tenths.
    if (samplesOut)
      writeFileSync(
        `${samplesOut}.${label}.tsv`,
        samples.map((s) => `${((s.t - t0) / 1000).toFixed(1)}\t${s.done}`).join('\n') + '\n',
      );
    // The moment `done` crossed a mark, interpolated between the two samples around it. The tenths are rates of
    // objects copied: they end when a sample first counts every object done. What follows — finalizeJob (the
    // report's compaction, the job's cleanup) — copies none and is reported apart, as `finalizeS`. When no sample
    // saw every object done (the job closed between two polls), the close is that moment.
    const closedAt = Date.now();
    if (!samples.some((s) => s.done >= FILES)) samples.push({ t: closedAt, done: FILES, total: FILES });
    const at = (mark: number) => {
      const i = samples.findIndex((s) => s.done >= mark);
      if (i <= 0) return samples[Math.max(0, i)]!.t;
      const a = samples[i - 1]!;
      const b = samples[i]!;
      return a.t + ((b.t - a.t) * (mark - a.done)) / Math.max(1, b.done - a.done);
    };
    const rate = (from: number, to: number) => (to - from) / Math.max(0.001, (at(to) - at(from)) / 1000);
    const finalizeS = (closedAt - at(FILES)) / 1000;
    const tenth = FILES / 10;
    // Every tenth, so a ratio of first to last shows whether the rate fell along the job or only at one place;
    // the first from the first object copied (the walk's and the worker's start-up is not a rate).
    const tenthRates = Array.from({ length: 10 }, (_, k) => rate(Math.max(1, k * tenth), (k + 1) * tenth));
    const first = tenthRates[0]!;
    const last = tenthRates[9]!;
    const tenths = tenthRates.map(Math.round);
    const lengths: number[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${jobId}'` }))
      lengths.push(wf.historyLength);
    const workerProc = workerPid(worker.pid!);
    return {
      case: label,
      objects: FILES,
      wallS,
      firstTenthObjPerS: Math.round(first),
      lastTenthObjPerS: Math.round(last),
      ratio: Number((last / first).toFixed(2)),
      workerPeakRssMiB: Math.round(peakRssMiB(workerProc)),
      launcherPeakRssMiB: workerProc === worker.pid ? 0 : Math.round(peakRssMiB(worker.pid!)),
      largestRunEvents: Math.max(...lengths),
      runs: lengths.length,
      finalizeS: Number(finalizeS.toFixed(1)),
      tenths,
    };
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.on('exit', r));
    await connection.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const dataRoot = join(repoRoot, 'bench', 'data');
  mkdirSync(dataRoot, { recursive: true });
  // 1 KiB blocks and an inode per 4 KiB: 6 M inodes, and a 64-byte file costs 1 KiB, not 4.
  const fs = prepareDestFs(dataRoot, arg('--dest-dir'), log, ['-b', '1024', '-i', '4096']);
  const results: CaseResult[] = [];
  try {
    const src = join(fs.root, 'src');
    makeTree(src);
    if (CASES.includes('tree'))
      results.push(
        await runCase(
          'tree',
          (env) => output(ferry(['migrate', src, join(fs.root, 'tree-bucket'), '--no-wait', '-q'], env)),
          ['--serve-root', src],
          dataRoot,
        ),
      );
    if (CASES.includes('manifest')) {
      const manifest = join(fs.root, 'manifest.tsv');
      writeFileSync(manifest, Array.from({ length: FILES }, (_, i) => `${name(i)}\t64\n`).join(''));
      const serve = ferry(['serve', src, '--port', '0'], process.env);
      const url = await new Promise<string>((resolve) => {
        serve.stdout!.on('data', (c: Buffer) => {
          const m = /serving .+? at (https?:\/\/\S+)/.exec(c.toString());
          if (m) resolve(m[1]!);
        });
      });
      try {
        results.push(
          await runCase(
            'manifest',
            (env) =>
              output(
                ferry(
                  [
                    'job',
                    'start',
                    'download',
                    url,
                    join(fs.root, 'manifest-bucket'),
                    '--object-list',
                    manifest,
                    '-q',
                  ],
                  env,
                ),
              ),
            [],
            dataRoot,
          ),
        );
      } finally {
        serve.kill('SIGTERM');
      }
    }
  } finally {
    fs.release();
  }
  console.log(`filesystem: ${fs.describe}`);
  for (const r of results)
    console.log(
      `${r.case}: ${r.objects} objects in ${r.wallS.toFixed(0)} s; first tenth ${r.firstTenthObjPerS} obj/s, last tenth ` +
        `${r.lastTenthObjPerS} obj/s (×${r.ratio}); worker peak RSS ${r.workerPeakRssMiB} MiB ` +
        `(launcher ${r.launcherPeakRssMiB} MiB); largest run ` +
        `${r.largestRunEvents} events; ${r.runs} runs; ${r.finalizeS} s from the last object to the job's close\n` +
        `  objects/s by tenth: ${r.tenths.join(', ')}`,
    );
  const out = arg('--json');
  if (out) writeFileSync(out, JSON.stringify({ filesystem: fs.describe, results }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
