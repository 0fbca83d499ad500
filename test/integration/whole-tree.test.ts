// Whole trees, no names given: `ferry migrate DIR BUCKET` and `ferry job start prefetch ORIGIN BUCKET` walk the
// origin's listing (ferry serve's JSON, python's and nginx's autoindex HTML) and copy every file, byte for
// byte, under its path relative to the root — nested directories, spaces and unicode included.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';
import {
  hasNginx,
  startFlakyListingOrigin,
  startNginx,
  startPythonServer,
} from '../helpers/listing-servers.js';

const NAMES = [
  'top.txt',
  'a/b/c.txt',
  'a/b/deeper/d e f.bin',
  'a/z.txt',
  'a.txt',
  'with space/file (1).txt',
  'ünïcødé/名前.dat',
  'ünïcødé/sub dir/#hash&amp%25.txt',
  'empty/../zero.bin',
];

function makeTree(h: FerryHarness, name = 'src'): { root: string; names: string[] } {
  const root = join(h.dir, name);
  const names = NAMES.map((n) => n.replace('empty/../', ''));
  makeDataset(root, { count: names.length, name: (i) => names[i]!, size: [0, 70_000], seed: 7 });
  mkdirSync(join(root, 'empty-dir'), { recursive: true });
  return { root, names };
}

async function assertCopied(root: string, bucket: string, names: string[]): Promise<void> {
  const cmp = await compareTrees(root, bucket, names);
  assert.deepEqual(cmp, { missing: [], different: [], extra: [] });
}

