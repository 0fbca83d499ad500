// Fault injection with real processes: a misbehaving origin, a Temporal server killed with -9 and restarted
// on its persistent database, and a destination that runs out of space. Each ends complete, or failed with
// a clear report where the fault is permanent, with nothing missing, corrupted or partial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { startMinio } from '../../devserver/minio.js';
import { startDevServer } from '../../devserver/temporal.js';
import { freePort } from '../../devserver/process.js';
import { progressQuery } from '../../workflows/index.js';
import {
  cliEnv,
  ferry,
  filesUnder,
  rmrf,
  sha256File,
  tempDir,
  scratch,
  serveAndWork,
} from '../helpers/exec.js';
import { startFaultyOrigin } from '../helpers/faulty-origin.js';
import { sha256Of } from '../helpers/seed.js';

interface Report {
  state: string;
  total: number;
  totals: { copied: number; skipped: number; failed: number };
  failures: { name: string; type: string; retryable: boolean }[];
}

/** The table row the closing note asks for: total / missing / corrupted / partial. */
function audit(
  src: string,
  bucket: string,
  expected: string[],
): { missing: number; corrupted: number; partial: number } {
  let missing = 0;
  let corrupted = 0;
  for (const n of expected) {
    if (!existsSync(join(bucket, n))) missing++;
    else if (sha256File(join(bucket, n)) !== sha256File(join(src, n))) corrupted++;
  }
  const partial = existsSync(join(bucket, '.ferry', 'tmp'))
    ? filesUnder(join(bucket, '.ferry', 'tmp')).length
    : 0;
  return { missing, corrupted, partial };
}

test('origin faults: 503s, resets, stalls and short bodies recover; permanent ones are reported', async (t) => {
  const [src, out] = scratch(t, 'faults-src', 'faults-out');
  const groups = ['ok', 'e503', 'reset', 'stall', 'short', 'permshort', 'perm500'];
  const names: string[] = [];
  for (const g of groups) {
    for (let i = 0; i < (g === 'ok' ? 20 : 4); i++) {
      const n = `${g}-${i}.bin`;
      writeFileSync(join(src, n), randomBytes(40_000 + i * 1000));
      names.push(n);
    }
  }
  const origin = await startFaultyOrigin(src);
  t.after(() => origin.close());
  const list = join(out, 'names.txt');
  writeFileSync(list, names.join('\n'));
  const bucket = join(out, 'bucket');
  // The in-process worker of --wait gets a short body timeout so stalls are detected in seconds — yet far
  // above any gap in a healthy local body, even on a loaded machine.
  const env = cliEnv({ FERRY_HTTP_BODY_TIMEOUT_MS: '5000' });

  const run = await ferry(
    [
      'job',
      'start',
      'download',
      origin.url,
      bucket,
      '--object-list',
      list,
      '--retries',
      '3',
      '--batch-size',
      '8',
      '--wait',
      '-q',
    ],
    env,
  );
  assert.equal(run.code, 3, `finished with failures\n${run.stdout}\n${run.stderr}`);
  const id = run.stdout.split('\n')[0]!.trim();
  const report = JSON.parse((await ferry(['show', 'job', id, '--json'], env)).stdout) as Report;
  const permanent = names.filter((n) => n.startsWith('permshort-') || n.startsWith('perm500-'));
  assert.deepEqual(report.failures.map((f) => f.name).sort(), permanent.sort());
  for (const f of report.failures) {
    assert.equal(f.type, f.name.startsWith('permshort-') ? 'LengthMismatch' : 'SourceUnavailable', f.name);
    assert.equal(f.retryable, true, 'transient kinds stay marked retryable for `job resume`');
  }
  const recovered = names.filter((n) => !permanent.includes(n));
  const a = audit(src, bucket, recovered);
  console.log(
    `# faults origin: total ${names.length}, recovered ${recovered.length}, missing ${a.missing}, corrupted ${a.corrupted}, partial ${a.partial}`,
  );
  assert.deepEqual(a, { missing: 0, corrupted: 0, partial: 0 });
  for (const n of permanent) assert.ok(!existsSync(join(bucket, n)), `${n}: no partial object`);
  assert.deepEqual(filesUnder(bucket), recovered.sort());
  // Permanent faults were tried exactly --retries times per batch, not forever.
  for (const n of permanent)
    assert.ok((origin.requests.get(n) ?? 0) <= 3, `${n} requested ${origin.requests.get(n)} times`);
});

