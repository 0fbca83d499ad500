/**
 * SVG bar chart of a results file: one group per workload, one bar per contender, length = objects/s as a
 * multiple of `bare` (the practical limit, 1.0), labelled with objects/s and MiB/s; ferry's floors are marked.
 *
 *   node dist/bench/chart.js bench/results/<stamp>.json [out.svg]   (default: beside the JSON)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './report.js';
import { sizeLabel } from './report.js';

const COLORS: Record<string, string> = {
  bare: '#8c8c8c',
  curl: '#4e79a7',
  aria2c: '#f28e2b',
  rclone: '#59a14f',
  ferry: '#e15759',
  nginx: '#76b7b2',
  python: '#edc948',
};

/** The contender a workload's bars are scaled to: bare for the copiers, nginx for the `origin` workload. */
function refOf(w: BenchResult['workloads'][number]): string {
  return w.destination === 'null' ? 'nginx' : 'bare';
}

export function renderChart(r: BenchResult): string {
  const W = 860;
  const left = 150;
  const right = 250;
  const barH = 18;
  const gap = 6;
  const groupGap = 34;
  const plotW = W - left - right;
  const maxRatio = Math.max(
    1.25,
    ...r.workloads.flatMap((w) =>
      w.contenders.map((c) => (c.name === refOf(w) ? 1 : (c.ratios[refOf(w)] ?? 0))),
    ),
  );
  const axisMax = Math.ceil(maxRatio * 4) / 4;
  const x = (ratio: number) => left + (ratio / axisMax) * plotW;

  const parts: string[] = [];
  let y = 56;
  for (const w of r.workloads) {
    const title = `${w.name}: ${w.dataset.count.toLocaleString('en-US')} × ${sizeLabel(w.dataset.size)} → ${
      w.destination === 'file'
        ? 'local directory'
        : w.destination === 's3'
          ? 'MinIO (S3)'
          : '/dev/null (curl)'
    }, ${w.concurrency} concurrent`;
    parts.push(`<text x="${left}" y="${y}" class="group">${esc(title)}</text>`);
    y += 10;
    const top = y;
    for (const c of w.contenders) {
      const ratio = c.name === refOf(w) ? 1 : (c.ratios[refOf(w)] ?? NaN);
      const len = Number.isFinite(ratio) ? x(ratio) - left : 0;
      parts.push(
        `<text x="${left - 8}" y="${y + barH - 5}" class="name" text-anchor="end">${esc(c.name)}</text>`,
        `<rect x="${left}" y="${y}" width="${len.toFixed(1)}" height="${barH}" fill="${COLORS[c.name] ?? '#999'}"/>`,
        `<text x="${(left + len + 6).toFixed(1)}" y="${y + barH - 5}" class="value">${esc(
          `${Math.round(c.objectsPerSec).toLocaleString('en-US')} obj/s · ${Math.round(c.mibPerSec).toLocaleString('en-US')} MiB/s` +
            (Number.isFinite(ratio) ? ` (${ratio.toFixed(2)}×)` : ''),
        )}</text>`,
      );
      if (c.name === 'ferry')
        for (const f of w.floors.filter((fl) => fl.against === refOf(w)))
          parts.push(
            `<line x1="${x(f.min).toFixed(1)}" x2="${x(f.min).toFixed(1)}" y1="${y - 3}" y2="${y + barH + 3}" class="floor"/>`,
          );
      y += barH + gap;
    }
    // Guide at 1.0 × the reference (bare, or nginx for the origin workload).
    parts.push(
      `<line x1="${x(1).toFixed(1)}" x2="${x(1).toFixed(1)}" y1="${top - 2}" y2="${y - gap + 2}" class="one"/>`,
    );
    y += groupGap - gap;
  }
  // Axis.
  const axisY = y - groupGap + 16;
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" class="axis"/>`);
  for (let t = 0; t <= axisMax + 1e-9; t += 0.25) {
    parts.push(
      `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${axisY}" y2="${axisY + 4}" class="axis"/>`,
      `<text x="${x(t).toFixed(1)}" y="${axisY + 16}" class="tick" text-anchor="middle">${t.toFixed(2)}×</text>`,
    );
  }
  const foot = `objects/s as a multiple of bare (undici GET → file, no Temporal), or of nginx for the origin workload; red tick: ferry's floor. ${r.machine.cpus} vCPU ${esc(String(r.machine.cpu))}, medians of ${r.runs} runs, ${r.date.slice(0, 10)}`;
  parts.push(`<text x="${left}" y="${axisY + 36}" class="foot">${esc(foot)}</text>`);
  const H = axisY + 50;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<style>.title{font-size:16px;font-weight:bold}.group{font-size:13px;font-weight:bold}.name{font-size:12px}` +
      `.value{font-size:11px;fill:#333}.tick{font-size:10px;fill:#555}.foot{font-size:10px;fill:#555}` +
      `.axis{stroke:#555}.one{stroke:#555;stroke-dasharray:3 3}.floor{stroke:#c00;stroke-width:2}</style>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="26" class="title">ferry vs the tools users would pick instead (higher is better)</text>`,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    console.error('usage: chart.js RESULTS.json [OUT.svg]');
    process.exit(2);
  }
  const r = JSON.parse(readFileSync(input, 'utf8')) as BenchResult;
  const out = output ?? input.replace(/\.json$/, '.svg');
  writeFileSync(out, renderChart(r));
  console.log(out);
}
