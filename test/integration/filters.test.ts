// --include / --exclude / --prefix on every source kind (template, listing, manifest), with rclone's semantics
// (lib/listing/filter.ts): only the names that pass are copied, every other one is counted as `excluded` in the
// job's totals (the report line, `show job`) and has an `excluded` row in the per-object report. An include
// that matches nothing completes with 0 copied and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportRow } from '../../common/report.js';
import { FerryHarness, compareTrees, listFiles, makeDataset } from '../helpers/cli.js';

/** 24 names: three kinds of file in two folders, so globs with and without `/` both have work to do. */
const NAMES = Array.from(
  { length: 24 },
  (_, i) => `${i % 2 ? 'b' : 'a'}/f-${String(i).padStart(2, '0')}.${['bin', 'txt', 'tmp'][i % 3]}`,
);
const FILTER = ['--include', '*.bin', '--include', '*.txt', '--exclude', '/b/**'];
/** What FILTER lets through: .bin and .txt under a/. */
const WANT = NAMES.filter((n) => n.startsWith('a/') && !n.endsWith('.tmp'));

function readJsonl(path: string): ReportRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportRow);
}

async function setup(t: test.TestContext, name: string) {
  const h = new FerryHarness(t, name);
  const root = join(h.dir, 'src');
  makeDataset(root, { count: NAMES.length, name: (i) => NAMES[i]!, size: [10, 3000], seed: 5 });
  const { url } = await h.serve(root);
  return { h, root, url, bucket: join(h.dir, 'bucket') };
}

/** The job ran to completion with the filter: exactly WANT copied, the rest excluded, in totals and report. */
async function assertFiltered(
  h: FerryHarness,
  root: string,
  bucket: string,
  r: { code: number; stdout: string; stderr: string },
): Promise<void> {
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const excluded = NAMES.length - WANT.length;
  assert.match(
    r.stdout,
    new RegExp(
      `completed: ${WANT.length} copied, 0 skipped, 0 failed, ${excluded} excluded of ${NAMES.length};`,
    ),
  );
  assert.deepEqual(await compareTrees(root, bucket, WANT), { missing: [], different: [], extra: [] });
  const jobId = /job (\S+) completed/.exec(r.stdout)![1]!;
  const shown = await h.run(['show', 'job', jobId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`${WANT.length} copied, 0 skipped, 0 failed, ${excluded} excluded`));
  const out = join(h.dir, `${jobId}.jsonl`);
  const rep = await h.run(['show', 'job', jobId, '--report', out]);
  assert.equal(rep.code, 0, rep.stderr);
  const rows = readJsonl(out);
  const by = (o: string) =>
    rows
      .filter((x) => x.outcome === o)
      .map((x) => x.name)
      .sort();
  assert.deepEqual(by('copied'), [...WANT].sort());
  assert.deepEqual(by('excluded'), NAMES.filter((n) => !WANT.includes(n)).sort());
  assert.equal(rows.length, NAMES.length, 'one row per name');
}

test('template download: --include/--exclude tested at each index inside the batches', async (t) => {
  const { h, url, bucket } = await setup(t, 'flt-template');
  const r = await h.run([
    'job',
    'start',
    'download',
    `${url}/a/f-{00..23}.{bin,txt,tmp}`,
    bucket,
    '--include',
    '*.bin',
    '--include',
    '*.txt',
    '--exclude',
    'f-2?.*',
    '--wait',
    '--batch-size',
    '7',
  ]);
  // a/ holds the even indexes: f-00.bin, f-02.tmp, ... ; the template's other 60 names do not exist (404).
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  const want = NAMES.filter((n) => n.startsWith('a/f-') && !n.endsWith('.tmp') && !/f-2\d/.test(n));
  const m = /completed-with-failures: (\d+) copied, 0 skipped, (\d+) failed, (\d+) excluded of 72;/.exec(
    r.stdout,
  );
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), want.length);
  // Excluded: every .tmp (24) plus the .bin/.txt of 20..23 (8): 32; the rest (40) is copied or a 404.
  assert.equal(Number(m[3]), 32);
  assert.equal(Number(m[2]), 72 - 32 - want.length);
  const copied = (await listFiles(bucket, { skip: ['.ferry'] })).sort();
  assert.deepEqual(copied, want.map((n) => n.slice(2)).sort());
});

test('template with a filter: exact totals, rows and show job; an include that matches nothing says so', async (t) => {
  const { h, root, url, bucket } = await setup(t, 'flt-template-exact');
  // The 24 files by a list-shaped template: exactly NAMES.
  const tpl = `{${NAMES.join(',')}}`;
  const r = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    '--template',
    tpl,
    ...FILTER,
    '--wait',
    '--batch-size',
    '5',
  ]);
  await assertFiltered(h, root, bucket, r);

  const none = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    join(h.dir, 'none'),
    '--template',
    tpl,
    '--include',
    '*.nope',
    '--wait',
  ]);
  assert.equal(none.code, 0, `${none.stdout}\n${none.stderr}`);
  assert.match(
    none.stdout,
    new RegExp(`completed: 0 copied, 0 skipped, 0 failed, ${NAMES.length} excluded of ${NAMES.length};`),
  );
  assert.match(none.stdout, /no name matched the job's --include\/--exclude\/--prefix/);
  assert.deepEqual(await listFiles(join(h.dir, 'none'), { skip: ['.ferry'] }).catch(() => []), []);
});

test('whole listing (prefetch ORIGIN): excluded names counted and reported', async (t) => {
  const { h, root, url, bucket } = await setup(t, 'flt-listing');
  const r = await h.run([
    'job',
    'start',
    'prefetch',
    `${url}/`,
    bucket,
    ...FILTER,
    '--wait',
    '--batch-size',
    '5',
  ]);
  await assertFiltered(h, root, bucket, r);
});

test('manifest (--list): excluded names counted and reported', async (t) => {
  const { h, root, url, bucket } = await setup(t, 'flt-manifest');
  const manifest = join(h.dir, 'list.txt');
  writeFileSync(manifest, `${NAMES.join('\n')}\n`);
  const r = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    '--list',
    manifest,
    ...FILTER,
    '--wait',
    '--batch-size',
    '5',
  ]);
  await assertFiltered(h, root, bucket, r);
});
