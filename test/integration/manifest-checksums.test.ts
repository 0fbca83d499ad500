// Manifest checksum columns through real jobs: crc32c, crc64nvme, md5 and sha256, in hex and base64, each checked
// with the copy path's own hashers against what arrives. A mismatch fails that object with ChecksumMismatch (not
// retried) and leaves nothing behind — small objects, streamed ones and a large object fetched in parallel Range
// GETs (its CRC combined per range, so a CRC line keeps ranges working). A malformed column is refused before the
// job starts: one line with its line number, exit 2, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationReport } from '../../common/schemas.js';
import { createHasher, type ChecksumAlgo } from '../../lib/checksum.js';
import { FerryHarness, compareTrees, listFiles } from '../helpers/cli.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';

/** 20 MiB and a bit: three 8 MiB ranges at --streams 4 with FERRY_RANGE_THRESHOLD=1MiB (lib/ranged-get.ts). */
const BIG = 20 * 1024 * 1024 + 12_345;

async function digest(algo: ChecksumAlgo, bytes: Buffer): Promise<Buffer> {
  const h = await createHasher(algo);
  h.update(bytes);
  return Buffer.from(h.digest(), 'hex');
}

/** name → how its line states the checksum (and whether it is wrong). */
const LINES: [string, number, (b: Buffer) => Promise<string>][] = [
  ['crc32c-hex.bin', 3000, async (b) => `crc32c:${(await digest('crc32c', b)).toString('hex')}`],
  ['crc32c-b64.bin', 0, async (b) => `crc32c:${(await digest('crc32c', b)).toString('base64')}`],
  ['crc64-hex.bin', 70_000, async (b) => `crc64nvme:${(await digest('crc64nvme', b)).toString('hex')}`],
  ['dir/crc64 b64.bin', 5000, async (b) => `CRC64NVME:${(await digest('crc64nvme', b)).toString('base64')}`],
  ['md5-b64.bin', 4096, (b) => Promise.resolve(`md5:${createHash('md5').update(b).digest('base64')}`)],
  ['sha256-hex.bin', 200_000, (b) => Promise.resolve(createHash('sha256').update(b).digest('hex'))],
  ['big-good.bin', BIG, async (b) => `crc32c:${(await digest('crc32c', b)).toString('base64')}`],
  // Wrong ones: the right algorithm and form, another object's digest.
  ['big-bad.bin', BIG, async () => `crc32c:${(await digest('crc32c', Buffer.from('x'))).toString('hex')}`],
  [
    'crc64-bad.bin',
    80_000,
    async () => `crc64nvme:${(await digest('crc64nvme', Buffer.from('x'))).toString('hex')}`,
  ],
  ['md5-bad.bin', 1000, () => Promise.resolve(`md5:${createHash('md5').update('x').digest('hex')}`)],
];
const BAD = ['big-bad.bin', 'crc64-bad.bin', 'md5-bad.bin'];

async function dataset(h: FerryHarness): Promise<{ root: string; manifest: string; good: string[] }> {
  const root = join(h.dir, 'src');
  const lines = [];
  for (const [name, size, sum] of LINES) {
    const bytes = randomBytes(size);
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), bytes);
    lines.push(`${name}\t${size}\t${await sum(bytes)}`);
  }
  const manifest = join(h.dir, 'manifest.tsv');
  writeFileSync(manifest, `${lines.join('\n')}\n`);
  return { root, manifest, good: LINES.map(([n]) => n).filter((n) => !BAD.includes(n)) };
}