test('kill -9 of the Temporal dev server mid-migration: restart on the same DB, the job completes', async (t) => {
  const work = tempDir('tkill');
  t.after(() => rmrf(work));
  const src = join(work, 'src');
  mkdirSync(src);
  const names = Array.from({ length: 300 }, (_, i) => `o-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(32 * 1024));
  const port = await freePort();
  const dbFile = join(work, 'temporal.db');
  let server = await startDevServer({ port, uiPort: false, dbFile, logFile: join(work, 'temporal.log') });
  t.after(() => server.stop());
  const env = cliEnv({ TEMPORAL_ADDRESS: server.address });
  const url = await serveAndWork(t, src, env);
  const bucket = join(work, 'bucket');
  // ~9.4 MiB at ~0.8 MiB/s: ~12 s of copying, long enough to kill the server in the middle.
  const start = await ferry(
    [
      'job',
      'start',
      'download',
      `${url}o-{000..299}.bin`,
      bucket,
      '--batch-size',
      '10',
      '--limit-bph',
      '3000MiB',
    ],
    env,
  );
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();

  const progress = async (): Promise<number> => {
    const c = await Connection.connect({ address: server.address });
    try {
      return (await new Client({ connection: c }).workflow.getHandle(id).query(progressQuery)).done;
    } finally {
      await c.close();
    }
  };
  // Gate on state; the bound is for a loaded machine. The bandwidth limit keeps the rest of the copy ~10 s long.
  const deadline = Date.now() + 180_000;
  while ((await progress()) < 60 && Date.now() < deadline) await sleep(100);
  const before = await progress();
  assert.ok(before >= 60 && before < 300, `killed mid-migration (${before}/300)`);
  process.kill(-server.pid, 'SIGKILL');
  await server.process.exited;
  await sleep(2000);
  server = await startDevServer({ port, uiPort: false, dbFile, logFile: join(work, 'temporal.log') });

  const done = await ferry(['show', 'job', id, '--progress'], env, 240_000);
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /completed: \d+ copied/);
  const a = audit(src, bucket, names);
  console.log(
    `# faults temporal kill: killed at ${before}/300; missing ${a.missing}, corrupted ${a.corrupted}, partial ${a.partial}`,
  );
  assert.deepEqual(a, { missing: 0, corrupted: 0, partial: 0 });
});

test('full disk on a local bucket: DestinationFull reported, never retried, nothing partial', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a small tmpfs');
    return;
  }
  const work = tempDir('full');
  const mnt = join(work, 'mnt');
  mkdirSync(mnt);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
  if (m.status !== 0) {
    t.skip(`mount tmpfs refused: ${m.stderr.toString()}`);
    return;
  }
  t.after(() => {
    spawnSync('umount', ['-l', mnt]);
    rmrf(work);
  });
  const src = join(work, 'src');
  mkdirSync(src);
  const names = Array.from({ length: 24 }, (_, i) => `big-${String(i).padStart(2, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(512 * 1024));
  const bucket = join(mnt, 'bucket');
  const env = cliEnv();
  // One object at a time: with many in flight, the disk can fill while every one of them is part-written, and
  // then none fits (seen in CI 2026-12-01: copied 0). One at a time, the first ~11 fit whatever the timing, each
  // one that does not is removed (freeing its space for the report part), and the rest fail DestinationFull.
  const run = await ferry(
    [
      'migrate',
      src,
      bucket,
      '--template',
      'big-{00..23}.bin',
      '--retries',
      '3',
      '--max-conns',
      '1',
      '--window',
      '1',
      '-q',
    ],
    env,
  );
  assert.equal(run.code, 3, `finished with failures\n${run.stdout}\n${run.stderr}`);
  const id = run.stdout.split('\n')[0]!.trim();
  const report = JSON.parse((await ferry(['show', 'job', id, '--json'], env)).stdout) as Report;
  assert.ok(report.totals.failed > 0, 'some objects did not fit');
  assert.ok(report.totals.copied > 0, 'some objects did');
  for (const f of report.failures) {
    assert.equal(f.type, 'DestinationFull', `${f.name}: ${f.type}`);
    // An object that did not fit is failed for good. When the disk fills while a batch writes its report part
    // (lib/job-files.ts), that batch's activity fails, not retried (DestinationFull is non-retryable), and the
    // ledger reports its objects as a range (`#i` or `#i..#j`, workflows/ledger.ts), not retryable either:
    // which write meets the full disk first is a race (seen 2026-12-01), and both say the same.
    assert.equal(f.retryable, false, `${f.name} is failed for good`);
  }
  const present = filesUnder(bucket);
  assert.equal(present.length, report.totals.copied);
  for (const n of present) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)), `${n} intact`);
  assert.deepEqual(filesUnder(join(bucket, '.ferry', 'tmp')).length, 0, 'no partial temp files');
  console.log(
    `# faults full disk: total 24, copied ${report.totals.copied}, failed DestinationFull ${report.totals.failed}, corrupted 0, partial 0`,
  );
});

