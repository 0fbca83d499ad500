// Results: the JSON shape written under bench/results/, medians and ratios, the floors, and the text table.
import { median } from './measure.js';

export interface RunRecord {
  round: number;
  wallS: number;
  /** user+sys of the contender's process tree. */
  cpuS: number;
  /** CPU the origin spent serving this run. */
  originCpuS: number;
  /** ferry only: CPU of the Temporal dev server during the run. */
  serverCpuS?: number;
  /** ferry only: workflow start → close, as Temporal recorded it (no CLI startup, no sync). */
  jobS?: number;
  maxRssMiB: number;
  load1: number;
}

export interface ContenderResult {
  name: string;
  flags: string;
  runs: RunRecord[];
  median: { wallS: number; cpuS: number; originCpuS: number; serverCpuS?: number; jobS?: number };
  objectsPerSec: number;
  mibPerSec: number;
  /** This contender's objects/s divided by each other contender's. */
  ratios: Record<string, number>;
}

export interface Floor {
  /** e.g. "ferry ≥ 0.7× bare" */
  rule: string;
  against: string;
  min: number;
  ratio: number;
  met: boolean;
}

export interface WorkloadResult {
  name: string;
  dataset: { name: string; count: number; size: number };
  /** `null`: the `origin` workload, where curl reads into /dev/null. */
  destination: 'file' | 's3' | 'null';
  concurrency: number;
  contenders: ContenderResult[];
  floors: Floor[];
  notes: string[];
}

export interface CrashRun {
  round: number;
  kind: 'uninterrupted' | 'killed';
  wallS: number;
  /** Objects committed by the time of the kill. */
  killedAt?: number;
  /** Seconds from the kill to the first object committed by the restarted worker. */
  stallS?: number;
  /** Attempts of the killed worker the restarted one handed back at once (worker/reclaim.ts). */
  reclaimed?: number;
  /** Committed writes (journal lines) minus distinct objects. */
  copiedTwice: number;
  load1: number;
}

export interface CrashResult {
  workload: string;
  heartbeatTimeout: string;
  runs: CrashRun[];
  medianUninterruptedS: number;
  medianKilledS: number;
  ratio: number;
  maxCopiedTwice: number;
  medianStallS: number;
  target: number;
  met: boolean;
}

export interface BenchResult {
  date: string;
  quick: boolean;
  runs: number;
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  workloads: WorkloadResult[];
  skipped: { workload: string; reason: string }[];
  crash?: CrashResult;
}

/**
 * The floors, as ratios of ferry's objects/s measured in the same invocation: issue 12's table (issue 5's, which
 * this replaced, asked less: small ≥ 0.7× bare, large ≥ 0.9× bare, tiny ≥ 0.5× bare).
 */
export const FLOORS: Record<string, { against: string; min: number }[]> = {
  large: [{ against: 'rclone', min: 1.0 }],
  small: [
    { against: 'rclone', min: 1.0 },
    { against: 'bare', min: 0.85 },
  ],
  tiny: [{ against: 'rclone', min: 1.2 }],
  's3-small': [{ against: 'rclone', min: 1.0 }],
  's3-large': [{ against: 'rclone', min: 1.0 }],
  // Issue 12: ferry serve is step 1 of every migrate; it must not be the slow part.
  'origin-small': [{ against: 'nginx', min: 0.9 }],
  'origin-large': [{ against: 'nginx', min: 0.9 }],
};

export function summarize(
  w: Omit<WorkloadResult, 'contenders' | 'floors'>,
  raw: { name: string; flags: string; runs: RunRecord[] }[],
): WorkloadResult {
  const bytes = w.dataset.count * w.dataset.size;
  const contenders: ContenderResult[] = raw
    .filter((c) => c.runs.length > 0)
    .map((c) => {
      const pick = (f: (r: RunRecord) => number | undefined) => {
        const xs = c.runs.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
        return xs.length ? median(xs) : undefined;
      };
      const wallS = pick((r) => r.wallS)!;
      const serverCpuS = pick((r) => r.serverCpuS);
      const jobS = pick((r) => r.jobS);
      return {
        name: c.name,
        flags: c.flags,
        runs: c.runs,
        median: {
          wallS,
          cpuS: pick((r) => r.cpuS) ?? NaN,
          originCpuS: pick((r) => r.originCpuS) ?? NaN,
          ...(serverCpuS !== undefined ? { serverCpuS } : {}),
          ...(jobS !== undefined ? { jobS } : {}),
        },
        objectsPerSec: w.dataset.count / wallS,
        mibPerSec: bytes / 2 ** 20 / wallS,
        ratios: {},
      };
    });
  for (const c of contenders)
    for (const o of contenders) if (o !== c) c.ratios[o.name] = c.objectsPerSec / o.objectsPerSec;
  const ferry = contenders.find((c) => c.name === 'ferry');
  const floors: Floor[] = [];
  if (ferry)
    for (const f of FLOORS[w.name] ?? []) {
      const ratio = ferry.ratios[f.against];
      if (ratio === undefined) continue;
      floors.push({
        rule: `ferry ≥ ${f.min}× ${f.against}`,
        against: f.against,
        min: f.min,
        ratio,
        met: ratio >= f.min,
      });
    }
  return { ...w, contenders, floors };
}

