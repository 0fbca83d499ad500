// The report row encodings (JSONL, CSV per RFC 4180) and the merge of report parts: generated parts of 120,000
// rows over ~470 batches with retried attempts, merged in index order with the latest write winning, while only
// the parts of the batches around the current index are open.
import { test, type TestContext } from 'node:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
  csvHeader,
  csvLine,
  jsonlLine,
  parseJsonlLine,
  partPath,
  type ReportRow,
} from '../../common/report.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { jobFiles } from '../../lib/job-files.js';
import { mergedRows, hasReportParts, type MergeStats } from '../../lib/report-merge.js';
import { parseReportTarget } from '../../lib/report-output.js';
import { rmrf, tempDir } from '../helpers/exec.js';

/** A strict RFC 4180 reader, to check the writer against (fields, records; CRLF line ends). */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let rec: string[] = [];
  let f = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        f += c;
        i++;
      }
    } else if (c === '"' && f === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      rec.push(f);
      f = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      rec.push(f);
      out.push(rec);
      rec = [];
      f = '';
      i += 2;
    } else {
      assert.ok(c !== '"' && c !== '\n' && c !== '\r', `bare ${JSON.stringify(c)} at ${i}`);
      f += c;
      i++;
    }
  }
  assert.equal(f, '', 'the last record ends with CRLF');
  return out;
}

const awkward = [
  'plain.bin',
  'with space.bin',
  ' leading and trailing ',
  'comma,in,name.tar',
  'quote"d "name".txt',
  'new\nline\r\nname',
  'ünïcødé/ディレクトリ/файл.dat',
  '',
];

test('CSV rows follow RFC 4180 and JSONL rows parse back, for names with commas, quotes, newlines, spaces', () => {
  const rows: ReportRow[] = awkward.map((name, index) =>
    index % 2
      ? { index, name, outcome: 'copied', size: index * 10, checksum: `sha256:${'ab'.repeat(32)}` }
      : {
          index,
          name,
          outcome: 'failed',
          errorType: 'SourceNotFound',
          retryable: false,
          message: `"${name}", 404`,
        },
  );
  const csv = parseCsv(csvHeader() + rows.map(csvLine).join(''));
  assert.deepEqual(csv[0], [
    'index',
    'name',
    'outcome',
    'size',
    'checksum',
    'errorType',
    'retryable',
    'message',
  ]);
  assert.equal(csv.length, rows.length + 1);
  rows.forEach((r, k) => {
    const c = csv[k + 1]!;
    assert.equal(c.length, 8);
    assert.deepEqual(c, [
      String(r.index),
      r.name,
      r.outcome,
      r.size === undefined ? '' : String(r.size),
      r.checksum ?? '',
      r.errorType ?? '',
      r.retryable === undefined ? '' : String(r.retryable),
      r.message ?? '',
    ]);
    const line = jsonlLine(r);
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one line per row');
    assert.deepEqual(parseJsonlLine(line.trimEnd()), r);
  });
  assert.equal(parseJsonlLine('{"index":1}'), undefined);
  assert.equal(parseJsonlLine('not json'), undefined);
});

test('--report targets: -, paths, file://, s3:// and ais:// objects; folders and other schemes refused', () => {
  assert.deepEqual(parseReportTarget('-'), { kind: 'stdout' });
  assert.deepEqual(parseReportTarget('s3://b/r/x.csv'), { kind: 'object', bucket: 's3://b', key: 'r/x.csv' });
  assert.deepEqual(parseReportTarget('ais://b/x.jsonl'), {
    kind: 'object',
    bucket: 'ais://b',
    key: 'x.jsonl',
  });
  assert.deepEqual(parseReportTarget('file:///tmp/x.jsonl'), { kind: 'file', path: '/tmp/x.jsonl' });
  assert.deepEqual(parseReportTarget('/tmp/y.jsonl'), { kind: 'file', path: '/tmp/y.jsonl' });
  assert.equal(typeof parseReportTarget('s3://b'), 'string');
  assert.equal(typeof parseReportTarget('s3://b/dir/'), 'string');
  assert.equal(typeof parseReportTarget('http://x/y'), 'string');
});

/** A job's files in a fresh local bucket, removed after the test. */
async function localJobFiles(t: TestContext, jobId: string) {
  const dir = tempDir(jobId);
  t.after(() => rmrf(dir));
  const bucket = new LocalBucket(dir);
  await bucket.ensure();
  return { dir, files: jobFiles(bucket, jobId) };
}

