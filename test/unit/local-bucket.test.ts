import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { LocalBucket } from '../../lib/buckets/local.js';
import { getMetaXattr, setMetaXattr } from '../../lib/buckets/local-meta.js';
import type { ObjectMeta, PutOptions } from '../../lib/buckets/types.js';
import { FerryError } from '../../lib/classify-error.js';
import { ErrorType } from '../../common/errors.js';

// --- fixtures ---

interface Fixture {
  /** Parent of the bucket root: holds files that must survive anything the bucket does. */
  base: string;
  root: string;
  bucket: LocalBucket;
}

async function fixture(t: TestContext, opts: { ensure?: boolean } = {}): Promise<Fixture> {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-local-bucket-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'bucket');
  const bucket = new LocalBucket(root);
  if (opts.ensure ?? true) await bucket.ensure();
  return { base, root, bucket };
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** PutOptions as copyBatch builds them: hash and count what actually streamed by. */
function putOpts(data: Buffer, meta: Partial<Omit<ObjectMeta, 'sha256'>> = {}): PutOptions {
  return {
    size: data.length,
    meta: { sourceUrl: 'http://origin/x', jobId: 'job-1', ...meta },
    beforeCommit: () => ({ sha256: sha256(data), checksum: `sha256:${sha256(data)}`, bytes: data.length }),
  };
}

/**
 * The same with the length unknown (no Content-Length): such a body is streamed to its temp file. A known
 * length up to 256 KiB is buffered and committed at once instead (local.ts, SMALL_OBJECT_MAX), so tests of
 * what happens *while* bytes stream use this.
 */
function streamedOpts(data: Buffer, meta: Partial<Omit<ObjectMeta, 'sha256'>> = {}): PutOptions {
  return { ...putOpts(data, meta), size: undefined };
}

async function putBytes(
  b: LocalBucket,
  name: string,
  data: Buffer | string,
  meta: Partial<Omit<ObjectMeta, 'sha256'>> = {},
): Promise<void> {
  const buf = Buffer.from(data);
  await b.put(name, Readable.from([buf]), putOpts(buf, meta));
}

/** Every regular file under `dir`, relative, '/'-separated. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function isMissing(p: string): Promise<boolean> {
  return stat(p).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
  );
}

/** All names of a listing, following `next` until the end; asserts page-size and token invariants. */
async function listAll(b: LocalBucket, opts: { prefix?: string; limit?: number }): Promise<string[][]> {
  const pages: string[][] = [];
  let token: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await b.list({ ...opts, ...(token !== undefined ? { token } : {}) });
    const names = page.items.map((i) => i.name);
    if (opts.limit !== undefined) assert.ok(names.length <= opts.limit, `page of ${names.length}`);
    pages.push(names);
    if (page.next === undefined) return pages;
    assert.equal(page.next, names.at(-1), 'next is the last name returned');
    token = page.next;
  }
  assert.fail('listing did not terminate');
}

/** Byte-wise order of UTF-8 keys (what S3 lists in); equal to code-unit order for the BMP names used here. */
const byKey = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

// --- tests ---

describe('LocalBucket.ensure', () => {
  it('creates the bucket iff it is missing', async (t) => {
    const { root, bucket } = await fixture(t, { ensure: false });
    assert.equal(await bucket.exists(), false);
    assert.deepEqual(await bucket.ensure(), { created: true });
    assert.equal(await bucket.exists(), true);
    assert.ok((await stat(path.join(root, '.ferry', 'tmp'))).isDirectory());
    await putBytes(bucket, 'keep.bin', 'kept');
    assert.deepEqual(await bucket.ensure(), { created: false });
    assert.equal(await readFile(path.join(root, 'keep.bin'), 'utf8'), 'kept');
  });

  it('adopts an existing directory without touching its files', async (t) => {
    const { root, bucket } = await fixture(t, { ensure: false });
    await mkdir(path.join(root, 'pre'), { recursive: true });
    await writeFile(path.join(root, 'pre', 'existing.txt'), 'old');
    assert.deepEqual(await bucket.ensure(), { created: false });
    assert.equal(await readFile(path.join(root, 'pre', 'existing.txt'), 'utf8'), 'old');
    assert.deepEqual(
      (await bucket.list({})).items.map((i) => i.name),
      ['pre/existing.txt'],
    );
  });

  it('a regular file in the way is not a bucket', async (t) => {
    const { root, bucket } = await fixture(t, { ensure: false });
    await writeFile(root, 'not a dir');
    assert.equal(await bucket.exists(), false);
    await assert.rejects(bucket.ensure(), (err: NodeJS.ErrnoException) =>
      ['ENOTDIR', 'EEXIST'].includes(err.code ?? ''),
    );
  });
});

