// The `origin` workload: how fast each origin serves the benchmark's datasets, with curl as the client and
// /dev/null as the sink, so the origin (and the loopback) is all that is measured. The origins run side by
// side for the whole workload; each round times every origin once, in rotated order (A B C, B C A, ...), so
// drift in machine load spreads over all of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Dataset } from './dataset.js';
import { humanSize } from './dataset.js';
import { timed, type Command } from './measure.js';
import type { Origin } from './origin.js';
import { summarize, type RunRecord, type WorkloadResult } from './report.js';

export interface OriginWorkloadOptions {
  name: string;
  ds: Dataset;
  concurrency: number;
  origins: Origin[];
  runs: number;
  work: string;
  log: (m: string) => void;
  nextRound(): number;
}

export async function runOriginWorkload(o: OriginWorkloadOptions): Promise<WorkloadResult> {
  const raw = o.origins.map((origin) => ({
    name: origin.kind,
    flags: origin.describe,
    runs: [] as RunRecord[],
  }));
  o.log(
    `${o.name}: ${o.ds.count} × ${humanSize(o.ds.size)} → /dev/null with curl, concurrency ${o.concurrency}, ` +
      `${o.runs} runs of ${o.origins.map((x) => x.kind).join(', ')}`,
  );
  const once = async (origin: Origin, round: number): Promise<RunRecord> => {
    const tag = `${o.name}-${origin.kind}-${round}`;
    const logFile = join(o.work, `${tag}.log`);
    const c0 = await origin.sample();
    const t = await timed(curlCommand(o, origin), logFile, { sync: false });
    const c1 = await origin.sample();
    // Untimed: every transfer must have been a 200 of the full size, or a fast failure would look good.
    const out = readFileSync(logFile, 'utf8');
    if (t.exitCode !== 0) throw new Error(`${tag}: curl exited ${t.exitCode}:\n${out.slice(-2000)}`);
    const lines = out.split('\n').filter((l) => /^\d{3} /.test(l));
    const bad = lines.filter((l) => l !== `200 ${o.ds.size}`);
    if (lines.length !== o.ds.count || bad.length)
      throw new Error(`${tag}: ${lines.length} of ${o.ds.count} transfers, ${bad.length} not 200/full size`);
    return {
      round,
      wallS: t.wallS,
      cpuS: t.cpuS,
      originCpuS: c1.cpuS - c0.cpuS,
      maxRssMiB: Math.round(t.maxRssMiB),
      load1: Number(t.load1.toFixed(2)),
    };
  };

  // Untimed warm-up of each origin: page cache, JIT, keep-alive.
  for (const origin of o.origins) await once(origin, -1);
  for (let i = 0; i < o.runs; i++) {
    const round = o.nextRound();
    const n = o.origins.length;
    for (let k = 0; k < n; k++) {
      const origin = o.origins[(k + i) % n]!;
      const rec = await once(origin, i);
      raw.find((x) => x.name === origin.kind)!.runs.push(rec);
      o.log(
        `${o.name} run ${i + 1}/${o.runs} ${origin.kind}: ${rec.wallS.toFixed(2)} s wall, origin CPU ` +
          `${rec.originCpuS.toFixed(2)} s, curl CPU ${rec.cpuS.toFixed(2)} s, load ${rec.load1} (round ${round})`,
      );
    }
  }
  return summarize(
    {
      name: o.name,
      dataset: { name: o.ds.name, count: o.ds.count, size: o.ds.size },
      destination: 'null',
      concurrency: o.concurrency,
      notes: [
        `client: curl ${CURL_FLAGS.join(' ')} ${o.concurrency} --config URLS (output /dev/null per URL)`,
      ],
    },
    raw,
  );
}

// --- internal ---

const CURL_FLAGS = ['--parallel', '--parallel-immediate', '--parallel-max'];

function curlCommand(o: OriginWorkloadOptions, origin: Origin): Command {
  const config = join(o.work, `${o.name}-${origin.kind}.curl`);
  const base = `${origin.url}${o.ds.name}/`;
  const entries: string[] = [];
  for (let i = 0; i < o.ds.count; i++)
    entries.push(`url = "${base}${o.ds.fileName(i)}"\noutput = "/dev/null"`);
  writeFileSync(config, entries.join('\n') + '\n');
  return {
    cmd: 'curl',
    args: [
      ...CURL_FLAGS,
      String(o.concurrency),
      // -Z draws a progress meter even with --silent; it would interleave with the --write-out lines.
      '--no-progress-meter',
      '--show-error',
      '--write-out',
      '%{http_code} %{size_download}\\n',
      '--config',
      config,
    ],
  };
}
