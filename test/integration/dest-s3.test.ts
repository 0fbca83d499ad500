// s3:// against a real MinIO: the seed scenario through the CLI, checked by ferry's own `ls`/`object get` and
// independently by the AWS SDK; --skip-existing and --sync; a worker killed mid-multipart; bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startMinio, type MinioServer } from '../../devserver/minio.js';
import { freePort } from '../../devserver/process.js';
import { ChecksumAlgos, createHasher } from '../../lib/checksum.js';
import { classifyError } from '../../lib/classify-error.js';
import { CLI, cliEnv, ferry, rmrf, tempDir, crc32cFile } from '../helpers/exec.js';
import {
  SEED_NAMES,
  counts,
  downloadSeed,
  lsJson,
  makeSeed,
  serve,
  sha256FileOf,
  sha256Of,
} from '../helpers/seed.js';

// The SDK's Node-version notice is for ferry's maintainers, not for test output (s3.ts says why).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let minio: MinioServer;
let s3: S3Client;
let work: string;

before(async () => {
  minio = await startMinio();
  s3 = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  work = tempDir('dest-s3');
});
after(async () => {
  s3?.destroy();
  await minio?.stop();
  rmrf(work);
});

/** The CLI's environment for MinIO: the standard AWS variables only. */
function s3Env(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    AWS_ACCESS_KEY_ID: minio.accessKey,
    AWS_SECRET_ACCESS_KEY: minio.secretKey,
    AWS_ENDPOINT_URL: minio.endpoint,
    AWS_REGION: 'us-east-1',
    ...extra,
  });
}

