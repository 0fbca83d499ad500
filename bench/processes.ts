// `node dist/bench/processes.js [--rounds N] [--workload small|tiny|large] [--processes 1,2]`: the same job run by
// a `ferry worker --processes P` for each P, rounds alternated, nginx as the origin, a local bucket as the
// destination. Reports each job's own duration (from its report: workflow start to end, so the CLI's start is
// not in it) and objects/s, medians per P. Answers "where does a second worker process pay" on this machine.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '../devserver/temporal.js';
import { repoRoot } from '../devserver/paths.js';
import { dataset, datasetDir, ensureDataset, type Dataset } from './dataset.js';
import { startOrigin } from './origin.js';

const WORKLOADS: Record<string, { d: Dataset; conns: number }> = {
  small: { d: dataset('small', 10_000, 64 * 1024, 'small'), conns: 16 },
  tiny: { d: dataset('tiny', 50_000, 4 * 1024, 'tiny'), conns: 16 },
  large: { d: dataset('large', 16, 256 * 1024 * 1024, 'large'), conns: 4 },
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    workload: { type: 'string', default: 'small' },
    processes: { type: 'string', default: '1,2' },
    work: { type: 'string', default: '/tmp/ferry-bench-processes' },
  },
});
const w = WORKLOADS[values.workload];
if (!w) throw new Error(`--workload: one of ${Object.keys(WORKLOADS).join(', ')}`);
const counts = values.processes.split(',').map(Number);
const cli = join(repoRoot, 'bin', 'ferry.js');
const work = values.work;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', (code) => resolve({ code: code ?? 1, out }));
  });
}

await ensureDataset(w.d, (m) => console.error(m));
const server = await startDevServer({ uiPort: false });
const origin = await startOrigin('nginx', join(datasetDir(w.d), '..'), { workers: 1, work });
const results: Record<number, number[]> = {};
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const p of round % 2 ? [...counts].reverse() : counts) {
      const queue = `bench-procs-${p}-${round}`;
      const env = {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        FERRY_TASK_QUEUE: queue,
        FERRY_STATE_DIR: join(work, 'state'),
      };
      const bucket = join(work, `bucket-${p}-${round}`);
      const worker = spawn(process.execPath, [cli, 'worker', '--processes', String(p)], {
        env,
        stdio: 'ignore',
        detached: true,
      });
      try {
        const start = await run(
          [
            'job',
            'start',
            'download',
            `${origin.url}${w.d.name}/${w.d.template}`,
            bucket,
            '--max-conns',
            String(w.conns),
            '-q',
          ],
          env,
        );
        const id = start.out.split('\n')[0]!.trim();
        const wait = await run(['show', 'job', id, '--progress'], env);
        if (wait.code !== 0) throw new Error(`job ${id} ended with ${wait.code}`);
        const r = JSON.parse((await run(['show', 'job', id, '--json'], env)).out) as {
          durationMs: number;
          totals: { copied: number };
        };
        const rate = r.totals.copied / (r.durationMs / 1000);
        (results[p] ??= []).push(rate);
        console.error(
          `round ${round} processes ${p}: ${(r.durationMs / 1000).toFixed(2)} s, ${rate.toFixed(0)} obj/s`,
        );
      } finally {
        try {
          process.kill(-worker.pid!, 'SIGTERM');
        } catch {
          // gone
        }
        rmSync(bucket, { recursive: true, force: true });
      }
    }
  }
} finally {
  await origin.stop();
  await server.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results[counts[0]!]!);
console.log(
  `| worker processes | ${w.d.name} objects/s (median of ${values.rounds}) | × ${counts[0]} process |`,
);
console.log('|---:|---:|---:|');
for (const p of counts)
  console.log(`| ${p} | ${median(results[p]!).toFixed(0)} | ${(median(results[p]!) / base).toFixed(2)} |`);
