import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  BucketUriError,
  BucketUriErrorCode,
  formatBucketUri,
  parseBucketUri,
  validateAisBucketName,
  validateS3BucketName,
  type BucketUri,
} from '../../common/bucket-uri.js';

const parses: [input: string, expected: BucketUri, canonical: string][] = [
  ['/data/out', { provider: 'file', path: '/data/out', prefix: '' }, 'file:///data/out'],
  ['/data/out/', { provider: 'file', path: '/data/out', prefix: '' }, 'file:///data/out'],
  ['/data//a/./b/../out', { provider: 'file', path: '/data/a/out', prefix: '' }, 'file:///data/a/out'],
  [
    '/tmp/my dir?#%',
    { provider: 'file', path: '/tmp/my dir?#%', prefix: '' },
    'file:///tmp/my%20dir%3F%23%25',
  ],
  ['file:///data/out', { provider: 'file', path: '/data/out', prefix: '' }, 'file:///data/out'],
  ['FILE:///data/out', { provider: 'file', path: '/data/out', prefix: '' }, 'file:///data/out'],
  ['file://localhost/data/out', { provider: 'file', path: '/data/out', prefix: '' }, 'file:///data/out'],
  ['file:///tmp/my%20dir', { provider: 'file', path: '/tmp/my dir', prefix: '' }, 'file:///tmp/my%20dir'],
  ['file:///tmp/caf%C3%A9', { provider: 'file', path: '/tmp/café', prefix: '' }, 'file:///tmp/café'],
  ['s3://abc', { provider: 's3', bucket: 'abc', prefix: '' }, 's3://abc'],
  ['s3://abc/', { provider: 's3', bucket: 'abc', prefix: '' }, 's3://abc'],
  ['S3://abc/train/', { provider: 's3', bucket: 'abc', prefix: 'train/' }, 's3://abc/train/'],
  ['s3://my.bucket-1/a/b', { provider: 's3', bucket: 'my.bucket-1', prefix: 'a/b' }, 's3://my.bucket-1/a/b'],
  ['s3://abc/x%20y@z', { provider: 's3', bucket: 'abc', prefix: 'x%20y@z' }, 's3://abc/x%20y@z'],
  ['ais://abc', { provider: 'ais', bucket: 'abc', prefix: '' }, 'ais://abc'],
  [
    'ais://ABC_1.x-y/shards',
    { provider: 'ais', bucket: 'ABC_1.x-y', prefix: 'shards' },
    'ais://ABC_1.x-y/shards',
  ],
  ['ais://a/p/', { provider: 'ais', bucket: 'a', prefix: 'p/' }, 'ais://a/p/'],
  ['ais://.hidden', { provider: 'ais', bucket: '.hidden', prefix: '' }, 'ais://.hidden'],
];

void describe('parseBucketUri: accepted', () => {
  for (const [input, expected, canonical] of parses) {
    void it(`${input} -> ${canonical}`, () => {
      const uri = parseBucketUri(input);
      assert.deepEqual(uri, expected);
      assert.equal(formatBucketUri(uri), canonical);
      assert.deepEqual(parseBucketUri(formatBucketUri(uri)), uri);
    });
  }
});

