/**
 * Summarize V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --profile DIR` for the ferry process):
 * top functions by self time, and self time grouped by package/area, so a profile reads in a terminal.
 *
 *   node dist/bench/cpuprof.js FILE.cpuprofile [...] [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
if (positionals.length === 0) {
  console.error('usage: cpuprof.js FILE.cpuprofile [...] [--top N]');
  process.exit(2);
}
const self = new Map<string, number>();
const areas = new Map<string, number>();
let total = 0;
for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
  const t = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    t.set(id, (t.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0));
  }
  for (const [id, us] of t) {
    const n = byId.get(id);
    if (!n) continue;
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const a = area(f.functionName, f.url);
    areas.set(a, (areas.get(a) ?? 0) + us);
    total += us;
  }
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s over ${positionals.length} profile(s)\n`);
console.log('by area (self time):');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]))
  console.log(`  ${pct(us)} ${(us / 1e3).toFixed(0).padStart(7)} ms  ${a}`);
console.log(`\ntop ${values.top} functions (self time):`);
for (const [k, us] of [...self].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top)))
  console.log(`  ${pct(us)} ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  if (d !== -1) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

function area(fn: string, url: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native/VM)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const d = /\/dist\/([^/]+)\//.exec(url);
  if (d) return `ferry ${d[1]}/`;
  return url;
}