describe('LocalBucket.put / head / get', () => {
  it('put → head returns the size and the recorded metadata', async (t) => {
    const { root, bucket } = await fixture(t);
    const data = randomBytes(100_000);
    const opts = putOpts(data, {
      sourceUrl: 'http://origin/d/x.bin',
      jobId: 'job-7',
      sourceEtag: '"abc-1"',
      sourceLastModified: 'Tue, 01 Jul 2025 00:00:00 GMT',
    });
    const put = await bucket.put('x.bin', Readable.from([data.subarray(0, 5), data.subarray(5)]), opts);
    assert.equal(put.size, data.length);
    assert.equal(put.meta?.sha256, sha256(data));

    const head = await bucket.head('x.bin');
    assert.ok(head);
    assert.equal(head.name, 'x.bin');
    assert.equal(head.size, data.length);
    assert.deepEqual(head.meta, {
      sourceUrl: 'http://origin/d/x.bin',
      jobId: 'job-7',
      sourceEtag: '"abc-1"',
      sourceLastModified: 'Tue, 01 Jul 2025 00:00:00 GMT',
      sha256: sha256(data),
      checksum: `sha256:${sha256(data)}`,
    });
    assert.ok(data.equals(await readFile(path.join(root, 'x.bin'))));
    // Nothing is left in the job's temp dir after a commit.
    assert.deepEqual(await filesUnder(path.join(root, '.ferry', 'tmp')), []);
  });

  it('head of a missing object, a directory, or a name under a file is null', async (t) => {
    const { bucket } = await fixture(t);
    await putBytes(bucket, 'dir/file', 'x');
    assert.equal(await bucket.head('nope'), null);
    assert.equal(await bucket.head('dir'), null);
    assert.equal(await bucket.head('dir/file/below'), null);
  });

  it('stores nested names as nested files and reads them back', async (t) => {
    const { root, bucket } = await fixture(t);
    const data = randomBytes(4096);
    await bucket.put('a/b/c.bin', Readable.from([data]), putOpts(data));
    assert.ok(data.equals(await readFile(path.join(root, 'a', 'b', 'c.bin'))));
    const head = await bucket.head('a/b/c.bin');
    assert.equal(head?.size, 4096);
    assert.equal(head.meta?.sha256, sha256(data));
    const { body, info } = await bucket.get('a/b/c.bin');
    assert.equal(info.size, 4096);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    assert.ok(data.equals(Buffer.concat(chunks)));
    // A sibling in the same (cached) directory.
    await putBytes(bucket, 'a/b/d.bin', 'sibling');
    assert.equal(await readFile(path.join(root, 'a', 'b', 'd.bin'), 'utf8'), 'sibling');
  });

  it('get of a missing object fails with ENOENT', async (t) => {
    const { bucket } = await fixture(t);
    await assert.rejects(bucket.get('missing'), { code: 'ENOENT' });
  });

  it('overwrites an object and its metadata', async (t) => {
    const { bucket } = await fixture(t);
    await putBytes(bucket, 'o', 'first version', { sourceEtag: '"1"' });
    await putBytes(bucket, 'o', 'v2', { sourceEtag: '"2"', jobId: 'job-2' });
    const head = await bucket.head('o');
    assert.equal(head?.size, 2);
    assert.equal(head.meta?.sha256, sha256('v2'));
    assert.equal(head.meta.sourceEtag, '"2"');
    assert.equal(head.meta.jobId, 'job-2');
  });

  it('a put whose beforeCommit throws leaves no object, no temp file and no sidecar', async (t) => {
    const { root, bucket } = await fixture(t);
    const data = randomBytes(50_000);
    const boom = new FerryError(ErrorType.LengthMismatch, 'received 50000 bytes, Content-Length said 60000');
    await assert.rejects(
      bucket.put('sub/short.bin', Readable.from([data]), {
        ...putOpts(data),
        beforeCommit: () => {
          throw boom;
        },
      }),
      (err: unknown) => err === boom,
    );
    assert.equal(await bucket.head('sub/short.bin'), null);
    assert.ok(await isMissing(path.join(root, 'sub', 'short.bin')));
    assert.deepEqual(await filesUnder(path.join(root, '.ferry')), []);
    assert.deepEqual((await bucket.list({})).items, []);
  });

  for (const [how, opts] of [
    ['streamed', streamedOpts],
    ['buffered', putOpts],
  ] as const) {
    it(`a ${how} put whose body errors mid-way leaves no object and no temp file`, async (t) => {
      const { root, bucket } = await fixture(t);
      const failure = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent < 3) {
            sent++;
            this.push(randomBytes(64 * 1024));
          } else this.destroy(failure);
        },
      });
      await assert.rejects(
        bucket.put('broken.bin', body, opts(Buffer.alloc(256 * 1024))),
        (err: unknown) => err === failure,
      );
      assert.equal(sent, 3, 'some bytes were streamed before the error');
      assert.equal(await bucket.head('broken.bin'), null);
      assert.ok(await isMissing(path.join(root, 'broken.bin')));
      assert.deepEqual(await filesUnder(path.join(root, '.ferry')), []);
    });
  }

  it('a buffered put aborted by its signal writes nothing', async (t) => {
    const { root, bucket } = await fixture(t);
    const body = new PassThrough();
    const ac = new AbortController();
    const put = bucket.put('aborted.bin', body, { ...putOpts(Buffer.alloc(4096)), signal: ac.signal });
    body.write(randomBytes(1024));
    await sleep(20);
    ac.abort();
    await assert.rejects(put, { name: 'AbortError' });
    assert.ok(body.destroyed, 'the body (and so its socket) is released');
    assert.ok(await isMissing(path.join(root, 'aborted.bin')));
    assert.deepEqual(await filesUnder(path.join(root, '.ferry')), []);
  });

  it('a buffered put whose body closes early fails and writes nothing', async (t) => {
    const { root, bucket } = await fixture(t);
    const body = new PassThrough();
    const put = bucket.put('cut.bin', body, putOpts(Buffer.alloc(4096)));
    body.write(randomBytes(1024));
    await sleep(5);
    body.destroy();
    await assert.rejects(put, { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    assert.ok(await isMissing(path.join(root, 'cut.bin')));
    assert.deepEqual(await filesUnder(path.join(root, '.ferry')), []);
  });

  it('buffered and streamed puts record the same object and metadata', async (t) => {
    const { bucket } = await fixture(t);
    const data = randomBytes(100_000);
    await bucket.put('b', Readable.from([data.subarray(0, 40_000), data.subarray(40_000)]), putOpts(data));
    await bucket.put('s', Readable.from([data]), streamedOpts(data));
    const [b, s] = [await bucket.head('b'), await bucket.head('s')];
    assert.equal(b?.size, data.length);
    assert.equal(s?.size, data.length);
    assert.deepEqual(b.meta, s.meta);
    assert.equal(b.meta?.sha256, sha256(data));
    assert.ok(data.equals(await readFile(path.join(bucket.root, 'b'))));
  });

  it('a streamed put aborted by its signal leaves no object and no temp file', async (t) => {
    const { root, bucket } = await fixture(t);
    const body = new PassThrough();
    const ac = new AbortController();
    const put = bucket.put('aborted.bin', body, { ...streamedOpts(Buffer.alloc(0)), signal: ac.signal });
    body.write(randomBytes(1024));
    await waitFor(async () => (await filesUnder(path.join(root, '.ferry', 'tmp'))).length === 1);
    ac.abort();
    await assert.rejects(put, { name: 'AbortError' });
    assert.ok(await isMissing(path.join(root, 'aborted.bin')));
    assert.deepEqual(await filesUnder(path.join(root, '.ferry')), []);
  });

  it('a concurrent reader never sees a partial object', async (t) => {
    const { root, bucket } = await fixture(t);
    const chunks = Array.from({ length: 8 }, () => randomBytes(32 * 1024));
    const full = Buffer.concat(chunks);
    const final = path.join(root, 'slow', 'obj.bin');
    const body = new PassThrough();
    const put = bucket.put('slow/obj.bin', body, streamedOpts(full));

    // A reader polling the final path as fast as it can, recording anything that is neither absent nor whole.
    let stop = false;
    const partial: number[] = [];
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        reads++;
        try {
          const got = await readFile(final);
          if (!got.equals(full)) partial.push(got.length);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();

    let written = 0;
    for (const c of chunks) {
      body.write(c);
      written += c.length;
      // Wait until the bytes are really on disk in the temp file, then check what the world sees.
      await waitFor(async () => (await tempBytes(root)) >= written);
      assert.ok(await isMissing(final), `visible after ${written} bytes`);
      assert.equal(await bucket.head('slow/obj.bin'), null);
      assert.deepEqual((await bucket.list({})).items, []);
    }
    body.end();
    await put;
    stop = true;
    await reader;
    assert.deepEqual(partial, [], 'reader saw partial objects');
    assert.ok(reads > chunks.length, `reader ran (${reads} reads)`);
    assert.ok(full.equals(await readFile(final)));
  });

  it('ignores recorded metadata when the object was replaced outside ferry (other inode)', async (t) => {
    const { root, bucket } = await fixture(t);
    await putBytes(bucket, 'r/obj', 'ferry wrote this', { sourceEtag: '"e1"' });
    assert.equal((await bucket.head('r/obj'))?.meta?.sourceEtag, '"e1"');
    // Same size, new file renamed over it (what most tools do): the inode differs for sure, since the old
    // file still exists when the new one is created.
    const other = path.join(root, 'r', 'replacement');
    await writeFile(other, 'SOMEONE ELSE!!!!');
    await rename(other, path.join(root, 'r', 'obj'));
    const head = await bucket.head('r/obj');
    assert.equal(head?.size, 16);
    assert.equal(head.meta, undefined);
  });

  it('ignores recorded metadata when the object was rewritten in place (same inode, same size)', async (t) => {
    const { root, bucket } = await fixture(t);
    await putBytes(bucket, 'obj', 'ferry wrote this', { sourceEtag: '"e1"' });
    const before = await stat(path.join(root, 'obj'));
    // Past the filesystem's coarse timestamp granularity, as any later write is.
    await sleep(50);
    await writeFile(path.join(root, 'obj'), 'SOMEONE ELSE!!!!');
    const after = await stat(path.join(root, 'obj'));
    assert.equal(after.ino, before.ino, 'rewritten in place');
    assert.equal(after.size, before.size);
    const head = await bucket.head('obj');
    assert.equal(head?.size, 16);
    assert.equal(head.meta, undefined, 'the metadata still vouches for content ferry did not write');
  });

  it('refuses names inside its own state directory', async (t) => {
    const { root, bucket } = await fixture(t);
    await putBytes(bucket, 'a', 'real object');
    // Whatever the state directory holds (a sidecar where the filesystem has no attributes), it stays as it is.
    const state = path.join(root, '.ferry');
    const snapshot = async () =>
      Promise.all(
        (await filesUnder(state)).map(async (f) => [f, await readFile(path.join(state, f), 'utf8')]),
      );
    const before = await snapshot();
    for (const name of ['.ferry/meta/a.json', '.ferry/tmp/job-1/x', '.ferry']) {
      await assert.rejects(
        putBytes(bucket, name, '{"evil":true}'),
        (err: unknown) => err instanceof FerryError && err.type === ErrorType.InvalidName,
        name,
      );
    }
    await assert.rejects(
      bucket.delete('.ferry/meta/a.json'),
      (err: unknown) => err instanceof FerryError && err.type === ErrorType.InvalidName,
    );
    assert.deepEqual(await snapshot(), before);
    assert.equal((await bucket.head('a'))?.meta?.sha256, sha256('real object'));
    // Elsewhere, '.ferry' is an ordinary name.
    await putBytes(bucket, 'x/.ferry/y', 'fine');
    assert.equal((await bucket.head('x/.ferry/y'))?.size, 4);
  });
});

describe('LocalBucket metadata: an attribute of the object, or a sidecar', () => {
  /** Skips the test where the temp folder's filesystem takes no user attributes (then every test is sidecars). */
  async function needsXattr(t: TestContext, dir: string): Promise<boolean> {
    const probe = path.join(dir, 'probe');
    await writeFile(probe, '');
    const r = await setMetaXattr(probe, '{}');
    await rm(probe);
    if (r !== 'set') t.skip(`${dir}: no user extended attributes here (${r})`);
    return r === 'set';
  }

  it('records the metadata as an attribute of the object file and writes no sidecar', async (t) => {
    const { base, root, bucket } = await fixture(t);
    if (!(await needsXattr(t, base))) return;
    await putBytes(bucket, 'd/small', 'buffered', { sourceEtag: '"s"' });
    const big = randomBytes(300 * 1024);
    await bucket.put('d/streamed', Readable.from([big]), streamedOpts(big, { sourceEtag: '"b"' }));
    for (const [name, etag, data] of [
      ['d/small', '"s"', Buffer.from('buffered')],
      ['d/streamed', '"b"', big],
    ] as const) {
      const text = await getMetaXattr(path.join(root, name));
      assert.ok(text, `${name} has the attribute`);
      const st = await stat(path.join(root, name));
      assert.deepEqual(JSON.parse(text), {
        sourceUrl: 'http://origin/x',
        jobId: 'job-1',
        sourceEtag: etag,
        sha256: sha256(data),
        checksum: `sha256:${sha256(data)}`,
        size: data.length,
        ino: st.ino,
        mtimeMs: st.mtimeMs,
      });
      assert.equal((await bucket.head(name))?.meta?.sourceEtag, etag);
    }
    assert.deepEqual(await filesUnder(path.join(root, '.ferry', 'meta')), [], 'no sidecar');
  });

  it('writes the sidecar for an object whose metadata the filesystem refuses as an attribute (too large)', async (t) => {
    const { base, root, bucket } = await fixture(t);
    if (!(await needsXattr(t, base))) return;
    // Larger than any filesystem's room for one attribute value (64 KiB on Linux): refused with E2BIG.
    const sourceUrl = `http://origin/${'x'.repeat(70_000)}`;
    await putBytes(bucket, 'long', 'small body', { sourceUrl });
    await putBytes(bucket, 'short', 'small body');
    assert.equal((await bucket.head('long'))?.meta?.sourceUrl, sourceUrl);
    assert.equal(await getMetaXattr(path.join(root, 'long')), undefined);
    assert.deepEqual(await filesUnder(path.join(root, '.ferry', 'meta')), ['long.json']);
    // Refused for one value, not for the bucket: the next object has its attribute again.
    assert.ok(await getMetaXattr(path.join(root, 'short')));
    assert.equal((await bucket.head('short'))?.meta?.sha256, sha256('small body'));
  });

  it("keeps every object's metadata in sidecars on a filesystem without user attributes (ramfs)", async (t) => {
    const mnt = await mkdtemp(path.join(tmpdir(), 'ferry-ramfs-'));
    // ramfs has no user attributes on any kernel (tmpfs has them since Linux 6.6). Mounting needs root.
    const mounted = spawnSync('mount', ['-t', 'ramfs', 'ferry-test', mnt], { stdio: 'ignore' }).status === 0;
    if (!mounted) {
      await rm(mnt, { recursive: true, force: true });
      return t.skip('cannot mount a ramfs here (not root)');
    }
    // One hook, in this order: the mount point can be removed only once it is unmounted.
    t.after(async () => {
      spawnSync('umount', [mnt], { stdio: 'ignore' });
      await rm(mnt, { recursive: true, force: true });
    });
    const root = path.join(mnt, 'bucket');
    const bucket = new LocalBucket(root);
    await bucket.ensure();
    await putBytes(bucket, 'a/one', 'first', { sourceEtag: '"1"' });
    const big = randomBytes(300 * 1024);
    await bucket.put('a/two', Readable.from([big]), streamedOpts(big, { sourceEtag: '"2"' }));
    await putBytes(bucket, 'three', 'third', { sourceEtag: '"3"' });
    assert.deepEqual(await filesUnder(path.join(root, '.ferry', 'meta')), [
      'a/one.json',
      'a/two.json',
      'three.json',
    ]);
    assert.equal((await bucket.head('a/one'))?.meta?.sourceEtag, '"1"');
    assert.equal((await bucket.head('a/two'))?.meta?.sha256, sha256(big));
    assert.equal((await bucket.head('three'))?.meta?.sourceEtag, '"3"');
  });

  it('reads the sidecar of an object an earlier release wrote', async (t) => {
    const { root, bucket } = await fixture(t);
    await writeFile(path.join(root, 'old'), 'written in 2026-11');
    const st = await stat(path.join(root, 'old'));
    await mkdir(path.join(root, '.ferry', 'meta'), { recursive: true });
    const old = { sourceUrl: 'http://origin/old', jobId: 'job-0', sha256: sha256('written in 2026-11') };
    await writeFile(
      path.join(root, '.ferry', 'meta', 'old.json'),
      JSON.stringify({ ...old, size: st.size, ino: st.ino, mtimeMs: st.mtimeMs }),
    );
    assert.deepEqual((await bucket.head('old'))?.meta, old);
    // Rewritten by this release: its new metadata wins over the old sidecar (which names another inode).
    await putBytes(bucket, 'old', 'rewritten', { jobId: 'job-2' });
    assert.equal((await bucket.head('old'))?.meta?.jobId, 'job-2');
  });
});

describe('LocalBucket.list', () => {
  const names = [
    'a/b',
    'a-c',
    'a.d',
    'ab',
    'a/b0',
    'a/c/d',
    'a/c/d0/e',
    'a0',
    'b',
    'sp ace',
    'z/y/x',
    'Z',
    '_u',
    '.hidden',
    'x/.ferry/y',
    'é',
    'zz/€',
  ];

  async function seeded(t: TestContext): Promise<Fixture> {
    const fx = await fixture(t);
    // Put in a scrambled order so directory creation order cannot stand in for sort order.
    for (const n of [...names].reverse()) await putBytes(fx.bucket, n, `content of ${n}`);
    // What a crashed put leaves behind, and another job's sidecars: never listed.
    await writeFile(path.join(fx.root, '.ferry', 'tmp', 'job-1', 'leftover'), 'partial');
    return fx;
  }

  it('lists by full key in lexicographic order across nested directories', async (t) => {
    const { bucket } = await seeded(t);
    const page = await bucket.list({});
    assert.deepEqual(
      page.items.map((i) => i.name),
      [...names].sort(byKey),
    );
    assert.equal(page.next, undefined);
    // The classic trap: 'a/b' sorts between 'a.d' and 'ab' ('-' < '.' < '/' < '0' < 'b').
    const order = page.items.map((i) => i.name).filter((n) => ['a/b', 'a-c', 'a.d', 'ab'].includes(n));
    assert.deepEqual(order, ['a-c', 'a.d', 'a/b', 'ab']);
    for (const i of page.items) assert.equal(i.size, Buffer.byteLength(`content of ${i.name}`), i.name);
  });

  it('never lists .ferry/', async (t) => {
    const { bucket } = await seeded(t);
    for (const prefix of ['', '.', '.f', '.ferry', '.ferry/', '.ferry/tmp/']) {
      const all = (await listAll(bucket, { prefix, limit: 3 })).flat();
      assert.ok(!all.some((n) => n.startsWith('.ferry')), `prefix ${prefix}: ${all.join(',')}`);
    }
    assert.deepEqual(
      (await bucket.list({ prefix: '.' })).items.map((i) => i.name),
      ['.hidden'],
    );
  });

  const prefixes: [prefix: string, want: string[]][] = [
    ['a', ['a-c', 'a.d', 'a/b', 'a/b0', 'a/c/d', 'a/c/d0/e', 'a0', 'ab']],
    ['a/', ['a/b', 'a/b0', 'a/c/d', 'a/c/d0/e']],
    ['a/b', ['a/b', 'a/b0']],
    ['a/c', ['a/c/d', 'a/c/d0/e']],
    ['a/c/d', ['a/c/d', 'a/c/d0/e']],
    ['a/c/d0/', ['a/c/d0/e']],
    ['z', ['z/y/x', 'zz/€']],
    ['z/', ['z/y/x']],
    ['x/', ['x/.ferry/y']],
    ['nothing', []],
    ['a/b/', []],
  ];
  for (const [prefix, want] of prefixes) {
    it(`prefix ${JSON.stringify(prefix)}`, async (t) => {
      const { bucket } = await seeded(t);
      assert.deepEqual(
        (await bucket.list({ prefix })).items.map((i) => i.name),
        want,
      );
      // Same answer in pages of 1.
      assert.deepEqual((await listAll(bucket, { prefix, limit: 1 })).flat(), want);
    });
  }

  it('pagination with limit + next yields every object exactly once, in order', async (t) => {
    const { bucket } = await fixture(t);
    // A wider tree: files whose names sort just before, inside and just after directories at several depths.
    const keys: string[] = ['d-', 'd.', 'd0', 'd/e-', 'd/e.', 'd/e0', 'm', 'm.', 'm0'];
    for (const d of ['', 'd/', 'd/e/', 'g/h/i/', 'm-/', 'f.']) {
      for (let i = 0; i < 7; i++) keys.push(`${d}n${i}`);
    }
    for (const n of keys) await putBytes(bucket, n, n);
    const want = [...keys].sort(byKey);
    for (const limit of [1, 2, 3, 5, 7, 8, 13, want.length - 1, want.length, want.length + 1, 1000]) {
      const pages = await listAll(bucket, { limit });
      const got = pages.flat();
      assert.deepEqual(got, want, `limit ${limit}`);
      assert.equal(new Set(got).size, got.length, `duplicates at limit ${limit}`);
      // Full pages until the last one.
      for (const p of pages.slice(0, -1))
        assert.equal(p.length, limit, `short middle page at limit ${limit}`);
    }
    // With a prefix too.
    assert.deepEqual(
      (await listAll(bucket, { prefix: 'd/', limit: 4 })).flat(),
      want.filter((n) => n.startsWith('d/')),
    );
  });

  it('a token resumes after that name even if the name itself was deleted since', async (t) => {
    const { bucket } = await fixture(t);
    for (const n of ['a', 'b/c', 'b/d', 'e']) await putBytes(bucket, n, n);
    const first = await bucket.list({ limit: 2 });
    assert.deepEqual(
      first.items.map((i) => i.name),
      ['a', 'b/c'],
    );
    assert.equal(first.next, 'b/c');
    await bucket.delete('b/c');
    const rest = await bucket.list({ limit: 10, token: first.next });
    assert.deepEqual(
      rest.items.map((i) => i.name),
      ['b/d', 'e'],
    );
    assert.equal(rest.next, undefined);
  });

  it('an empty or missing bucket lists nothing', async (t) => {
    const { bucket } = await fixture(t, { ensure: false });
    assert.deepEqual(await bucket.list({}), { items: [] });
    await bucket.ensure();
    assert.deepEqual(await bucket.list({ limit: 1 }), { items: [] });
  });
});

describe('LocalBucket.cleanupJob', () => {
  it("removes the job's temp dir, reports the count, and leaves the rest alone", async (t) => {
    const { root, bucket } = await fixture(t);
    await putBytes(bucket, 'kept/object', 'committed', { jobId: 'job-1' });
    // What a process killed mid-put leaves: temp files of the job (and of another job).
    const tmp = path.join(root, '.ferry', 'tmp');
    for (const f of ['t1', 't2', 't3']) await writeFile(path.join(tmp, 'job-1', f), 'partial');
    await mkdir(path.join(tmp, 'job-2'), { recursive: true });
    await writeFile(path.join(tmp, 'job-2', 'other'), 'partial');

    assert.deepEqual(await bucket.cleanupJob('job-1'), { removed: 3 });
    assert.ok(await isMissing(path.join(tmp, 'job-1')));
    assert.deepEqual(await filesUnder(tmp), ['job-2/other']);
    assert.equal((await bucket.head('kept/object'))?.meta?.jobId, 'job-1');
    // Idempotent, and a job that never wrote has nothing to clean.
    assert.deepEqual(await bucket.cleanupJob('job-1'), { removed: 0 });
    assert.deepEqual(await bucket.cleanupJob('never-ran'), { removed: 0 });
    // The job can still write after its temp dir was removed (no stale directory cache).
    await putBytes(bucket, 'kept/again', 'more', { jobId: 'job-1' });
    assert.equal(await readFile(path.join(root, 'kept', 'again'), 'utf8'), 'more');
  });

  it('cleans up the temp files of a put that failed mid-stream', async (t) => {
    const { root, bucket } = await fixture(t);
    // Simulate a crash: the temp file exists, the put never finishes (its stream stays open).
    const body = new PassThrough();
    const put = bucket.put('x', body, streamedOpts(Buffer.alloc(0), { jobId: 'job-9' }));
    body.write('some bytes');
    await waitFor(async () => (await filesUnder(path.join(root, '.ferry', 'tmp', 'job-9'))).length === 1);
    assert.deepEqual(await bucket.cleanupJob('job-9'), { removed: 1 });
    body.destroy(new Error('worker died'));
    await assert.rejects(put);
    assert.equal(await bucket.head('x'), null);
  });

  // Job ids are workflow ids: free text that anyone with access to the namespace chooses.
  for (const jobId of ['..', '../..', '../../..', 'a/../..', '.', 'x/y']) {
    it(`job id ${JSON.stringify(jobId)} never reaches outside .ferry/tmp`, async (t) => {
      const { base, root, bucket } = await fixture(t);
      await writeFile(path.join(base, 'outside.txt'), 'must survive');
      await putBytes(bucket, 'obj', 'must survive', { jobId });
      assert.equal((await bucket.head('obj'))?.meta?.jobId, jobId);
      await bucket.cleanupJob(jobId);
      assert.equal(await readFile(path.join(base, 'outside.txt'), 'utf8'), 'must survive');
      assert.equal(await readFile(path.join(root, 'obj'), 'utf8'), 'must survive');
      assert.equal((await bucket.head('obj'))?.meta?.sha256, sha256('must survive'), 'sidecar survived');
      assert.ok((await stat(path.join(root, '.ferry', 'tmp'))).isDirectory());
      // All temp files of every job stay under .ferry/tmp.
      const stray = (await filesUnder(root)).filter((f) => !f.startsWith('.ferry/') && f !== 'obj');
      assert.deepEqual(stray, []);
    });
  }
});

describe('LocalBucket.delete', () => {
  it('removes the object and its sidecar; deleting a missing object is a no-op', async (t) => {
    const { root, bucket } = await fixture(t);
    await putBytes(bucket, 'd/x', 'bye');
    await putBytes(bucket, 'd/y', 'stay');
    await bucket.delete('d/x');
    assert.equal(await bucket.head('d/x'), null);
    assert.ok(await isMissing(path.join(root, 'd', 'x')));
    assert.ok(await isMissing(path.join(root, '.ferry', 'meta', 'd', 'x.json')));
    assert.deepEqual(
      (await bucket.list({})).items.map((i) => i.name),
      ['d/y'],
    );
    await bucket.delete('d/x');
    await bucket.delete('never/existed');
    // A new object under the same name gets fresh metadata.
    await putBytes(bucket, 'd/x', 'again', { jobId: 'job-3' });
    assert.equal((await bucket.head('d/x'))?.meta?.jobId, 'job-3');
  });
});

// --- internal ---

/** Poll until `cond` holds; the bound is for a loaded machine, not a pace. */
async function waitFor(cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await sleep(2);
  }
}

async function tempBytes(root: string): Promise<number> {
  const dir = path.join(root, '.ferry', 'tmp');
  let total = 0;
  for (const f of await filesUnder(dir)) total += (await stat(path.join(dir, f))).size;
  return total;
}
