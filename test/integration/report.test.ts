// The per-object report end to end: a job where 2,000 of 3,000 names 404 (more than the 1,000 failure details
// the history once kept) writes a report with exactly one row per object — copied ones with their size and
// checksum, failed ones with their error type and retryable — in JSONL and CSV; `job resume` retries every
// failed object, and the report then says copied for all. Names with spaces and commas survive both formats. The
// report parts are compacted into one segment at the end of each run, and the rows read the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import type { ReportRow } from '../../common/report.js';
import { FerryHarness, listFiles } from '../helpers/cli.js';
import { historyText, leakOf } from '../helpers/history.js';
import { crc32cFile } from '../helpers/exec.js';

const { temporal } = proto;
const N = 3000;
const name = (i: number) => `f-${String(i).padStart(4, '0')}.bin`;

function readJsonl(path: string): ReportRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportRow);
}

test('report of a job with 2,000 404s: one row per object, all failures named; resume retries them all', async (t) => {
  const h = new FerryHarness(t, 'report');
  const src = join(h.dir, 'src');
  const hold = join(h.dir, 'hold');
  const bucket = join(h.dir, 'bucket');
  mkdirSync(src);
  mkdirSync(hold);
  for (let i = 0; i < N; i++)
    writeFileSync(join(i % 3 === 0 ? src : hold, name(i)), randomBytes(100 + (i % 97)));

  const run = await h.run(
    ['migrate', src, bucket, '--template', `f-{0000..${N - 1}}.bin`, '--batch-size', '256', '-q'],
    // A deadline for failing, not a pace: 3,000 objects on a machine shared with benchmarks (load ~20).
    { timeoutMs: 600_000 },
  );
  assert.equal(run.code, 3, `exit 3 = finished with failures\n${run.stderr}\n${run.stdout}`);
  const jobId = run.stdout.split('\n')[0]!.trim();

  const out = join(h.dir, 'report.jsonl');
  const shown = await h.run(['show', 'job', jobId, '--report', out]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    shown.stderr,
    new RegExp(`${N} rows \\(.*1000 copied.*2000 failed|${N} rows \\(.*2000 failed.*1000 copied`),
  );
  const rows = readJsonl(out);
  assert.deepEqual(
    rows.map((r) => r.index),
    Array.from({ length: N }, (_, i) => i),
  );
  for (const r of rows) {
    assert.equal(r.name, name(r.index));
    if (r.index % 3 === 0) {
      const file = join(src, r.name);
      assert.deepEqual(r, {
        index: r.index,
        name: r.name,
        outcome: 'copied',
        size: 100 + (r.index % 97),
        checksum: crc32cFile(file),
      });
    } else {
      assert.equal(r.outcome, 'failed', JSON.stringify(r));
      assert.equal(r.errorType, 'SourceNotFound');
      assert.equal(r.retryable, false);
      assert.ok(r.message && r.message.length > 0);
      assert.equal(r.size, undefined);
    }
  }

  // History stays small: 2,000 failures are named in the report parts, not in history (a sample of 100 and
  // index ranges are). Before report parts this job's history was 450,506 bytes, its completion event 147,719.
  const hist = await (await h.temporal()).workflow.getHandle(jobId).fetchHistory();
  const histBytes = temporal.api.history.v1.History.encode(hist).finish().length;
  const largest = Math.max(
    ...(hist.events ?? []).map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().length),
  );
  console.log(
    `# report: history ${hist.events?.length} events, ${histBytes} bytes, largest event ${largest} bytes`,
  );
  assert.ok(largest < 40_000, `largest event ${largest} bytes`);
  // No failed object's name anywhere in history (outcomes, checkpoints, retry messages carry indexes).
  const text = await historyText(await h.temporal(), jobId);
  assert.ok(text.includes('SourceNotFound'), 'the history text is decoded');
  for (let i = 0; i < N; i++) if (i % 3 !== 0) assert.equal(leakOf(text, name(i)), undefined);

  // Compacted at the job's end (finalizeJob, lib/report-compact.ts): the parts of its 12 batches are one segment.
  const reportDir = join(bucket, '.ferry', 'jobs', jobId, 'report');
  assert.equal((await listFiles(reportDir)).length, 1, (await listFiles(reportDir)).join(' '));

  // CSV to stdout: a header and the same rows.
  const csv = await h.run(['show', 'job', jobId, '--report', '-', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.split('\r\n');
  assert.equal(lines[0], 'index,name,outcome,size,checksum,errorType,retryable,message');
  assert.equal(lines.filter(Boolean).length, N + 1);
  assert.match(lines[2]!, /^1,f-0001\.bin,failed,,,SourceNotFound,false,/);

  // Every failed object comes back: resume retries all 2,000, and the report then has only copied rows.
  for (let i = 0; i < N; i++) if (i % 3 !== 0) renameSync(join(hold, name(i)), join(src, name(i)));
  const resumed = await h.run(['job', 'resume', jobId, '--wait', '-q'], { timeoutMs: 600_000 });
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, /retrying the 2000 failed objects/);
  const after = join(h.dir, 'after.jsonl');
  assert.equal((await h.run(['show', 'job', jobId, '--report', `file://${after}`])).code, 0);
  const rows2 = readJsonl(after);
  assert.equal(rows2.length, N);
  // The resume's parts (later writes than the segment's rows) were compacted with it, and still win.
  assert.equal((await listFiles(reportDir)).length, 1, (await listFiles(reportDir)).join(' '));
  for (const r of rows2) {
    assert.equal(r.outcome, 'copied', JSON.stringify(r));
    assert.equal(r.checksum, crc32cFile(join(src, r.name)));
  }
});