for (const algo of ['crc32c', 'crc64nvme'] as const) {
  test(`--checksum ${algo}: CRC, MD5 and SHA-256 lines verified (the large object in ranges when its line is the job's CRC); mismatches fail as ChecksumMismatch, nothing left`, async (t) => {
    const h = new FerryHarness(t, `mfsum-${algo}`, { FERRY_RANGE_THRESHOLD: '1MiB' });
    const { root, manifest, good } = await dataset(h);
    const { url: served } = await h.serve(root);
    const proxy = await startRecordingProxy(served);
    t.after(() => proxy.close());
    const bucket = join(h.dir, 'bucket');
    const r = await h.run([
      'job',
      'start',
      'download',
      `${proxy.url}/`,
      bucket,
      '--object-list',
      manifest,
      '--checksum',
      algo,
      '--streams',
      '4',
      '--wait',
      '-q',
    ]);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    const jobId = r.stdout.split('\n')[0]!.trim();
    const report = JSON.parse((await h.run(['show', 'job', jobId, '--json'])).stdout) as MigrationReport;
    assert.deepEqual(
      report.failures.map((f) => [f.name, f.type, f.retryable]).sort(),
      BAD.map((n) => [n, 'ChecksumMismatch', false]).sort(),
    );
    for (const f of report.failures)
      assert.match(f.message, /differs from the manifest's [0-9a-f]+$/, f.message);
    // Every good object byte-identical; the bad ones, their temp files and partial writes all gone.
    assert.deepEqual(await compareTrees(root, bucket, good), { missing: [], different: [], extra: [] });
    assert.deepEqual((await listFiles(bucket, { skip: ['.ferry'] })).sort(), [...good].sort());
    for (const n of BAD) assert.equal(existsSync(join(bucket, n)), false, `${n} not committed`);
    // The large objects' lines are crc32c: under --checksum crc32c they were fetched in parallel ranges despite
    // their manifest checksum (the ranges' CRCs combine); under another algorithm, as one stream.
    for (const n of ['big-good.bin', 'big-bad.bin']) {
      const ranges = proxy.requests.filter((q) => q.method === 'GET' && q.path === n && q.range);
      if (algo === 'crc32c') assert.ok(ranges.length >= 2, `${n}: ${ranges.length} Range GETs`);
      else assert.equal(ranges.length, 0, `${n}: ${ranges.length} Range GETs, one stream expected`);
    }
    // Each object was fetched once: a ChecksumMismatch is not retried.
    const gets = proxy.requests.filter((q) => q.method === 'GET' && q.path === 'md5-bad.bin');
    assert.equal(gets.length, 1, 'md5-bad.bin fetched once');
  });
}

test('a malformed checksum column: one line with the line number, exit 2, nothing written', async (t) => {
  const h = new FerryHarness(t, 'mfsum-bad');
  const root = join(h.dir, 'src');
  mkdirSync(root);
  writeFileSync(join(root, 'a'), 'a');
  const { url } = await h.serve(root);
  const bucket = join(h.dir, 'never-created');
  const cases: [string, string, RegExp][] = [
    [
      'short hex',
      'a\t1\tcrc32c:e3069283\nb\t1\tcrc32c:e30692\n',
      /line 2: checksum "crc32c:e30692": not a crc32c digest/,
    ],
    [
      'bare crc',
      '# x\na\t1\te3069283\n',
      /line 2: checksum "e3069283": 8 hex digits could be one of several CRCs/,
    ],
    ['composite', 'a\t1\tcrc64nvme:rosUhgp5mIg=-4\n', /line 1: .* composite \(multipart\) value/],
    ['unknown algo', 'a\t1\tcrc32:4waSgw==\n', /line 1: checksum algorithm "crc32" is not supported/],
  ];
  for (const [what, text, re] of cases) {
    const list = join(h.dir, `${what.replace(/ /g, '-')}.tsv`);
    writeFileSync(list, text);
    const r = await h.run(['job', 'start', 'download', `${url}/`, bucket, '--object-list', list, '-q']);
    assert.equal(r.code, 2, `${what}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr.trim(), re, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line: ${r.stderr}`);
    assert.equal(existsSync(bucket), false, `${what}: nothing written`);
    assert.equal(readFileSync(list, 'utf8'), text);
  }
});