test('migrate DIR BUCKET with no template copies the whole tree; --dry-run counts it and writes nothing', async (t) => {
  const h = new FerryHarness(t, 'tree-migrate');
  const { root, names } = makeTree(h);
  // A symlink loop inside the root: followed once by the server, recognised by the walk, not copied forever.
  symlinkSync('..', join(root, 'a', 'loop'));
  const dry = await h.run(['migrate', root, join(h.dir, 'dry'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`objects\\s+${names.length}\\b`));
  assert.match(dry.stdout, /first\s+a\/b\/c\.txt/);
  assert.match(dry.stdout, /last\s+ünïcødé\/名前\.dat/);
  assert.match(dry.stdout, /bytes\s+\d+/);
  assert.equal(existsSync(join(h.dir, 'dry')), false, 'dry run wrote nothing');

  const bucket = join(h.dir, 'bucket');
  const r = await h.run(['migrate', root, bucket, '-q', '--batch-size', '2']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  await assertCopied(root, bucket, names);
});

async function prefetchCase(
  t: TestContext,
  label: string,
  start: (h: FerryHarness, root: string) => Promise<string>,
) {
  const h = new FerryHarness(t, `tree-${label}`);
  const { root, names } = makeTree(h);
  const url = await start(h, root);
  const bucket = join(h.dir, 'bucket');
  const r = await h.run(['job', 'start', 'prefetch', url, bucket, '--wait', '-q', '--batch-size', '3']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  await assertCopied(root, bucket, names);
}

test('prefetch ORIGIN BUCKET with no names: from ferry serve (JSON listing)', async (t) => {
  await prefetchCase(t, 'serve', async (h, root) => `${(await h.serve(root)).url}/`);
});

test('prefetch ORIGIN BUCKET with no names: from python3 -m http.server (HTML)', async (t) => {
  await prefetchCase(t, 'python', (_h, root) => startPythonServer(t, root));
});

test('prefetch ORIGIN BUCKET with no names: from nginx autoindex (HTML)', async (t) => {
  if (!hasNginx()) {
    t.skip('nginx is not installed (scripts/peers.sh installs it): nginx autoindex case skipped');
    return;
  }
  await prefetchCase(t, 'nginx', (h, root) => startNginx(t, root, join(h.dir, 'nginx')));
});

test('prefetch: a listing page failing transiently mid-walk is retried, nothing skipped', async (t) => {
  const h = new FerryHarness(t, 'tree-flaky');
  const { root, names } = makeTree(h);
  const origin = await startFlakyListingOrigin(t, root, 'a/b/', 2);
  const bucket = join(h.dir, 'bucket');
  const r = await h.run(['job', 'start', 'prefetch', origin.url, bucket, '--wait', '-q']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok((origin.hits.get('a/b/') ?? 0) > 2, 'the failing listing was asked for again');
  await assertCopied(root, bucket, names);
});

test('prefetch of an origin with no listing fails with one line and writes nothing', async (t) => {
  const h = new FerryHarness(t, 'tree-bad');
  const root = join(h.dir, 'site');
  mkdirSync(join(root, 'page'), { recursive: true });
  writeFileSync(join(root, 'page', 'index.html'), '<html><body><p>hello</p></body></html>');
  const url = await startPythonServer(t, root);
  const bucket = join(h.dir, 'bucket');
  for (const [what, origin, re] of [
    ['404', `${url}nope/`, /^ferry: no listing at .*404/m],
    ['not a listing', `${url}page/`, /is not a directory listing/],
  ] as const) {
    const r = await h.run(['job', 'start', 'prefetch', origin, bucket, '--wait', '-q']);
    assert.equal(r.code, 2, `${what}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, re, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    assert.equal(existsSync(bucket), false, `${what}: nothing written`);
  }
});

test('migrate of an empty tree completes with 0 objects and says so', async (t) => {
  const h = new FerryHarness(t, 'tree-empty');
  const root = join(h.dir, 'empty');
  mkdirSync(join(root, 'only', 'dirs'), { recursive: true });
  const dry = await h.run(['migrate', root, join(h.dir, 'dry'), '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /objects\s+0\b/);
  assert.match(dry.stdout, /no files; nothing to copy/);
  const r = await h.run(['migrate', root, join(h.dir, 'bucket')]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /completed: 0 copied, 0 skipped, 0 failed of 0;/);
});

test('a file listed but gone when copied fails as SourceNotFound, once; job resume copies it once it is back', async (t) => {
  const h = new FerryHarness(t, 'tree-ghost');
  const { root, names } = makeTree(h);
  const origin = await startFlakyListingOrigin(t, root, '', 0, ['ghost.bin']);
  const bucket = join(h.dir, 'bucket');
  const r = await h.run(['job', 'start', 'prefetch', origin.url, bucket, '--wait', '-q']);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  assert.match(`${r.stdout}${r.stderr}`, /ghost\.bin.*SourceNotFound|SourceNotFound.*ghost\.bin/);
  assert.equal(origin.hits.get('ghost.bin'), 1, 'a permanent failure is not retried');
  await assertCopied(root, bucket, names);

  writeFileSync(join(root, 'ghost.bin'), 'back');
  const jobId = r.stdout.split('\n')[0]!.trim();
  const res = await h.run(['job', 'resume', jobId, '--wait', '-q']);
  assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
  await assertCopied(root, bucket, [...names, 'ghost.bin']);
});

test('migrate --include/--exclude copies only the matching files of the tree', async (t) => {
  const h = new FerryHarness(t, 'tree-filter');
  const { root, names } = makeTree(h);
  const bucket = join(h.dir, 'bucket');
  const args = ['--include', '*.txt', '--exclude', '/a/**'];
  const want = names.filter((n) => n.endsWith('.txt') && !n.startsWith('a/'));
  const dry = await h.run(['migrate', root, join(h.dir, 'dry'), '--dry-run', ...args]);
  assert.match(dry.stdout, new RegExp(`objects\\s+${want.length}\\b`));
  const r = await h.run(['migrate', root, bucket, '-q', ...args]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  await assertCopied(root, bucket, want);
  // --template takes the same filter (tested at each index inside the batches: integration/filters).
  const tpl = await h.run([
    'migrate',
    root,
    join(h.dir, 'tpl'),
    '--template',
    '{a.txt,top.txt}',
    '--exclude',
    'top*',
    '-q',
  ]);
  assert.equal(tpl.code, 0, `${tpl.stdout}\n${tpl.stderr}`);
  await assertCopied(root, join(h.dir, 'tpl'), ['a.txt']);
});