export function formatTable(r: BenchResult): string {
  const out: string[] = [];
  // One ratio column per contender other than ferry, in order of appearance (the copiers' peers, or the
  // origins of the `origin` workload).
  const peers = [
    ...new Set(
      r.workloads.flatMap((w) => w.contenders.map((c) => c.name)).filter((n) => !n.startsWith('ferry')),
    ),
  ];
  const head = [
    'workload',
    'contender',
    'objects/s',
    'MiB/s',
    'wall s',
    'CPU s',
    'origin CPU s',
    ...peers.map((p) => `× ${p}`),
  ];
  const rows: string[][] = [];
  for (const w of r.workloads) {
    for (const c of w.contenders) {
      const cpu =
        c.median.serverCpuS !== undefined
          ? `${c.median.cpuS.toFixed(1)} (+${c.median.serverCpuS.toFixed(1)} temporal)`
          : c.median.cpuS.toFixed(1);
      rows.push([
        `${w.name} (${w.dataset.count.toLocaleString('en-US')} × ${sizeLabel(w.dataset.size)}, c=${w.concurrency})`,
        c.name,
        Math.round(c.objectsPerSec).toLocaleString('en-US'),
        Math.round(c.mibPerSec).toLocaleString('en-US'),
        c.median.wallS.toFixed(2) + (c.median.jobS !== undefined ? ` (job ${c.median.jobS.toFixed(2)})` : ''),
        cpu,
        c.median.originCpuS.toFixed(1),
        ...peers.map((p) =>
          p === c.name ? '1.00' : c.ratios[p] !== undefined ? c.ratios[p].toFixed(2) : '-',
        ),
      ]);
    }
  }
  if (rows.length) out.push(markdownTable(head, rows));
  const floors = r.workloads.flatMap((w) => w.floors.map((f) => ({ w: w.name, f })));
  if (floors.length) {
    out.push('');
    out.push('Floors (ferry objects/s ÷ contender objects/s, same invocation):');
    for (const { w, f } of floors)
      out.push(`  ${f.met ? 'MET   ' : 'MISSED'} ${w}: ${f.rule} — measured ${f.ratio.toFixed(2)}×`);
  }
  if (r.crash) {
    const c = r.crash;
    out.push('');
    out.push(
      `Crash-resume (${c.workload}, worker kill -9 at ~50%, restarted at once; heartbeat timeout ${c.heartbeatTimeout}; ` +
        `medians of ${c.runs.length / 2} pairs): ` +
        `uninterrupted ${c.medianUninterruptedS.toFixed(2)} s, killed ${c.medianKilledS.toFixed(2)} s → ` +
        `${c.ratio.toFixed(2)}× (target ≤${c.target.toFixed(2)}×: ${c.met ? 'MET' : 'MISSED'}); ` +
        `stall after the kill ${c.medianStallS.toFixed(1)} s (median); objects copied twice: max ${c.maxCopiedTwice} per run`,
    );
  }
  for (const s of r.skipped) out.push(`skipped ${s.workload}: ${s.reason}`);
  for (const w of r.workloads) for (const n of w.notes) out.push(`note (${w.name}): ${n}`);
  out.push('');
  out.push(
    `machine: ${r.machine.cpu} × ${r.machine.cpus} vCPU, ${r.machine.memGiB} GiB RAM, ${r.machine.os}, ` +
      `dest fs ${r.machine.destFs}; load ${r.machine.loadStart} at start, ${r.machine.loadEnd} at end; ` +
      `medians of ${r.runs} runs, contenders alternated${r.quick ? ' (--quick)' : ''}`,
  );
  return out.join('\n');
}

export function sizeLabel(n: number): string {
  if (n >= 1 << 20) return `${n / 2 ** 20} MiB`;
  if (n >= 1 << 10) return `${n / 2 ** 10} KiB`;
  return `${n} B`;
}

// --- internal ---

function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const sep =
    '|' + widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(head), sep, ...rows.map(line)].join('\n');
}