test('merge: 120,000 rows from retried, shuffled parts come out in index order, latest write winning, bounded', async (t) => {
  const { dir, files } = await localJobFiles(t, 'job-merge');
  assert.equal(await hasReportParts(files), false);

  const N = 120_000;
  const BATCH = 256;
  let rand = 42;
  const rnd = () => (rand = (rand * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const expected = new Map<number, string>();
  let written = 0;
  for (let start = 0; start < N; start += BATCH) {
    const end = Math.min(N, start + BATCH);
    // Attempt 1 fails some objects transiently, attempt 2 (a later order) redoes those; a few rows of attempt
    // 1 are written twice (a part rewritten by a retried flush), all in parts of random sizes.
    const attempts: ReportRow[][] = [[], []];
    for (let i = start; i < end; i++) {
      const retried = rnd() < 0.2;
      attempts[0]!.push(
        retried
          ? { index: i, name: `n-${i}`, outcome: 'failed', errorType: 'OriginUnavailable', retryable: true }
          : { index: i, name: `n-${i}`, outcome: 'copied', size: i, checksum: `sha256:${i}` },
      );
      if (retried) attempts[1]!.push({ index: i, name: `n-${i}`, outcome: 'copied', size: i });
      expected.set(i, retried ? 'copied-2' : 'copied-1');
    }
    for (const [a, rows] of attempts.entries()) {
      // Shuffled into parts; each part sorted, as ReportParts writes them.
      rows.sort(() => rnd() - 0.5);
      for (let seq = 0, k = 0; k < rows.length; seq++) {
        const take = 1 + Math.floor(rnd() * 120);
        const part = rows.slice(k, k + take).sort((x, y) => x.index - y.index);
        k += take;
        const order = { scheduledMs: 1_700_000_000_000, attempt: a + 1, seq };
        await files.put(partPath(start, order), Buffer.from(part.map(jsonlLine).join('')));
        written++;
      }
    }
  }
  assert.equal(await hasReportParts(files), true);

  const stats: MergeStats = { parts: 0, rows: 0, superseded: 0, maxOpen: 0, bad: 0 };
  let last = -1;
  let n = 0;
  const heap0 = process.memoryUsage().heapUsed;
  let heapMax = heap0;
  for await (const r of mergedRows(files, stats)) {
    assert.ok(r.index > last, `index ${r.index} after ${last}`);
    last = r.index;
    const want = expected.get(r.index);
    if (want === 'copied-2') assert.equal(r.checksum, undefined, `index ${r.index}: attempt 2 wins`);
    else assert.equal(r.checksum, `sha256:${r.index}`);
    assert.equal(r.outcome, 'copied');
    if (++n % 10_000 === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
  }
  assert.equal(n, N);
  assert.equal(stats.rows, N);
  assert.equal(stats.parts, written);
  assert.equal(stats.bad, 0);
  // Bounded: only the parts of about one batch are open at once, whatever the number of rows.
  const perBatch = Math.ceil(written / Math.ceil(N / BATCH));
  assert.ok(stats.maxOpen <= 4 * perBatch + 8, `${stats.maxOpen} parts open at once (${perBatch}/batch)`);
  console.log(
    `# merge: ${N} rows from ${written} parts, ${stats.superseded} superseded, at most ${stats.maxOpen} open; ` +
      `heap grew ${((heapMax - heap0) / 2 ** 20).toFixed(1)} MiB`,
  );

  // The same merge encoded as CSV through a stream sink: every record there, header first.
  let records = 0;
  const { writeReport } = await import('../../lib/report-output.js');
  const sinkPath = `${dir}/out.csv`;
  assert.equal(await writeReport(mergedRows(files), 'csv', { kind: 'file', path: sinkPath }), N);
  await pipeline(
    (await import('node:fs')).createReadStream(sinkPath),
    new Writable({
      write(chunk: Buffer, _e, done) {
        for (const b of chunk) if (b === 10) records++;
        done();
      },
    }),
  );
  assert.equal(records, N + 1);
});

test('gap rows: a failed range with no rows gets failed rows named from the source, rows that exist win', async () => {
  const { fillGaps } = await import('../../lib/report-gaps.js');
  const have: ReportRow[] = [0, 1, 5, 6, 9].map((index) => ({ index, name: `n${index}`, outcome: 'copied' }));
  const gen = async function* () {
    yield* have;
  };
  const out: ReportRow[] = [];
  for await (const r of fillGaps(
    gen(),
    [
      [3, 7],
      [8, 12],
    ],
    (i) => `g${i}`,
  ))
    out.push(r);
  assert.deepEqual(
    out.map((r) => `${r.index}:${r.name}:${r.outcome}`),
    [
      '0:n0:copied',
      '1:n1:copied',
      '3:g3:failed',
      '4:g4:failed',
      '5:n5:copied',
      '6:n6:copied',
      '8:g8:failed',
      '9:n9:copied',
      '10:g10:failed',
      '11:g11:failed',
    ],
  );
  assert.equal(out.find((r) => r.index === 3)?.errorType, 'BatchFailed');
});

test('job files: a put killed before its rename leaves a temp file that removeTemp() sweeps, and only that', async (t) => {
  const { dir, files } = await localJobFiles(t, 'job-temp');
  await files.put('report/000000000000/a.jsonl', Buffer.from('{"index":0}\n'));
  await files.put('manifest', Buffer.from('a\n'));
  // What a kill -9 between the write and the rename of put() leaves (its name is put's own pattern).
  const folder = join(dir, '.ferry', 'jobs', 'job-temp');
  const left = join(folder, 'report', '000000000000', 'b.jsonl.5a1c7f0e-1111-4222-8333-944445555666.tmp');
  writeFileSync(left, '{"index":1');
  const rels = async () => {
    const out: string[] = [];
    for await (const f of files.list()) out.push(f.rel);
    return out;
  };
  assert.deepEqual(
    await rels(),
    ['manifest', 'report/000000000000/a.jsonl'],
    'listings never show a temp file',
  );
  assert.equal(await files.removeTemp(), 1);
  assert.equal(existsSync(left), false);
  assert.deepEqual(await rels(), ['manifest', 'report/000000000000/a.jsonl']);
  assert.equal(await files.removeTemp(), 0);
});