test('names with spaces, commas and quotes survive the JSONL and CSV reports; no parts → one line', async (t) => {
  const h = new FerryHarness(t, 'report-names');
  const src = join(h.dir, 'src');
  const bucket = join(h.dir, 'bucket');
  const names = ['a b.txt', 'c,d.txt', "it's.txt", 'dir with space/e, f.txt', 'missing, one.txt'];
  for (const n of names.slice(0, -1)) {
    mkdirSync(join(src, n, '..'), { recursive: true });
    writeFileSync(join(src, n), n);
  }
  const list = join(h.dir, 'list.txt');
  writeFileSync(list, names.join('\n') + '\n');
  const { url } = await h.serve(src);
  await h.worker();
  const run = await h.run([
    'job',
    'start',
    'download',
    `${url}/`,
    bucket,
    '--object-list',
    list,
    '--wait',
    '-q',
  ]);
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const jobId = run.stdout.split('\n')[0]!.trim();
  const out = join(h.dir, 'r.jsonl');
  assert.equal((await h.run(['show', 'job', jobId, '--report', out])).code, 0);
  const rows = readJsonl(out);
  assert.deepEqual(
    rows.map((r) => [r.name, r.outcome]),
    names.map((n, i) => [n, i < names.length - 1 ? 'copied' : 'failed']),
  );
  const csv = await h.run(['show', 'job', jobId, '--report', '-', '--format', 'csv']);
  assert.match(csv.stdout, /\r\n1,"c,d\.txt",copied,7,crc32c:/);
  assert.match(csv.stdout, /\r\n3,"dir with space\/e, f\.txt",copied,/);
  assert.match(csv.stdout, /\r\n4,"missing, one\.txt",failed,,,SourceNotFound,false,/);

  // A job whose destination holds no parts (as jobs of older releases): one line, exit 1, nothing written.
  rmSync(join(bucket, '.ferry', 'jobs', jobId, 'report'), { recursive: true });
  const none = await h.run(['show', 'job', jobId, '--report', join(h.dir, 'none.jsonl')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, new RegExp(`^ferry: job ${jobId} has no report parts in .*\n$`));
  assert.equal(existsSync(join(h.dir, 'none.jsonl')), false);

  // Bad input: one line, usage exit code, nothing written.
  const bad = await h.run(['show', 'job', jobId, '--report', out, '--format', 'xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^ferry: --format xml: use jsonl or csv\n$/);
  const folder = await h.run(['show', 'job', jobId, '--report', 's3://b/']);
  assert.equal(folder.code, 2);
});
