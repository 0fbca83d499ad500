// Manifest lines (common/manifest.ts), byte-exact line spans (lib/manifest/read.ts) and --prefix in the filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseManifestLine } from '../../common/manifest.js';
import { keyFilter } from '../../lib/listing/filter.js';
import { manifestLines } from '../../lib/manifest/read.js';

const MD5 = '9e107d9d372bb6826bd81d3542a419d6';

test('manifest lines: names, sizes, checksums in every form; comments, blanks and CR skipped', () => {
  const cases: [string, ReturnType<typeof parseManifestLine>][] = [
    ['', { kind: 'skip' }],
    ['   ', { kind: 'skip' }],
    ['\r', { kind: 'skip' }],
    ['# a comment', { kind: 'skip' }],
    ['a/b c.bin', { kind: 'entry', name: 'a/b c.bin' }],
    ['a\r', { kind: 'entry', name: 'a' }],
    ['a\t', { kind: 'entry', name: 'a' }],
    ['a\t12', { kind: 'entry', name: 'a', expect: { size: 12 } }],
    ['a\t12\r', { kind: 'entry', name: 'a', expect: { size: 12 } }],
    ['a\t\tmd5:' + MD5, { kind: 'entry', name: 'a', expect: { checksum: { algo: 'md5', hex: MD5 } } }],
    [
      'a\t3\t' + MD5.toUpperCase(),
      { kind: 'entry', name: 'a', expect: { size: 3, checksum: { algo: 'md5', hex: MD5 } } },
    ],
    [
      'a\t3\tmd5:nhB9nTcrtoJr2B01QqQZ1g==',
      { kind: 'entry', name: 'a', expect: { size: 3, checksum: { algo: 'md5', hex: MD5 } } },
    ],
    [
      'a\t0\t' + 'ab'.repeat(32),
      { kind: 'entry', name: 'a', expect: { size: 0, checksum: { algo: 'sha256', hex: 'ab'.repeat(32) } } },
    ],
    // CRCs (crc32c and crc64nvme of "123456789"): hex, base64 (as S3 and GCS print it), any case of algo.
    ...['crc32c:e3069283', 'crc32c:E3069283', 'CRC32C:4waSgw=='].map(
      (c): [string, ReturnType<typeof parseManifestLine>] => [
        `a\t9\t${c}`,
        { kind: 'entry', name: 'a', expect: { size: 9, checksum: { algo: 'crc32c', hex: 'e3069283' } } },
      ],
    ),
    ...['crc64nvme:ae8b14860a799888', 'crc64nvme:rosUhgp5mIg='].map(
      (c): [string, ReturnType<typeof parseManifestLine>] => [
        `a\t\t${c}`,
        { kind: 'entry', name: 'a', expect: { checksum: { algo: 'crc64nvme', hex: 'ae8b14860a799888' } } },
      ],
    ),
  ];
  for (const [line, want] of cases) assert.deepEqual(parseManifestLine(line), want, JSON.stringify(line));
  const bad: [string, RegExp, 'name' | 'column'][] = [
    ['/etc/passwd', /invalid name "\/etc\/passwd"/, 'name'],
    ['a/../b\t1', /invalid name/, 'name'],
    ['a\tx12', /size column "x12" is not a number/, 'column'],
    ['a\t-1', /size column "-1"/, 'column'],
    ['a\t1.5', /size column "1.5"/, 'column'],
    [
      'a\t1\tcrc32:AAAAAA==',
      /"crc32" is not supported in a manifest \(use crc32c, crc64nvme, md5, sha256\)/,
      'column',
    ],
    ['a\t1\tsha1:' + 'ab'.repeat(20), /"sha1" is not supported/, 'column'],
    ['a\t1\tcrc32c:e306928', /not a crc32c digest \(8 hex digits, or base64 of 4 bytes\)/, 'column'],
    ['a\t1\tcrc32c:4waSgw=', /not a crc32c digest/, 'column'],
    ['a\t1\tcrc64nvme:e3069283', /not a crc64nvme digest/, 'column'],
    ['a\t1\tcrc32c:4waSgw==-3', /composite \(multipart\) value/, 'column'],
    ['a\t1\te3069283', /8 hex digits could be one of several CRCs; write crc32c:<hex>/, 'column'],
    ['a\t1\t' + MD5 + '-12', /multipart ETag, not the MD5/, 'column'],
    ['a\t1\tmd5:xyz', /not a md5 digest/, 'column'],
    ['a\t1\tabc', /not <algo>:<hex\|base64> \(crc32c, crc64nvme, md5, sha256\)/, 'column'],
    ['a\t1\tcrc32c:e30692', /not a crc32c digest/, 'column'],
    ['a\t1\tmd5:nhB9nTcrtoJr2B01QqQZ1g', /not a md5 digest/, 'column'],
    ['a\t1\t' + MD5 + '\tx', /4 tab-separated columns/, 'column'],
  ];
  for (const [line, re, what] of bad) {
    const r = parseManifestLine(line);
    assert.equal(r.kind, 'bad', line);
    if (r.kind === 'bad') {
      assert.match(r.problem, re, line);
      assert.equal(r.what, what, line);
    }
  }
});

test('manifest line spans: byte offsets exact across chunks, multibyte names, no final newline', async () => {
  const text = 'ünï/a\n\nb\r\n# c\nnamé-long-' + 'x'.repeat(100) + '\nlast';
  const bytes = Buffer.from(text);
  // Chunks of 7 bytes split lines and characters alike.
  const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
    bytes.subarray(i * 7, i * 7 + 7),
  );
  const lines = [];
  for await (const l of manifestLines(Readable.from(chunks), 0)) lines.push(l);
  assert.deepEqual(
    lines.map((l) => l.text),
    text.split('\n'),
  );
  assert.equal(lines.at(-1)!.end, bytes.length);
  // Each span [prev end, end) decodes to its line.
  let prev = 0;
  for (const l of lines) {
    assert.equal(bytes.subarray(prev, l.end).toString().replace(/\n$/, ''), l.text);
    prev = l.end;
  }
  // A span read from the middle stops at its end.
  const from = lines[1]!.end;
  const to = lines[3]!.end;
  const part = [];
  for await (const l of manifestLines(Readable.from([bytes.subarray(from)]), from, to)) part.push(l.text);
  assert.deepEqual(part, ['b\r', '# c']);
});

test('--prefix keeps only names starting with it, with --include/--exclude', () => {
  const f = keyFilter({ prefix: 'a/', include: ['*.bin'], exclude: ['/a/skip/**'] })!;
  assert.deepEqual(['a/x.bin', 'a/x.txt', 'b/x.bin', 'a/skip/y.bin', 'ab/x.bin'].filter(f), ['a/x.bin']);
  assert.equal(keyFilter({}), undefined);
  assert.equal(keyFilter({ prefix: 'p' })!('q'), false);
});
