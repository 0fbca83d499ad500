import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { LocalBucket } from '../../lib/buckets/local.js';
import { commitThread } from '../../lib/buckets/commit-thread.js';
import { classifyError } from '../../lib/classify-error.js';

// Small objects of the local bucket are committed on a worker thread (lib/buckets/commit-thread.ts). The
// other local-bucket tests go through it too (every small put does); these cover what only the thread has:
// errors that cross the thread boundary, and the thread's death.

const meta = { sourceUrl: 'http://origin/x', jobId: 'job-1', checksum: 'crc32c:00000000' };

async function bucketIn(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<{ root: string; bucket: LocalBucket }> {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-commit-thread-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'bucket');
  const bucket = new LocalBucket(root);
  await bucket.ensure();
  return { root, bucket };
}

const tmpFiles = async (root: string): Promise<string[]> =>
  (await readdir(path.join(root, '.ferry', 'tmp'), { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name);

describe('commit thread', () => {
  it('commits many small objects concurrently, each whole with its metadata', async (t) => {
    const { root, bucket } = await bucketIn(t);
    const bodies = Array.from({ length: 200 }, (_, i) => Buffer.alloc(100 + i, i % 251));
    const infos = await Promise.all(
      bodies.map((b, i) =>
        bucket.putBytes(`d${i % 7}/o${i}`, [b.subarray(0, 50), b.subarray(50)], { meta, bytes: b.length }),
      ),
    );
    for (const [i, b] of bodies.entries()) {
      assert.ok(b.equals(await readFile(path.join(root, `d${i % 7}`, `o${i}`))), `o${i} bytes`);
      assert.equal(infos[i]!.size, b.length);
      const head = await bucket.head(`d${i % 7}/o${i}`);
      assert.equal(head?.meta?.checksum, meta.checksum, `o${i} metadata vouches for the file`);
    }
    assert.deepEqual(await tmpFiles(root), []);
  });

  it('an error on the thread keeps its code, leaves no temp file and is classified as on the event loop', async (t) => {
    const { root, bucket } = await bucketIn(t);
    // A non-empty directory where the object should go: the rename, the last step on the thread, fails.
    await mkdir(path.join(root, 'taken'));
    await writeFile(path.join(root, 'taken', 'inside'), 'x');
    const err = await bucket.putBytes('taken', [Buffer.from('data')], { meta, bytes: 4 }).then(
      () => assert.fail('the commit should fail'),
      (e: NodeJS.ErrnoException) => e,
    );
    assert.ok(err instanceof Error);
    assert.match(String(err.code), /^(EISDIR|ENOTEMPTY|EEXIST)$/);
    assert.equal(err.syscall, 'rename');
    assert.equal(classifyError(err).retryable, true);
    assert.deepEqual(await tmpFiles(root), [], 'the temp file is removed');
    assert.equal(await readFile(path.join(root, 'taken', 'inside'), 'utf8'), 'x');
  });

  it('when the thread dies, pending commits fail retryably and later ones are committed on the event loop', async (t) => {
    const { root, bucket } = await bucketIn(t);
    const thread = commitThread();
    assert.ok(thread, 'the thread starts');
    // Commits in flight when the thread stops: each either made it or fails with a retryable error.
    const inFlight = Array.from({ length: 50 }, (_, i) =>
      bucket.putBytes(`p${i}`, [Buffer.from(`pending ${i}`)], { meta, bytes: `pending ${i}`.length }).then(
        () => 'ok',
        (e: Error) => {
          assert.match(e.message, /commit thread/);
          assert.equal(classifyError(e).retryable, true);
          return 'failed';
        },
      ),
    );
    await thread.terminate();
    const outcomes = await Promise.all(inFlight);
    assert.ok(outcomes.every((o) => o === 'ok' || o === 'failed'));
    assert.equal(commitThread(), undefined, 'a dead thread is not used again');
    await bucket.putBytes('after', [Buffer.from('after the thread')], { meta, bytes: 16 });
    assert.equal(await readFile(path.join(root, 'after'), 'utf8'), 'after the thread');
    assert.equal((await bucket.head('after'))?.meta?.checksum, meta.checksum);
  });
});