test('destination outage: MinIO killed with -9 mid-copy and restarted; the job completes intact', async (t) => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [work] = scratch(t, 'outage');
  const dataDir = join(work, 'minio-data');
  mkdirSync(dataDir);
  const port = await freePort();
  let minio = await startMinio({ port, dataDir });
  t.after(() => minio.stop());
  const src = join(work, 'src');
  mkdirSync(src);
  const names = Array.from({ length: 300 }, (_, i) => `o-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(32 * 1024));
  const env = cliEnv({
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
    AWS_REGION: minio.region,
    AWS_ENDPOINT_URL: minio.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const url = await serveAndWork(t, src, env);
  const start = await ferry(
    [
      'job',
      'start',
      'download',
      `${url}o-{000..299}.bin`,
      's3://outage-bkt',
      '--batch-size',
      '10',
      '--limit-bph',
      '3600MiB',
    ],
    env,
  );
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  const s3 = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  t.after(() => s3.destroy());
  // Objects only: `.ferry/jobs/<job>/` holds the job's report parts (lib/job-files.ts).
  const objectKeys = async () => {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: 'outage-bkt', ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) if (!o.Key!.startsWith('.ferry/')) keys.push(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  };
  const countObjects = async () => (await objectKeys()).length;
  // Gate on state; the bound is for a loaded machine. The bandwidth limit keeps the rest of the copy ~8 s long.
  let before = 0;
  const deadline = Date.now() + 180_000;
  while (before < 40 && Date.now() < deadline) {
    await sleep(100);
    before = await countObjects().catch(() => 0);
  }
  assert.ok(before >= 40 && before < 300, `outage starts mid-copy (${before}/300)`);
  process.kill(-minio.pid, 'SIGKILL');
  await minio.process.exited;
  await sleep(5000);
  minio = await startMinio({ port, dataDir });

  const done = await ferry(['show', 'job', id, '--progress'], env, 300_000);
  assert.equal(done.code, 0, done.stdout + done.stderr);
  let corrupted = 0;
  const keys = (await objectKeys()).sort();
  for (const n of keys) {
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: 'outage-bkt', Key: n }))
    ).Body!.transformToByteArray();
    if (sha256Of(Buffer.from(body)) !== sha256File(join(src, n))) corrupted++;
  }
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'outage-bkt' }));
  const missing = names.filter((n) => !keys.includes(n)).length;
  console.log(
    `# faults minio outage: outage at ${before}/300 for ~5 s; missing ${missing}, corrupted ${corrupted}, incomplete uploads ${(uploads.Uploads ?? []).length}`,
  );
  assert.deepEqual(keys, names);
  assert.equal(corrupted, 0);
  assert.equal((uploads.Uploads ?? []).length, 0);
});
