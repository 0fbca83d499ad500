// Remote manifests read once: `job start` reads an http(s) manifest whole to check it and stages those very bytes
// as the job's file `.ferry/jobs/<job>/manifest`; the job's scans and batches read that copy, so the remote server
// sees one GET whatever the number of batches, and the job keeps the manifest it started with when the remote one
// is replaced. A bad line still leaves nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationInput, MigrationReport } from '../../common/schemas.js';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';

test('an http manifest is fetched once by the CLI, staged with the job, and the workers read the copy', async (t) => {
  const h = new FerryHarness(t, 'mf-once');
  const root = join(h.dir, 'src');
  const { names } = makeDataset(root, {
    count: 40,
    name: (i) => `d${i % 3}/f ${i}.bin`,
    size: [0, 3000],
    seed: 5,
  });
  const served = join(h.dir, 'manifests');
  mkdirSync(served);
  const text = `${names.map((n) => `${n}\t${readFileSync(join(root, n)).length}`).join('\n')}\n`;
  writeFileSync(join(served, 'm.tsv'), text);
  const { url } = await h.serve(root);
  const { url: murl } = await h.serve(served);
  const proxy = await startRecordingProxy(murl);
  t.after(() => proxy.close());
  const bucket = join(h.dir, 'bucket');
  const r = await h.run([
    'job',
    'start',
    'download',
    `${url}/`,
    bucket,
    '--object-list',
    `${proxy.url}/m.tsv`,
    '--batch-size',
    '4',
    '--wait',
  ]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const jobId = r.stdout.split('\n')[0]!.trim();
  assert.deepEqual(await compareTrees(root, bucket, names), { missing: [], different: [], extra: [] });
  // One GET of the manifest (the CLI's check): 10 batches and the scans read the staged copy.
  assert.deepEqual(
    proxy.requests.map((q) => `${q.method} ${q.path} ${q.status}`),
    ['GET m.tsv 206'], // a Range GET from byte 0 (lib/manifest/read.ts)
  );
  assert.equal(readFileSync(join(bucket, '.ferry', 'jobs', jobId, 'manifest'), 'utf8'), text);
  assert.match(r.stderr, /manifest staged at .*\.ferry\/jobs\/.*\/manifest/);
  // The input names the staged copy and where it came from, never the names.
  const client = await h.temporal();
  const first = (await client.workflow.getHandle(jobId).fetchHistory()).events?.[0];
  const payload = first?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  const input = JSON.parse(Buffer.from(payload!).toString()) as MigrationInput;
  assert.deepEqual(input.source.kind === 'manifest' && input.source.manifest, {
    at: 'job',
    from: `${proxy.url}/m.tsv`,
  });
});

test('the job keeps the manifest it started with when the remote one is replaced', async (t) => {
  const h = new FerryHarness(t, 'mf-pin');
  const root = join(h.dir, 'src');
  const { names } = makeDataset(root, { count: 12, name: (i) => `f-${i}.bin`, size: 100, seed: 6 });
  const served = join(h.dir, 'manifests');
  mkdirSync(served);
  writeFileSync(join(served, 'm.tsv'), `${names.join('\n')}\n`);
  const { url } = await h.serve(root);
  const { url: murl } = await h.serve(served);
  const bucket = join(h.dir, 'bucket');
  // Started without a worker: the job waits on its task queue while the remote manifest is replaced.
  const r = await h.run(['job', 'start', 'download', `${url}/`, bucket, '--object-list', `${murl}/m.tsv`]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const jobId = r.stdout.split('\n')[0]!.trim();
  writeFileSync(join(served, 'm.tsv'), 'f-0.bin\nnot-there.bin\n');
  await h.worker();
  await (await h.temporal()).workflow.getHandle(jobId).result();
  const report = await h.run(['show', 'job', jobId, '--json']);
  const rep = JSON.parse(report.stdout) as MigrationReport;
  assert.equal(rep.state, 'completed', report.stdout);
  assert.equal(rep.totals.copied, names.length);
  assert.equal(rep.totals.failed, 0);
  assert.deepEqual(await compareTrees(root, bucket, names), { missing: [], different: [], extra: [] });
});

test('a bad line in a remote manifest: one line, exit 2, nothing staged or written', async (t) => {
  const h = new FerryHarness(t, 'mf-once-bad');
  const served = join(h.dir, 'manifests');
  mkdirSync(served);
  writeFileSync(join(served, 'm.tsv'), 'a\t1\nb\t1\tcrc32c:zz\n');
  const { url: murl } = await h.serve(served);
  const bucket = join(h.dir, 'never-created');
  const r = await h.run(['job', 'start', 'download', `${murl}/`, bucket, '--object-list', `${murl}/m.tsv`]);
  assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stderr.trim(),
    /^ferry: object list .*m\.tsv line 2: checksum "crc32c:zz": not a crc32c digest/,
  );
  assert.equal(existsSync(bucket), false);
});