async function listAll(bucket: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    // `.ferry/` holds ferry's own files (a job's report parts, lib/job-files.ts), hidden from its listings too.
    for (const o of page.Contents ?? [])
      if (!/(^|\/)\.ferry\//.test(o.Key!)) out.set(o.Key!.slice(prefix.length), o.Size ?? -1);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

async function getBytes(bucket: string, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

describe('s3:// on MinIO', () => {
  test('--streams: a large object arrives as parallel ranges, one run of parts each, FULL_OBJECT crc32c verified', async (t) => {
    const src = tempDir('s3-ranges-src');
    t.after(() => rmrf(src));
    const data = randomBytes(23 * (1 << 20) + 7);
    writeFileSync(join(src, 'big.bin'), data);
    const env = s3Env({ FERRY_RANGE_THRESHOLD: '1MiB', FERRY_S3_PART_SIZE: '5MiB' });
    const url = await serve(t, src, env);
    const r = await ferry(
      ['job', 'start', 'download', `${url}big.bin`, 's3://ranges/', '--wait', '-q', '--streams', '3'],
      env,
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(data.equals(await getBytes('ranges', 'big.bin')));
    const h = await s3.send(
      new HeadObjectCommand({ Bucket: 'ranges', Key: 'big.bin', ChecksumMode: 'ENABLED' }),
    );
    const want = await createHasher('crc32c');
    want.update(data);
    assert.equal(h.ChecksumType, 'FULL_OBJECT');
    assert.equal(Buffer.from(h.ChecksumCRC32C!, 'base64').toString('hex'), want.digest());
    // 23 MiB in ranges of 10 MiB (2 parts of 5 MiB each), the last range 3 MiB + 7: five parts.
    assert.match(h.ETag ?? '', /-5"$/);
  });

  test('--checksum: every algorithm end to end, small (whole), single PUT and multipart; S3 keeps the CRCs itself', async (t) => {
    const src = tempDir('s3-sums-src');
    t.after(() => rmrf(src));
    // small.bin is received whole and sent as one buffer with the copy's checksum header (s3-small.ts).
    const files = {
      'one.bin': randomBytes(1 << 20),
      'multi.bin': randomBytes(11 * (1 << 20) + 5),
      'small.bin': randomBytes(100_000),
    };
    for (const [n, b] of Object.entries(files)) writeFileSync(join(src, n), b);
    const env = s3Env({ FERRY_S3_MULTIPART_THRESHOLD: '5MiB', FERRY_S3_PART_SIZE: '5MiB' });
    const url = await serve(t, src, env);
    for (const algo of ChecksumAlgos) {
      const r = await ferry(
        [
          'job',
          'start',
          'download',
          `${url}{one,multi,small}.bin`,
          `s3://sums/${algo}/`,
          '--wait',
          '-q',
          '--checksum',
          algo,
        ],
        env,
      );
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.deepEqual(counts(r), { copied: 3, skipped: 0, failed: 0, total: 3 }, algo);
      for (const [n, data] of Object.entries(files)) {
        const key = `${algo}/${n}`;
        assert.ok(data.equals(await getBytes('sums', key)), `${key} bytes`);
        const h = await s3.send(new HeadObjectCommand({ Bucket: 'sums', Key: key, ChecksumMode: 'ENABLED' }));
        assert.equal(h.ETag?.includes('-'), n === 'multi.bin', `${key} went multipart iff large`);
        const hex = async (a: (typeof ChecksumAlgos)[number]) => {
          const x = await createHasher(a);
          x.update(data);
          return x.digest();
        };
        const b64hex = (v: string | undefined) => Buffer.from(v ?? '', 'base64').toString('hex');
        const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'sums', Key: key }));
        const tag = (k: string) => tags.TagSet?.find((x) => x.Key === k)?.Value;
        if (algo === 'crc32c' || algo === 'crc64nvme') {
          // Server-verified whole-object CRC, on multipart too (FULL_OBJECT).
          assert.equal(h.ChecksumType, 'FULL_OBJECT', key);
          const v = algo === 'crc32c' ? h.ChecksumCRC32C : h.ChecksumCRC64NVME;
          assert.equal(b64hex(v), await hex(algo), key);
        } else if (algo === 'sha256') {
          if (n !== 'multi.bin') assert.equal(b64hex(h.ChecksumSHA256), await hex('sha256'), key);
          else assert.equal(tag('ferry-sha256'), await hex('sha256'), `${key}: tagged`);
        } else if (algo === 'md5') {
          assert.equal(tag('ferry-checksum'), `md5:${await hex('md5')}`, `${key}: tagged`);
        } else assert.equal(tag('ferry-checksum'), undefined, key);
        // ferry's own view reads it back as `<algo>:<hex>` (what a retried batch checks).
        const { S3Bucket } = await import('../../lib/buckets/s3.js');
        process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
        process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
        const info = await new S3Bucket('sums', `${algo}/`, {
          endpoint: minio.endpoint,
          region: minio.region,
          forcePathStyle: true,
          multipartThreshold: 5 << 20,
          partSize: 5 << 20,
          queueSize: 4,
        }).head(n);
        // With none, S3 still checked the transport with CRC32C (the cheapest): a single PUT keeps it as the
        // object's checksum, a multipart upload only per part (COMPOSITE).
        const kept =
          algo !== 'none'
            ? `${algo}:${await hex(algo)}`
            : n !== 'multi.bin'
              ? `crc32c:${await hex('crc32c')}`
              : undefined;
        assert.equal(info?.meta?.checksum, kept, key);
      }
    }
  });

  test('a small object sent whole: S3 verifies the checksum header it gets and refuses one that does not match', async () => {
    const { S3Bucket } = await import('../../lib/buckets/s3.js');
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
    const bucket = new S3Bucket('whole', '', {
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      multipartThreshold: 64 << 20,
      partSize: 8 << 20,
      queueSize: 4,
    });
    await bucket.ensure();
    const data = randomBytes(70_000);
    const other = randomBytes(70_000);
    const digest = async (algo: (typeof ChecksumAlgos)[number], b: Buffer) => {
      const h = await createHasher(algo);
      h.update(b);
      return h.digest();
    };
    for (const algo of ['crc32c', 'crc64nvme', 'sha256', 'md5'] as const) {
      const meta = (hex: string) => ({
        sourceUrl: 'http://origin/x',
        jobId: 'job-whole',
        checksum: `${algo}:${hex}`,
        ...(algo === 'sha256' ? { sha256: hex } : {}),
      });
      // Two chunks, as the origin's reads deliver them.
      const chunks = [data.subarray(0, 1000), data.subarray(1000)];
      await bucket.putBytes(`${algo}/good`, chunks, {
        meta: meta(await digest(algo, data)),
        bytes: data.length,
      });
      assert.ok(data.equals(await getBytes('whole', `${algo}/good`)), `${algo}: bytes`);
      // An endpoint given explicitly that is not AIStore: sent without the SDK's pipeline (s3-direct.ts).
      assert.ok(Reflect.get(bucket, 'directPut'), 'the SDK-free PUT was used');
      assert.equal(
        (await bucket.head(`${algo}/good`))?.meta?.checksum,
        `${algo}:${await digest(algo, data)}`,
      );
      // The header says another object's digest: the server refuses the PUT, and nothing is stored.
      const err = await bucket
        .putBytes(`${algo}/bad`, [data], { meta: meta(await digest(algo, other)), bytes: data.length })
        .then(
          () => assert.fail(`${algo}: a wrong checksum was accepted`),
          (e: unknown) => e,
        );
      assert.equal(
        classifyError(err).retryable,
        true,
        `${algo}: corrupted in transit is retried: ${String(err)}`,
      );
      assert.equal(await bucket.head(`${algo}/bad`), null, `${algo}: nothing stored`);
    }
    bucket.client.destroy();
  });

  test('seed scenario: sizes and sha256 match, by ferry and by the AWS SDK; skip-existing re-run copies 0', async (t) => {
    const src = tempDir('s3-seed-src');
    t.after(() => rmrf(src));
    const seed = makeSeed(src);
    // Small multipart settings so that the large shards (5-8 MiB) take the multipart path in this scenario.
    const env = s3Env({ FERRY_S3_MULTIPART_THRESHOLD: '5MiB', FERRY_S3_PART_SIZE: '5MiB' });
    const url = await serve(t, src, env);
    const bucket = 's3://seed/data/';

    const { hello, shards } = await downloadSeed(url, bucket, env);
    assert.equal(hello.code, 0, hello.stderr + hello.stdout);
    assert.equal(shards.code, 0, shards.stderr + shards.stdout);
    assert.deepEqual(counts(shards), { copied: 100, skipped: 0, failed: 0, total: 100 });

    // ferry's view.
    const listed = await lsJson(bucket, env);
    assert.deepEqual([...listed.keys()].sort(), [...SEED_NAMES].sort());
    for (const [n, size] of listed) assert.equal(size, seed.get(n)!.size, `ferry ls size of ${n}`);
    for (const n of ['hello-world', 'shard-002.tar', 'shard-010.tar']) {
      const out = join(src, '..', `got-${n}`);
      t.after(() => rmrf(out));
      const got = await ferry(['object', 'get', `s3://seed/data/${n}`, out], env);
      assert.equal(got.code, 0, got.stderr);
      assert.equal(sha256FileOf(out), seed.get(n)!.sha256, `ferry object get ${n}`);
    }

    // An independent view: the AWS SDK against MinIO.
    const sdk = await listAll('seed', 'data/');
    assert.deepEqual([...sdk.keys()].sort(), [...SEED_NAMES].sort());
    let multipart = 0;
    for (const n of SEED_NAMES) {
      assert.equal(sdk.get(n), seed.get(n)!.size, `S3 listing size of ${n}`);
      assert.equal(sha256Of(await getBytes('seed', `data/${n}`)), seed.get(n)!.sha256, `S3 bytes of ${n}`);
      const h = await s3.send(
        new HeadObjectCommand({ Bucket: 'seed', Key: `data/${n}`, ChecksumMode: 'ENABLED' }),
      );
      assert.equal(h.Metadata?.['ferry-source-url'], `${url}${n}`);
      assert.match(h.Metadata?.['ferry-job-id'] ?? '', /^dnl-/);
      assert.ok(h.Metadata?.['ferry-source-etag'], `${n} records the origin's ETag`);
      // The default --checksum crc32c: single PUTs and multipart uploads alike carry the whole object's CRC32C,
      // which S3 validated (FULL_OBJECT: combined from the parts' on multipart) and keeps.
      assert.equal(h.ChecksumType, 'FULL_OBJECT', n);
      const want = await createHasher('crc32c');
      want.update(readFileSync(join(src, n)));
      assert.equal(Buffer.from(h.ChecksumCRC32C!, 'base64').toString('hex'), want.digest(), n);
      if (h.ETag?.includes('-')) multipart++;
    }
    assert.equal(multipart, 10, 'the ten large shards went multipart');
    const none = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'seed' }));
    assert.equal(none.Uploads?.length ?? 0, 0, 'no incomplete multipart uploads');

    // Re-run: nothing to copy.
    const started = Date.now();
    const again = await ferry(
      ['job', 'start', 'download', `${url}shard-{001..100}.tar`, bucket, '--wait', '-q', '--skip-existing'],
      env,
    );
    const secs = (Date.now() - started) / 1000;
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(counts(again), { copied: 0, skipped: 100, failed: 0, total: 100 });
    t.diagnostic(
      `--skip-existing re-run of 100 objects into MinIO: ${secs.toFixed(1)} s CLI wall, ` +
        `job ${/in ([\d.]+m?s)/.exec(again.stdout)?.[1]}`,
    );

    // The re-run's report, merged from its parts in MinIO and written to a bucket object: 100 skipped rows.
    const againId = again.stdout.split('\n')[0]!.trim();
    const rep = await ferry(['show', 'job', againId, '--report', 's3://seed/reports/again.jsonl'], env);
    assert.equal(rep.code, 0, rep.stderr);
    const rows = (await getBytes('seed', 'reports/again.jsonl'))
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; outcome: string; size: number; checksum?: string });
    assert.deepEqual(
      rows.map((r) => r.name),
      Array.from({ length: 100 }, (_, i) => `shard-${String(i + 1).padStart(3, '0')}.tar`),
    );
    for (const r of rows) {
      assert.equal(r.outcome, 'skipped');
      assert.equal(r.size, seed.get(r.name)!.size);
      // The checksum each object was written with (the default crc32c), as its metadata recorded it.
      if (r.checksum) assert.equal(r.checksum, crc32cFile(join(src, r.name)));
    }
  });

  test('--sync deletes what is not in the source, lists it with --dry-run, and never after failures', async (t) => {
    const src = tempDir('s3-sync-src');
    t.after(() => rmrf(src));
    for (let i = 1; i <= 5; i++) writeFileSync(join(src, `f-${i}`), `file ${i}\n`);
    const env = s3Env();
    const url = await serve(t, src, env);
    const bucket = 's3://sync/p/';
    const first = await ferry(['job', 'start', 'download', `${url}f-{1..5}`, bucket, '--wait', '-q'], env);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    // Objects that are not (or no longer) in the source: under the prefix, and one outside it.
    for (const key of ['p/stale-1', 'p/sub/stale-2', 'outside/keep']) {
      await s3.send(new PutObjectCommand({ Bucket: 'sync', Key: key, Body: 'old' }));
    }

    const dry = await ferry(
      ['job', 'start', 'download', `${url}f-{1..5}`, bucket, '--sync', '--dry-run'],
      env,
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /--sync would delete 2 object\(s\)/);
    assert.match(dry.stdout, /^stale-1\s/m);
    assert.match(dry.stdout, /^sub\/stale-2\s/m);
    assert.equal((await listAll('sync')).size, 8, 'a dry run deletes nothing');

    // A job with a failure (f-6 does not exist) must not delete anything.
    const failed = await ferry(
      ['job', 'start', 'download', `${url}f-{1..6}`, bucket, '--wait', '-q', '--sync', '--skip-existing'],
      env,
    );
    assert.equal(failed.code, 3, failed.stderr + failed.stdout);
    assert.doesNotMatch(failed.stdout, /sync: deleted/);
    assert.equal((await listAll('sync')).size, 8, 'nothing deleted after a failure');

    const synced = await ferry(
      ['job', 'start', 'download', `${url}f-{1..5}`, bucket, '--wait', '-q', '--sync', '--skip-existing'],
      env,
    );
    assert.equal(synced.code, 0, synced.stderr + synced.stdout);
    assert.match(synced.stdout, /sync: deleted 2 destination object\(s\)/);
    assert.deepEqual([...(await listAll('sync')).keys()].sort(), [
      'outside/keep',
      'p/f-1',
      'p/f-2',
      'p/f-3',
      'p/f-4',
      'p/f-5',
    ]);
  });

  test('kill -9 of the worker mid-multipart: no partial object, no incomplete upload after the job', async (t) => {
    const src = tempDir('s3-kill-src');
    t.after(() => rmrf(src));
    const big = Buffer.alloc(200 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i); // not all zeros, cheap to make
    writeFileSync(join(src, 'big.bin'), big);
    const want = sha256Of(big);
    const env = s3Env({ FERRY_S3_MULTIPART_THRESHOLD: '5MiB', FERRY_S3_PART_SIZE: '5MiB' });
    const url = await serve(t, src, env);

    const worker = (): ReturnType<typeof spawn> =>
      spawn(process.execPath, [CLI, 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const w1 = worker();
    t.after(() => w1.kill('SIGKILL'));
    // ~20 s at 10 MiB/s (--limit-bph 36GiB, one batch): time to kill the worker between parts.
    const start = await ferry(
      ['job', 'start', 'download', `${url}big.bin`, 's3://kill', '--limit-bph', '36GiB', '--window', '1'],
      env,
    );
    assert.equal(start.code, 0, start.stderr + start.stdout);
    const jobId = start.stdout.split('\n')[0]!.trim();

    // Gate on state, not time: an upload exists and a few parts are in (the bound is for a loaded machine).
    let upload: { UploadId?: string | undefined } | undefined;
    let parts = 0;
    const deadline = Date.now() + 180_000;
    while (parts < 3 && Date.now() < deadline) {
      await sleep(100);
      const u = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'kill' })).catch(() => undefined);
      upload = u?.Uploads?.[0];
      if (upload?.UploadId)
        parts =
          (
            await s3
              .send(new ListPartsCommand({ Bucket: 'kill', Key: 'big.bin', UploadId: upload.UploadId }))
              .catch(() => undefined)
          )?.Parts?.length ?? 0;
    }
    assert.ok(upload, 'a multipart upload is in progress');
    assert.ok(parts >= 3, `a few parts are in (${parts})`);
    w1.kill('SIGKILL');
    await once(w1, 'exit');
    await assert.rejects(
      s3.send(new HeadObjectCommand({ Bucket: 'kill', Key: 'big.bin' })),
      { name: 'NotFound' },
      'no partial object after the kill',
    );
    const orphan = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'kill' }));
    assert.equal(orphan.Uploads?.length, 1, 'the killed worker left its upload behind');

    // Another worker picks the batch up after its heartbeat times out and copies the object again.
    const w2 = worker();
    t.after(() => w2.kill('SIGKILL'));
    const done = await ferry(['show', 'job', jobId, '--progress'], env, 300_000);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /completed: 1 copied/);
    assert.equal(sha256Of(await getBytes('kill', 'big.bin')), want);
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'kill' }));
    assert.equal(left.Uploads?.length ?? 0, 0, 'finalizeJob aborted the orphaned upload');
  });

  test('bad destination input fails before anything starts: exit 2, clear message, nothing written', async (t) => {
    const closed = await freePort();
    const emptyHome = tempDir('s3-nohome');
    t.after(() => rmrf(emptyHome));
    const noCreds = cliEnv({
      HOME: emptyHome,
      AWS_ENDPOINT_URL: minio.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    for (const k of Object.keys(noCreds))
      if (/^AWS_(ACCESS|SECRET|SESSION|PROFILE)/.test(k)) delete noCreds[k];
    const U = 'http://127.0.0.1:9/d/x-{1..3}';
    const cases: [string, Record<string, string>, string, RegExp][] = [
      ['no credentials', noCreds, 's3://never-a', /no AWS credentials found/],
      [
        'unreachable endpoint',
        s3Env({ AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}` }),
        's3://never-b',
        /cannot reach the S3 endpoint/,
      ],
      [
        'wrong secret',
        s3Env({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' }),
        's3://never-c',
        /refused the credentials/,
      ],
      ['bad knob', s3Env({ FERRY_S3_PART_SIZE: '1KiB' }), 's3://never-d', /FERRY_S3_PART_SIZE=1KiB/],
    ];
    for (const [what, env, bucket, re] of cases) {
      const started = Date.now();
      const r = await ferry(['job', 'start', 'download', U, bucket, '--wait'], env);
      assert.equal(r.code, 2, `${what}: exit 2\n${r.stderr}`);
      assert.match(r.stderr, re, what);
      assert.doesNotMatch(r.stdout, /^dnl-/m, `${what}: no job started`);
      t.diagnostic(`${what}: ${Date.now() - started} ms`);
    }
    for (const b of ['never-a', 'never-b', 'never-c', 'never-d'])
      await assert.rejects(
        s3.send(new HeadBucketCommand({ Bucket: b })),
        { name: 'NotFound' },
        `${b} not created`,
      );
  });

  test('with the check skipped, the workflow fails fast and typed on a permanent destination error', async (t) => {
    const src = tempDir('s3-perm-src');
    t.after(() => rmrf(src));
    writeFileSync(join(src, 'a'), 'a');
    const env = s3Env({ AWS_SECRET_ACCESS_KEY: 'not-the-secret', FERRY_SKIP_PREFLIGHT: '1' });
    const url = await serve(t, src, env);
    const started = Date.now();
    const r = await ferry(['job', 'start', 'download', `${url}a`, 's3://perm', '--wait', '-q'], env);
    const secs = (Date.now() - started) / 1000;
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stderr, /failed \(DestinationForbidden\)/);
    // Retried with backoff it would take minutes; the bound is far from that and allows for a loaded machine.
    assert.ok(secs < 120, `not retried with backoff (${secs} s)`);
    assert.equal(readFileSync(join(src, 'a'), 'utf8'), 'a');
  });
});

async function once(p: ReturnType<typeof spawn>, ev: 'exit'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((r) => p.once(ev, () => r()));
}
