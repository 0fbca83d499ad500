// Checkpointed ranges (lib/range-resume.ts): a worker killed (kill -9) while a large object is fetched in ranges,
// with one range stored whole and the others held mid-body at the origin, is restarted; the retried batch must
// resume the object: it comes out byte-identical, and the bytes of the finished range are never fetched again.
// Gated on state: the kill comes only once the server holds a heartbeat saying that range is stored.
// Into a local bucket (the temp file survives the crash) and into S3 on MinIO (the multipart upload does).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { MigrationReport } from '../../common/schemas.js';
import { startMinio, type MinioServer } from '../../devserver/minio.js';
import { createHasher } from '../../lib/checksum.js';
import { rangePlan } from '../../lib/ranged-get.js';
import { readRangedProgress, type RangeProgress } from '../../lib/range-resume.js';
import { FerryHarness, listFiles } from '../helpers/cli.js';
import { startRangedOrigin, type RangedOrigin } from '../helpers/ranged-origin.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MiB = 1024 * 1024;
const SIZE = 40 * MiB + 4321;
const STREAMS = 4;

let minio: MinioServer;
let s3: S3Client;
before(async () => {
  minio = await startMinio();
  s3 = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
});
after(async () => {
  s3?.destroy();
  await minio?.stop();
});

describe('a large object fetched in ranges resumes after kill -9 of its worker', () => {
  test('into a local bucket: the temp file is taken up again', async (t) => {
    const h = new FerryHarness(t, 'range-resume-local');
    const bucket = join(h.dir, 'bucket');
    // Held after 9 MiB: the held ranges have one 8 MiB piece stored (lib/range-resume.ts PIECE).
    const { data, o, jobId, stored } = await crashMidObject(t, h, bucket, {}, 1, 8 * MiB, 9 * MiB);
    assert.ok(data.equals(readFileSync(join(bucket, 'big.bin'))), 'object not byte-identical');
    assert.deepEqual(await listFiles(join(bucket, '.ferry', 'tmp')), []);
    await checkNotRefetched(o, stored, jobId, h);
  });

  test('into S3 (MinIO): the multipart upload is taken up again, FULL_OBJECT crc32c verified', async (t) => {
    const h = new FerryHarness(t, 'range-resume-s3');
    const env = {
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
      AWS_ENDPOINT_URL: minio.endpoint,
      AWS_REGION: 'us-east-1',
      FERRY_S3_PART_SIZE: '5MiB',
    };
    // Held after 6 MiB: the held ranges have one 5 MiB part uploaded.
    const { data, o, jobId, stored } = await crashMidObject(
      t,
      h,
      's3://resume/',
      env,
      1,
      5 * MiB,
      6 * MiB,
      5 * MiB,
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'resume', Key: 'big.bin' }));
    assert.ok(data.equals(Buffer.from(await got.Body!.transformToByteArray())), 'object not byte-identical');
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'resume', Key: 'big.bin', ChecksumMode: 'ENABLED' }),
    );
    const want = await createHasher('crc32c');
    want.update(data);
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    assert.equal(Buffer.from(head.ChecksumCRC32C!, 'base64').toString('hex'), want.digest());
    const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'resume' }));
    assert.deepEqual(open.Uploads ?? [], [], 'an upload was left open');
    await checkNotRefetched(o, stored, jobId, h);
  });
});

// --- internal ---

/**
 * Starts a download of one object at --streams 4 whose range `whole` the origin serves whole while it holds the
 * others after `holdAfter` bytes; waits until a heartbeat records what the writer must have stored by then (range
 * `whole`, and whole pieces of `piece` bytes of the others), kills the worker, lets the origin go
 * and restarts the worker; returns once the job completed with the object copied once.
 */