const rejects: [input: string, code: BucketUriErrorCode, detail: RegExp][] = [
  ['', BucketUriErrorCode.Empty, /empty destination/],
  ['data/out', BucketUriErrorCode.RelativePath, /relative paths are not accepted/],
  ['./out', BucketUriErrorCode.RelativePath, /relative/],
  ['~/out', BucketUriErrorCode.RelativePath, /relative/],
  [
    'gs://abc',
    BucketUriErrorCode.UnsupportedScheme,
    /^unsupported scheme "gs:\/\/"; supported: file:\/\/, s3:\/\/, ais:\/\/ or an absolute path$/,
  ],
  [
    'http://localhost:51061/abc',
    BucketUriErrorCode.UnsupportedScheme,
    /"http:\/\/" \(an HTTP URL is a source/,
  ],
  ['az://abc', BucketUriErrorCode.UnsupportedScheme, /"az:\/\/"/],
  ['s3:abc', BucketUriErrorCode.Malformed, /expected "s3:\/\/" followed by a bucket name/],
  ['file:/data/out', BucketUriErrorCode.Malformed, /expected "file:\/\/" followed by an absolute path/],
  [
    'file://data/out',
    BucketUriErrorCode.FileHost,
    /names host "data" \(did you mean file:\/\/\/data\/out\?\)/,
  ],
  ['file://', BucketUriErrorCode.BadPath, /missing path/],
  ['file:///', BucketUriErrorCode.BadPath, /filesystem root/],
  ['/', BucketUriErrorCode.BadPath, /filesystem root/],
  ['/data/..', BucketUriErrorCode.BadPath, /filesystem root/],
  ['/a\0b', BucketUriErrorCode.BadPath, /NUL/],
  ['file:///a%00b', BucketUriErrorCode.BadPath, /NUL/],
  ['file:///a%2Fb', BucketUriErrorCode.BadPath, /encoded "\/"/],
  ['file:///a%zz', BucketUriErrorCode.BadPath, /percent-encoding/],
  ['file:///data?x=1', BucketUriErrorCode.Query, /query string/],
  ['file:///data#frag', BucketUriErrorCode.Fragment, /fragment/],
  ['s3://abc?versionId=1', BucketUriErrorCode.Query, /query string/],
  ['s3://abc/p?x', BucketUriErrorCode.Query, /query string/],
  ['ais://abc#x', BucketUriErrorCode.Fragment, /fragment/],
  ['ais://@uuid#ns/abc', BucketUriErrorCode.NamespaceUnsupported, /namespaces/],
  ['ais://#ns/abc', BucketUriErrorCode.NamespaceUnsupported, /namespaces/],
  ['s3://', BucketUriErrorCode.BadBucketName, /missing bucket name/],
  ['s3:///prefix', BucketUriErrorCode.BadBucketName, /missing bucket name/],
  ['ais://', BucketUriErrorCode.BadBucketName, /missing bucket name/],
  ['s3://ab', BucketUriErrorCode.BadBucketName, /3-63 characters long \(got 2\)/],
  [`s3://${'a'.repeat(64)}`, BucketUriErrorCode.BadBucketName, /got 64/],
  [
    's3://My-Bucket',
    BucketUriErrorCode.BadBucketName,
    /invalid character "M" at index 0 \(S3 bucket names are lowercase\)/,
  ],
  ['s3://my_bucket', BucketUriErrorCode.BadBucketName, /invalid character "_" at index 2/],
  ['s3://-abc', BucketUriErrorCode.BadBucketName, /start and end with a letter or digit/],
  ['s3://abc.', BucketUriErrorCode.BadBucketName, /start and end/],
  ['s3://a..b', BucketUriErrorCode.BadBucketName, /cannot contain "\.\."/],
  ['s3://a.-b', BucketUriErrorCode.BadBucketName, /cannot contain "\.-"/],
  ['s3://a-.b', BucketUriErrorCode.BadBucketName, /cannot contain "-\."/],
  ['s3://192.168.5.4', BucketUriErrorCode.BadBucketName, /IP address/],
  ['ais://a b', BucketUriErrorCode.BadBucketName, /invalid character " " at index 1/],
  ['ais://a..b', BucketUriErrorCode.BadBucketName, /cannot be "\." or contain "\.\."/],
  ['ais://.', BucketUriErrorCode.BadBucketName, /cannot be "\."/],
  ['ais://..', BucketUriErrorCode.BadBucketName, /contain "\.\."/],
  [`ais://${'a'.repeat(256)}`, BucketUriErrorCode.BadBucketName, /at most 255 characters \(got 256\)/],
  ['s3://abc//x', BucketUriErrorCode.BadPrefix, /object prefix "\/x": name starts with "\/"/],
  ['s3://abc//', BucketUriErrorCode.BadPrefix, /object prefix "\/"/],
  ['s3://abc/a//b/', BucketUriErrorCode.BadPrefix, /empty path segment at index 2/],
  ['ais://abc/../x', BucketUriErrorCode.BadPrefix, /"\.\." path segment/],
  ['ais://abc/a\\b', BucketUriErrorCode.BadPrefix, /backslash/],
  ['s3://abc/a\nb', BucketUriErrorCode.BadPrefix, /U\+000A \(LF\)/],
];

void describe('parseBucketUri: rejected', () => {
  for (const [input, code, detail] of rejects) {
    void it(`${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…` : input)} -> ${code}`, () => {
      assert.throws(
        () => parseBucketUri(input),
        (err: unknown) => {
          assert.ok(err instanceof BucketUriError);
          assert.equal(err.name, 'BucketUriError');
          assert.equal(err.code, code);
          assert.equal(err.input, input);
          assert.match(err.detail, detail);
          assert.equal(err.message, `invalid bucket URI ${JSON.stringify(input)}: ${err.detail}`);
          return true;
        },
      );
    });
  }
});

void describe('parseBucketUri: credentials never echo back', () => {
  const cases: [input: string, redacted: string][] = [
    ['s3://AKIAEXAMPLE:s3cr3t@abc/prefix', 's3://***/prefix'],
    ['s3://AKIAEXAMPLE:s3cr3t@abc', 's3://***'],
    ['ais://user@abc', 'ais://***'],
    ['s3://localhost:9000/abc', 's3://***/abc'],
    ['s3://key:pa?ss@abc', 's3://***'],
  ];
  for (const [input, redacted] of cases) {
    void it(redacted, () => {
      assert.throws(
        () => parseBucketUri(input),
        (err: unknown) => {
          assert.ok(err instanceof BucketUriError);
          assert.equal(err.code, BucketUriErrorCode.Credentials);
          assert.equal(err.input, redacted);
          assert.ok(
            !err.message.includes('s3cr3t') &&
              !err.message.includes('AKIA') &&
              !err.message.includes('pa?ss'),
          );
          assert.match(err.message, /come from the worker's environment/);
          return true;
        },
      );
    });
  }
});

void describe('bucket name validators', () => {
  const s3: [string, boolean][] = [
    ['abc', true],
    ['a.b.c', true],
    ['0123', true],
    ['a'.repeat(63), true],
    ['xn--abc', true], // AWS-reserved, but other S3 endpoints allow it
    ['1.2.3', true],
    ['1.2.3.4', false],
    ['ABC', false],
    ['a_b', false],
    ['ab-', false],
  ];
  for (const [name, ok] of s3) {
    void it(`S3 ${name}: ${ok ? 'valid' : 'invalid'}`, () =>
      assert.equal(validateS3BucketName(name) === null, ok));
  }
  const ais: [string, boolean][] = [
    ['abc', true],
    ['A_b-c.d', true],
    ['-x', true],
    ['x.', true],
    ['a'.repeat(255), true],
    ['', false],
    ['.', false],
    ['a..b', false],
    ['a/b', false],
    ['ü', false],
  ];
  for (const [name, ok] of ais) {
    void it(`AIS ${JSON.stringify(name.slice(0, 12))}: ${ok ? 'valid' : 'invalid'}`, () =>
      assert.equal(validateAisBucketName(name) === null, ok));
  }
});
