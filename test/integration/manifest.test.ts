// Manifests (`--object-list` / `--list`) of any size, wherever they are: a local file (staged into the
// destination as the job's file), an http(s) URL and an s3:// object; lines with sizes and checksums checked
// against what arrives (ManifestMismatch / ChecksumMismatch, nothing committed); names never in workflow history; bad manifests
// refused in one line with their line number and nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startMinio } from '../../devserver/minio.js';
import { JobOptionsSchema, type MigrationInput, type MigrationReport } from '../../common/schemas.js';
import { migrationWorkflow } from '../../workflows/index.js';
import { FerryHarness, compareTrees, listFiles, makeDataset } from '../helpers/cli.js';
import { historyText, leakOf } from '../helpers/history.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const NAMES = Array.from({ length: 30 }, (_, i) =>
  i % 4 === 0 ? `deep/er dir/f ${i}.bin` : i % 4 === 1 ? `ünï/${i}.dat` : `f-${i}.bin`,
);

function dataset(h: FerryHarness): { root: string; names: string[] } {
  const root = join(h.dir, 'src');
  makeDataset(root, { count: NAMES.length, name: (i) => NAMES[i]!, size: [0, 5000], seed: 11 });
  return { root, names: NAMES };
}

/** A manifest of `names` with sizes and checksums in every accepted form, a comment, blank lines and CRLF. */
function manifestText(
  root: string,
  names: string[],
  edit: (i: number, cols: string[]) => void = () => {},
): string {
  const lines = names.map((n, i) => {
    const bytes = readFileSync(join(root, n));
    const md5 = createHash('md5').update(bytes);
    const cols = [n, String(bytes.length)];
    if (i % 3 === 0) cols.push(`md5:${md5.digest('base64')}`);
    else if (i % 3 === 1) cols.push(md5.digest('hex'));
    else cols.push(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    edit(i, cols);
    return `${cols.join('\t')}${i % 2 ? '\r' : ''}`;
  });
  return `# inventory: name, size, checksum\n\n${lines.join('\n')}\n`;
}

const jobIdOf = (stdout: string) => stdout.split('\n')[0]!.trim();

test('a local manifest is staged into the destination; every object copied; no name in history', async (t) => {
  const h = new FerryHarness(t, 'mf-local');
  const { root, names } = dataset(h);
  const manifest = join(h.dir, 'manifest.tsv');
  writeFileSync(manifest, manifestText(root, names));
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'bucket');
  const r = await h.run([
    'job',
    'start',
    'download',
    `${url}/`,
    bucket,
    '--object-list',
    manifest,
    '--batch-size',
    '4',
    '--wait',
    '-q',
  ]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await compareTrees(root, bucket, names), { missing: [], different: [], extra: [] });
  const jobId = jobIdOf(r.stdout);
  assert.equal(
    readFileSync(join(bucket, '.ferry', 'jobs', jobId, 'manifest'), 'utf8'),
    readFileSync(manifest, 'utf8'),
  );
  // The plan of a re-run: objects, bytes from the size column, and what --skip-existing would skip.
  rmSync(join(bucket, names[0]!));
  const dry = await h.run([
    'job',
    'start',
    'download',
    `${url}/`,
    bucket,
    '--object-list',
    manifest,
    '--skip-existing',
    '--dry-run',
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  const bytes = names.reduce((a, n) => a + readFileSync(join(root, n)).length, 0);
  assert.match(dry.stdout, new RegExp(`objects\\s+${names.length}\\b`));
  assert.match(dry.stdout, new RegExp(`bytes\\s+${bytes}\\b`));
  assert.match(dry.stdout, new RegExp(`skip-existing\\s+${names.length - 1} would be skipped`));
  assert.equal(existsSync(join(bucket, names[0]!)), false, 'the dry run copied nothing');
  const history = await historyText(await h.temporal(), jobId);
  assert.ok(history.length > 0);
  for (const n of ['f ', 'ünï', 'deep/er']) assert.equal(leakOf(history, n), undefined);
});

test('a manifest from an http URL; a size and a checksum that disagree fail as ManifestMismatch / ChecksumMismatch, uncommitted', async (t) => {
  const h = new FerryHarness(t, 'mf-http');
  const { root, names } = dataset(h);
  const served = join(h.dir, 'manifests');
  mkdirSync(served);
  const wrongSize = names[4]!;
  const wrongSum = names[9]!;
  writeFileSync(
    join(served, 'm.tsv'),
    manifestText(root, names, (i, cols) => {
      if (names[i] === wrongSize) cols[1] = String(Number(cols[1]) + 1);
      if (names[i] === wrongSum) cols[2] = `sha256:${'0'.repeat(64)}`;
    }),
  );
  const { url } = await h.serve(root);
  const { url: murl } = await h.serve(served);
  const bucket = join(h.dir, 'bucket');
  const r = await h.run(['job', 'start', 'prefetch', url, bucket, '--list', `${murl}/m.tsv`, '--wait', '-q']);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(
    (await h.run(['show', 'job', jobIdOf(r.stdout), '--json'])).stdout,
  ) as MigrationReport;
  // History names them by index; `show job` names them from the report, as the report does.
  assert.deepEqual(
    report.failures.map((f) => [f.name, f.type, f.retryable]).sort(),
    [
      [wrongSize, 'ManifestMismatch', false],
      [wrongSum, 'ChecksumMismatch', false],
    ].sort(),
  );
  const rows = (await h.run(['show', 'job', jobIdOf(r.stdout), '--report', '-'])).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { name: string; outcome: string; errorType?: string });
  assert.deepEqual(
    rows.filter((x) => x.outcome === 'failed').map((x) => [x.name, x.errorType]),
    [
      [wrongSize, 'ManifestMismatch'],
      [wrongSum, 'ChecksumMismatch'],
    ],
  );
  const good = names.filter((n) => n !== wrongSize && n !== wrongSum);
  assert.deepEqual(await compareTrees(root, bucket, good), { missing: [], different: [], extra: [] });
  assert.equal(existsSync(join(bucket, wrongSize)), false, 'a size mismatch is not committed');
  assert.equal(existsSync(join(bucket, wrongSum)), false, 'a checksum mismatch is not committed');
});

test('a manifest from an s3:// object (MinIO), with --include', async (t) => {
  const minio = await startMinio();
  t.after(() => minio.stop());
  const env = {
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
    AWS_ENDPOINT_URL: minio.endpoint,
    AWS_REGION: 'us-east-1',
  };
  const h = new FerryHarness(t, 'mf-s3', env);
  const { root, names } = dataset(h);
  const s3 = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  t.after(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'inventory' }));
  await s3.send(
    new PutObjectCommand({ Bucket: 'inventory', Key: 'ds/manifest.tsv', Body: manifestText(root, names) }),
  );
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'bucket');
  const args = ['--list', 's3://inventory/ds/manifest.tsv', '--include', '*.bin'];
  const want = names.filter((n) => n.endsWith('.bin'));
  const r = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    ...args,
    '--batch-size',
    '5',
    '--wait',
    '-q',
  ]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(await compareTrees(root, bucket, want), { missing: [], different: [], extra: [] });
  assert.deepEqual((await listFiles(bucket, { skip: ['.ferry'] })).sort(), [...want].sort());
});

