// Report compaction (lib/report-compact.ts) on a local bucket: the merged report is the same before and after,
// whatever the segment size; later writes outside a segment still win over its rows and earlier ones still lose
// (a resumed job's retries); a crash between writing a segment and removing its parts changes nothing; a second
// compaction is a no-op; the deadline leaves the rest as parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonlLine, partPath, type ReportRow } from '../../common/report.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { jobFiles, type JobFiles } from '../../lib/job-files.js';
import { compactReport } from '../../lib/report-compact.js';
import { mergedRows } from '../../lib/report-merge.js';

const row = (index: number, outcome: ReportRow['outcome'], tag: string): ReportRow => ({
  index,
  name: `n-${index}`,
  outcome,
  size: index,
  // A message that ends the way a segment line does must not be taken for its order key.
  message: `${tag} ,"order":"999999999999999-99999-999999"}`,
});

async function put(
  files: JobFiles,
  first: number,
  ms: number,
  attempt: number,
  seq: number,
  rows: ReportRow[],
) {
  const body = rows.map(jsonlLine).join('');
  await files.put(partPath(first, { scheduledMs: ms, attempt, seq }), Buffer.from(body));
}

/** 30 batches of 20 indexes, 2–3 parts each, a retried attempt; then a "resume" whose batches re-write indexes. */
async function seed(files: JobFiles): Promise<void> {
  for (let b = 0; b < 30; b++) {
    const first = b * 20;
    const ms = 1000 + b;
    const idx = Array.from({ length: 20 }, (_, i) => first + i);
    await put(
      files,
      first,
      ms,
      1,
      0,
      idx.slice(0, 8).map((i) => row(i, 'copied', 'a1')),
    );
    await put(
      files,
      first,
      ms,
      1,
      1,
      idx.slice(8).map((i) => row(i, i % 5 === 0 ? 'failed' : 'copied', 'a1')),
    );
    if (b % 3 === 0)
      await put(
        files,
        first,
        ms,
        2,
        0,
        idx.filter((i) => i % 5 === 0).map((i) => row(i, 'copied', 'a2')),
      );
  }
  // A resumed job: scattered batches under the first index they hold, at later times, interleaved so that a
  // segment may hold a later write than one outside it.
  await put(files, 5, 2005, 1, 0, [row(5, 'copied', 'r1'), row(45, 'skipped', 'r1')]);
  await put(files, 10, 2001, 1, 0, [row(10, 'copied', 'r2'), row(300, 'copied', 'r2')]);
  await put(files, 42, 900, 1, 0, [row(42, 'failed', 'early'), row(43, 'failed', 'early')]);
}

async function all(files: JobFiles): Promise<ReportRow[]> {
  const out = [];
  for await (const r of mergedRows(files)) out.push(r);
  return out;
}

async function count(files: JobFiles): Promise<number> {
  let n = 0;
  for await (const _f of files.list('report/')) n++;
  return n;
}

test('compaction keeps the merged report exactly, at every segment size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-compact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const size of [1, 300, 1000, 4000, 1 << 30]) {
    const files = jobFiles(new LocalBucket(join(dir, `b-${size}`)), 'job');
    await seed(files);
    const before = await all(files);
    assert.equal(before.length, 600);
    // The resume's rows win where they are later, lose where they are earlier (a batch at 1002 re-wrote 42).
    assert.equal(before.find((r) => r.index === 10)?.message?.startsWith('r2'), true);
    assert.equal(before.find((r) => r.index === 45)?.outcome, 'skipped');
    assert.equal(before.find((r) => r.index === 42)?.message?.startsWith('a1'), true);
    const parts = await count(files);
    const st = await compactReport(files, { segmentBytes: size });
    assert.deepEqual(await all(files), before, `segment size ${size}`);
    const after = await count(files);
    if (size > 1) assert.ok(after < parts, `size ${size}: ${after} files, was ${parts}`);
    if (size === 1 << 30) assert.equal(after, 1);
    assert.equal(st.cutShort, false);
    // Idempotent: again, the same report.
    await compactReport(files, { segmentBytes: size });
    assert.deepEqual(await all(files), before, `segment size ${size}, twice`);
  }
});

test('a crash between writing a segment and removing its parts: the report reads the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-compact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = jobFiles(new LocalBucket(join(dir, 'b')), 'job');
  await seed(files);
  const before = await all(files);
  const kept = new Map<string, Buffer>();
  for await (const f of files.list('report/')) {
    const chunks = [];
    for await (const c of (await files.read(f.rel))!) chunks.push(c as Buffer);
    kept.set(f.rel, Buffer.concat(chunks));
  }
  await compactReport(files, { segmentBytes: 2000 });
  // Put the removed parts back: as if the worker died right after each segment was written.
  for (const [rel, body] of kept) if ((await files.size(rel)) === null) await files.put(rel, body);
  assert.deepEqual(await all(files), before);
  await compactReport(files, { segmentBytes: 2000 });
  assert.deepEqual(await all(files), before);
});

test('a deadline already past: nothing is compacted beyond the first folder, and the report is whole', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-compact-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = jobFiles(new LocalBucket(join(dir, 'b')), 'job');
  await seed(files);
  const before = await all(files);
  const st = await compactReport(files, { deadlineMs: 0 });
  assert.equal(st.cutShort, true);
  assert.equal(st.segments, 0);
  assert.deepEqual(await all(files), before);
});
