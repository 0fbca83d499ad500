// --sync of whole-listing and manifest jobs (rclone sync semantics): after a failure-free copy, destination
// objects that are not source names are deleted, except names the job's filter excludes and the job's own
// `.ferry/` files. --dry-run plans it first (what --sync would delete, the --skip-existing count) and copies and
// deletes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryHarness, compareTrees, listFiles, makeDataset } from '../helpers/cli.js';
import { historyText, leakOf } from '../helpers/history.js';

const NAMES = Array.from({ length: 12 }, (_, i) => `${i % 2 ? 'd/' : ''}f-${String(i).padStart(2, '0')}.bin`);
/** In the destination before the job, not in the source: stale.bin and d/old.bin go; keep.log is excluded. */
const STALE = ['stale.bin', 'd/old.bin'];
const EXCLUDED_STALE = 'keep.log';

async function setup(t: test.TestContext, name: string) {
  const h = new FerryHarness(t, name);
  const root = join(h.dir, 'src');
  makeDataset(root, { count: NAMES.length, name: (i) => NAMES[i]!, size: [10, 2000], seed: 9 });
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'bucket');
  // An earlier copy of half the source (the same bytes: --skip-existing skips them), plus the stale objects.
  const pre = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    '--template',
    `{${NAMES.slice(0, 6).join(',')}}`,
    '--wait',
    '-q',
  ]);
  assert.equal(pre.code, 0, `${pre.stdout}\n${pre.stderr}`);
  mkdirSync(join(bucket, 'd'), { recursive: true });
  for (const n of [...STALE, EXCLUDED_STALE]) writeFileSync(join(bucket, n), `stale ${n}`);
  return { h, root, url, bucket };
}

async function assertSynced(h: FerryHarness, root: string, bucket: string, args: string[]): Promise<void> {
  const before = (await listFiles(bucket)).sort();
  const dry = await h.run([...args, '--sync', '--skip-existing', '--dry-run', '--exclude', '*.log']);
  assert.equal(dry.code, 0, `${dry.stdout}\n${dry.stderr}`);
  assert.match(dry.stdout, new RegExp(`objects\\s+${NAMES.length}\\b`));
  assert.match(dry.stdout, /skip-existing\s+6 would be skipped/);
  assert.match(dry.stdout, /sync\s+2 object\(s\), .* would be deleted/);
  assert.match(dry.stdout, /--sync would delete 2 object\(s\) not in the source:/);
  for (const n of STALE) assert.match(dry.stdout, new RegExp(`^\\s*${n.replace('.', '\\.')}\\s`, 'm'));
  assert.doesNotMatch(dry.stdout, /keep\.log/);
  assert.match(dry.stdout, /dry run: nothing copied, nothing deleted/);
  assert.deepEqual((await listFiles(bucket)).sort(), before, 'the dry run copied and deleted nothing');

  const r = await h.run([...args, '--sync', '--skip-existing', '--exclude', '*.log', '--wait']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /completed: 6 copied, 6 skipped, 0 failed of 12;/);
  const m =
    /job (\S+) completed.*\n(?:.*\n)*?sync: deleted 2 destination object\(s\) not in the source \(named in (\S+)\)/.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  // Every deleted name in the job's sync files, none in history.
  const syncDir = fileURLToPath(m[2]!);
  const listed = readdirSync(syncDir).flatMap((f) =>
    readFileSync(join(syncDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string),
  );
  assert.deepEqual([...new Set(listed)].sort(), [...STALE].sort());
  const history = await historyText(await h.temporal(), m[1]!);
  for (const n of STALE) assert.equal(leakOf(history, n), undefined);
  assert.ok(history.includes('completed'), 'the history text is decoded');
  const cmp = await compareTrees(root, bucket, NAMES);
  assert.deepEqual(cmp.missing, []);
  assert.deepEqual(cmp.different, []);
  assert.deepEqual(
    cmp.extra.filter((n) => !n.startsWith('.ferry')),
    [EXCLUDED_STALE],
    'only the excluded name is left',
  );
  for (const n of STALE) assert.equal(existsSync(join(bucket, n)), false, `${n} deleted`);
}

test('prefetch of a whole listing with --sync: extraneous objects deleted, excluded ones kept', async (t) => {
  const { h, root, url, bucket } = await setup(t, 'sync-listing');
  await assertSynced(h, root, bucket, ['job', 'start', 'prefetch', `${url}/`, bucket]);
});

test('prefetch --list (a manifest) with --sync: extraneous objects deleted, excluded ones kept', async (t) => {
  const { h, root, url, bucket } = await setup(t, 'sync-manifest');
  const manifest = join(h.dir, 'list.txt');
  writeFileSync(manifest, `# the source\n${NAMES.join('\n')}\n`);
  await assertSynced(h, root, bucket, ['job', 'start', 'prefetch', url, bucket, '--list', manifest]);
});

test('--sync never runs after failures: nothing deleted', async (t) => {
  const { h, url, bucket } = await setup(t, 'sync-failed');
  const manifest = join(h.dir, 'list.txt');
  writeFileSync(manifest, `${[...NAMES, 'missing.bin'].join('\n')}\n`);
  const r = await h.run(['job', 'start', 'prefetch', url, bucket, '--list', manifest, '--sync', '--wait']);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /sync: deleted/);
  for (const n of STALE) assert.equal(existsSync(join(bucket, n)), true, `${n} kept`);
});