test('an include pattern that matches nothing: the job completes with 0 objects and says so', async (t) => {
  const h = new FerryHarness(t, 'mf-none');
  const { root, names } = dataset(h);
  const manifest = join(h.dir, 'manifest.tsv');
  writeFileSync(manifest, manifestText(root, names));
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'bucket');
  const dry = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    '--list',
    manifest,
    '--include',
    '*.nope',
    '--dry-run',
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /objects\s+0\b/);
  assert.match(dry.stdout, new RegExp(`excluded\\s+${names.length}\\b`));
  assert.match(dry.stdout, /no object passes the filters; nothing to copy/);
  assert.equal(existsSync(bucket), false, 'a dry run stages nothing');
  const r = await h.run([
    'job',
    'start',
    'prefetch',
    url,
    bucket,
    '--list',
    manifest,
    '--include',
    '*.nope',
    '--wait',
  ]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout,
    new RegExp(`completed: 0 copied, 0 skipped, 0 failed, ${names.length} excluded of ${names.length};`),
  );
  assert.match(r.stdout, /no name matched the job's --include\/--exclude\/--prefix/);
  assert.deepEqual(await listFiles(bucket, { skip: ['.ferry'] }), []);
});

test('bad manifests: one line naming what and where, exit 2, nothing written', async (t) => {
  const h = new FerryHarness(t, 'mf-bad');
  const { root } = dataset(h);
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'never-created');
  const file = (name: string, text: string) => {
    const f = join(h.dir, name);
    writeFileSync(f, text);
    return f;
  };
  const cases: [string, string, RegExp][] = [
    [
      'missing local manifest',
      join(h.dir, 'nope.tsv'),
      /^ferry: cannot read object list .*nope\.tsv: ENOENT$/,
    ],
    ['a directory', h.dir, /^ferry: cannot read object list .*: EISDIR$/],
    [
      'bad name',
      file('name.tsv', 'ok\t1\n# c\nfine\na/../b\t3\n'),
      /object list .* line 4: invalid name "a\/\.\.\/b"/,
    ],
    [
      'size not a number',
      file('size.tsv', 'a\t12\nb\ttwelve\n'),
      /line 2: size column "twelve" is not a number of bytes/,
    ],
    [
      'bad checksum',
      file('sum.tsv', 'a\t1\tcrc32:AAAAAA==\n'),
      /line 1: checksum algorithm "crc32" is not supported/,
    ],
    ['too many columns', file('cols.tsv', 'a\t1\tdeadbeef\tx\n'), /line 1: 4 tab-separated columns/],
    ['missing http manifest', `${url}/nope.tsv`, /^ferry: cannot read object list .*nope\.tsv: .*404/],
    ['s3 bucket, no key', 's3://inventory', /names a bucket or folder, not an object/],
  ];
  for (const [what, list, re] of cases) {
    const r = await h.run(['job', 'start', 'prefetch', url, bucket, '--list', list, '--wait', '-q']);
    assert.equal(r.code, 2, `${what}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr.trim(), re, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    assert.equal(existsSync(bucket), false, `${what}: nothing written`);
  }
});

test('a remote manifest gone when the job reads it: a typed, non-retryable failure, nothing written', async (t) => {
  const h = new FerryHarness(t, 'mf-gone');
  const { root } = dataset(h);
  const { url } = await h.serve(root);
  await h.worker();
  const client = await h.temporal();
  const bucket = join(h.dir, 'bucket');
  const input = {
    source: { kind: 'manifest', baseUrl: `${url}/`, manifest: { uri: `${url}/gone.tsv` } },
    destination: bucket,
    options: JobOptionsSchema.parse({}),
  } satisfies MigrationInput;
  const err = await client.workflow
    .execute(migrationWorkflow, {
      workflowId: `mf-gone-${h.taskQueue.slice(-8)}`,
      taskQueue: h.taskQueue,
      args: [input],
    })
    .then(
      () => assert.fail('the job should fail'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  const cause = err.cause;
  assert.ok(cause instanceof ApplicationFailure, String(cause));
  assert.equal(cause.type, 'SourceNotFound');
  assert.match(cause.message, /reading the manifest: .*gone\.tsv.*404/);
  assert.deepEqual(await listFiles(bucket, { skip: ['.ferry'] }).catch(() => []), []);
});
