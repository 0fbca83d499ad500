// lib/job-files.ts on a local bucket and on a real MinIO: atomic put (buffer and stream), ranged reads, sizes,
// listing in order (and from a key on), hidden from the bucket's own list(), removal; a missing file reads as null.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startMinio, type MinioServer } from '../../devserver/minio.js';
import type { Bucket } from '../../lib/buckets/index.js';
import { LocalBucket } from '../../lib/buckets/local.js';
import { S3Bucket, s3SettingsFromEnv } from '../../lib/buckets/s3.js';
import { jobFiles } from '../../lib/job-files.js';
import { rmrf, tempDir } from '../helpers/exec.js';

let minio: MinioServer;
let work: string;

before(async () => {
  minio = await startMinio();
  work = tempDir('job-files');
});
after(async () => {
  await minio?.stop();
  rmrf(work);
});

async function readAll(r: Readable | null): Promise<string | null> {
  return r ? text(r) : null;
}

async function exercise(bucket: Bucket): Promise<void> {
  await bucket.ensure();
  await bucket.put('data/a.txt', Readable.from([Buffer.from('object')]), {
    size: 6,
    meta: { sourceUrl: 'http://x/a.txt', jobId: 'j' },
    beforeCommit: () => ({ sha256: createHash('sha256').update('object').digest('hex'), bytes: 6 }),
  });
  const files = jobFiles(bucket, 'job-1');
  const lines =
    Array.from({ length: 1000 }, (_, i) => `name-${String(i).padStart(4, '0')}`).join('\n') + '\n';
  await files.put('manifest', Readable.from([Buffer.from(lines)]));
  await files.put('report/00000002.jsonl', Buffer.from('{"b":2}\n'));
  await files.put('report/00000001.jsonl', Buffer.from('{"a":1}\n'));
  assert.equal(await files.size('manifest'), lines.length);
  assert.equal(await readAll(await files.read('manifest')), lines);
  // name-0010\n starts at byte 100 (10 bytes a line); [100, 120) is two whole lines.
  assert.equal(
    await readAll(await files.read('manifest', { start: 100, end: 120 })),
    'name-0010\nname-0011\n',
  );
  assert.equal(await readAll(await files.read('manifest', { start: lines.length - 10 })), 'name-0999\n');
  assert.equal(await readAll(await files.read('manifest', { start: 5, end: 5 })), '');
  assert.equal(await files.read('nope'), null);
  assert.equal(await files.size('nope'), null);
  const listed = [];
  for await (const f of files.list('report/')) listed.push(f);
  assert.deepEqual(listed, [
    { rel: 'report/00000001.jsonl', size: 8 },
    { rel: 'report/00000002.jsonl', size: 8 },
  ]);
  // Replacing is atomic and whole.
  await files.put('report/00000001.jsonl', Buffer.from('{"a":11}\n'));
  assert.equal(await readAll(await files.read('report/00000001.jsonl')), '{"a":11}\n');
  // The bucket's own listing shows only the object.
  const page = await bucket.list({});
  assert.deepEqual(
    page.items.map((i) => i.name),
    ['data/a.txt'],
  );
  // A listing that resumes after a key (S3 StartAfter; a local walk that skips whole folders), and remove().
  await files.put('report/b/2.jsonl', Buffer.from('x'));
  await files.put('report/b/1.jsonl', Buffer.from('x'));
  await files.put('report/a/1.jsonl', Buffer.from('x'));
  const after = async (startAfter: string) => {
    const out = [];
    for await (const f of files.list('report/', startAfter)) out.push(f.rel);
    return out;
  };
  assert.deepEqual(await after('report/00000002.jsonl'), [
    'report/a/1.jsonl',
    'report/b/1.jsonl',
    'report/b/2.jsonl',
  ]);
  assert.deepEqual(await after('report/a/'), ['report/a/1.jsonl', 'report/b/1.jsonl', 'report/b/2.jsonl']);
  assert.deepEqual(await after('report/a/1.jsonl'), ['report/b/1.jsonl', 'report/b/2.jsonl']);
  assert.deepEqual(await after('report/b/1.jsonl'), ['report/b/2.jsonl']);
  assert.deepEqual(await after('report/c'), []);
  await files.remove('report/b/1.jsonl');
  await files.remove('report/b/1.jsonl'); // already gone: no error
  assert.deepEqual(await after('report/a/1.jsonl'), ['report/b/2.jsonl']);
  // Another job's files are apart; a path that climbs is refused.
  const other = [];
  for await (const f of jobFiles(bucket, 'job-2').list()) other.push(f);
  assert.deepEqual(other, []);
  await assert.rejects(files.put('../escape', Buffer.from('x')), /not a plain relative path/);
  await files.removeAll();
  const left = [];
  for await (const f of files.list()) left.push(f);
  assert.deepEqual(left, []);
  assert.equal(await files.size('manifest'), null);
}

describe('job files', () => {
  test('local bucket', async () => {
    await exercise(new LocalBucket(`${work}/local`));
  });
  test('S3 (MinIO), under a bucket prefix', async () => {
    const s3 = new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'jobfiles' }));
    s3.destroy();
    // Credentials reach the driver the way they reach a worker: the SDK's default chain (environment).
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
    const bucket = new S3Bucket(
      'jobfiles',
      'pre/',
      s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: minio.endpoint, AWS_REGION: minio.region }),
    );
    await exercise(bucket);
  });
});
