// `ferry show job --report` throughput, without a server: report parts as copy batches write them (256-object
// batches, a part every 64 rows, a retried attempt overriding 5% of rows) for N objects in a local bucket, then
// the merge streamed to a JSONL and a CSV file; then the compaction finalizeJob runs, and the merge again. Prints
// rows/s, parts, most parts open and the peak RSS.
//   node dist/bench/report-merge.js [--rows N] (default 1,000,000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonlLine, partPath, type ReportRow } from '../common/report.js';
import { LocalBucket } from '../lib/buckets/local.js';
import { jobFiles } from '../lib/job-files.js';
import { compactReport } from '../lib/report-compact.js';
import { mergedRows, type MergeStats } from '../lib/report-merge.js';
import { writeReport } from '../lib/report-output.js';

const arg = process.argv.indexOf('--rows');
const N = arg > 0 ? Number(process.argv[arg + 1]) : 1_000_000;
const BATCH = 256;
const PART = 64;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-report-'));
  try {
    const bucket = new LocalBucket(join(dir, 'bucket'));
    await bucket.ensure();
    const files = jobFiles(bucket, 'bench');
    let t = performance.now();
    let parts = 0;
    const row = (i: number, a: number): ReportRow => ({
      index: i,
      name: `dataset/shard-${String(i).padStart(7, '0')}.tar`,
      outcome: 'copied',
      size: 65536 + a,
      checksum: `sha256:${'0123456789abcdef'.repeat(4)}`,
    });
    for (let s = 0; s < N; s += BATCH) {
      const e = Math.min(N, s + BATCH);
      for (let p = s, seq = 0; p < e; p += PART, seq++) {
        const rows = [];
        for (let i = p; i < Math.min(e, p + PART); i++) rows.push(jsonlLine(row(i, 0)));
        await files.put(partPath(s, { scheduledMs: 1e12, attempt: 1, seq }), Buffer.from(rows.join('')));
        parts++;
      }
      const retried = [];
      for (let i = s; i < e; i += 20) retried.push(jsonlLine(row(i, 1)));
      await files.put(partPath(s, { scheduledMs: 1e12, attempt: 2, seq: 0 }), Buffer.from(retried.join('')));
      parts++;
    }
    console.log(`generated ${N} rows in ${parts} parts in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const format of ['jsonl', 'csv'] as const) {
      const stats: MergeStats = { parts: 0, rows: 0, superseded: 0, maxOpen: 0, bad: 0 };
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
      t = performance.now();
      const n = await writeReport(mergedRows(files, stats), format, {
        kind: 'file',
        path: join(dir, `r.${format}`),
      });
      const s = (performance.now() - t) / 1000;
      clearInterval(timer);
      console.log(
        `${format}: ${n} rows in ${s.toFixed(1)} s = ${Math.round(n / s)} rows/s; ${stats.parts} parts, ` +
          `${stats.superseded} superseded, at most ${stats.maxOpen} open; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    // Compaction as finalizeJob runs it (lib/report-compact.ts), then the merge of the segments.
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    t = performance.now();
    const st = await compactReport(files);
    const cs = (performance.now() - t) / 1000;
    clearInterval(timer);
    console.log(
      `compact: ${st.parts} parts into ${st.segments} segments (${st.rows} rows) in ${cs.toFixed(1)} s = ` +
        `${Math.round(st.rows / cs)} rows/s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
    );
    t = performance.now();
    const n = await writeReport(mergedRows(files), 'jsonl', { kind: 'file', path: join(dir, 'c.jsonl') });
    const ms = (performance.now() - t) / 1000;
    console.log(`jsonl after compaction: ${n} rows in ${ms.toFixed(1)} s = ${Math.round(n / ms)} rows/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