async function crashMidObject(
  t: TestContext,
  h: FerryHarness,
  dest: string,
  extraEnv: Record<string, string>,
  whole: number,
  piece: number,
  holdAfter: number,
  align = 1,
): Promise<{ data: Buffer; o: RangedOrigin; jobId: string; stored: RangeProgress[] }> {
  const data = randomBytes(SIZE);
  const o = await startRangedOrigin('big.bin', data, { holdAfter });
  t.after(() => o.close());
  const env = { ...extraEnv, FERRY_RANGE_THRESHOLD: '1MiB' };
  let worker = await h.worker({ env });
  // Range `whole` (of the plan for the writer's alignment) is served whole; every other
  // response, the plain GET serving range 0 included, stops after `holdAfter` bytes until the origin is released.
  const plan = rangePlan(SIZE, STREAMS, align);
  const wholeStart = plan[whole]!.start;
  const expected = plan.reduce((n, r, i) => {
    const len = r.end - r.start + 1;
    return n + (i === whole || holdAfter >= len ? len : Math.floor(holdAfter / piece) * piece);
  }, 0);
  o.hold = (r) => r.range?.[0] !== wholeStart;

  const started = await h.run(
    ['job', 'start', 'download', `${o.url}big.bin`, dest, '--streams', String(STREAMS)],
    { env },
  );
  assert.equal(started.code, 0, started.stderr + started.stdout);
  const jobId = started.stdout.split('\n')[0]!.trim();
  const client = await h.temporal();

  const stored = await waitForStored(client, jobId, expected, 120_000);
  await worker.kill();
  o.phase = 2;
  o.release();
  worker = await h.worker({ env });
  const report = (await client.workflow.getHandle(jobId).result()) as MigrationReport;
  void worker;
  assert.equal(report.state, 'completed', JSON.stringify(report.failures));
  assert.deepEqual(
    [report.totals.copied, report.totals.failed, report.totals.bytes],
    [1, 0, SIZE],
    JSON.stringify(report.totals),
  );
  console.log(
    `# range-resume ${dest}: killed with ${stored.map((r) => `${r.done}/${r.end - r.start + 1}`).join(', ')} bytes stored per range`,
  );
  return { data, o, jobId, stored };
}

/** Polls the job's pending copy batch until its heartbeat records `bytes` stored; returns the ranges. */
async function waitForStored(client: Client, jobId: string, bytes: number, timeoutMs: number) {
  const converter = client.options.loadedDataConverter.payloadConverter;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.workflow.getHandle(jobId).describe();
    for (const pa of d.raw.pendingActivities ?? []) {
      const payload = pa.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const ranged = [...readRangedProgress(converter.fromPayload(payload)).values()];
      const ranges = ranged[0]?.ranges ?? [];
      if (ranges.reduce((n, r) => n + r.done, 0) >= bytes) return ranges;
    }
    if (Date.now() > deadline)
      throw new Error(`no heartbeat of ${jobId} recorded ${bytes} bytes stored in ${timeoutMs} ms`);
    await sleep(200); // a poll interval, not a wait for something to happen
  }
}

/**
 * After the restart (phase 2) nothing was fetched again of what the last heartbeat before the kill recorded as
 * stored: no plain GET, no range request overlapping a stored prefix, and at most the rest of the object's bytes.
 */
async function checkNotRefetched(
  o: RangedOrigin,
  stored: RangeProgress[],
  jobId: string,
  h: FerryHarness,
): Promise<void> {
  const afterKill = o.requests.filter((r) => r.phase === 2);
  const gets = afterKill.filter((r) => r.method === 'GET');
  assert.ok(
    gets.every((r) => r.range !== undefined),
    `a plain GET after the restart: ${JSON.stringify(gets)}`,
  );
  for (const r of gets)
    for (const s of stored)
      assert.ok(
        r.range![1] < s.start || r.range![0] >= s.start + s.done,
        `refetched ${JSON.stringify(r.range)} of stored ${JSON.stringify(s)}`,
      );
  const refetched = gets.reduce((n, r) => n + r.bytes, 0);
  const keptBytes = stored.reduce((n, r) => n + r.done, 0);
  assert.ok(keptBytes > 0);
  assert.ok(
    refetched <= SIZE - keptBytes,
    `${refetched} bytes fetched after the restart, more than ${SIZE - keptBytes}`,
  );
  const before = o.requests.filter((r) => r.phase === 1).reduce((n, r) => n + r.bytes, 0);
  console.log(
    `# range-resume: ${before} bytes served before the kill, ${refetched} after (object ${SIZE}, ${keptBytes} stored ` +
      `and not fetched again; ranges resumed from ${stored.map((r) => r.start + r.done).join(', ')})`,
  );
  // What history holds: the checkpointed writer token must not be there (heartbeat details live on the pending
  // activity, not in events).
  const history = JSON.stringify(await (await h.temporal()).workflow.getHandle(jobId).fetchHistory());
  assert.ok(!history.includes('"ranged"'), `the ranged checkpoint reached the history of ${jobId}`);
}
