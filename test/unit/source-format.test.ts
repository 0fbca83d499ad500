import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { SourceError, splitUrlTemplate } from '../../common/source.js';
import { parseTemplate } from '../../common/template.js';
import { objectUrl } from '../../lib/origin.js';
import { CLIError, humanBytes, parseIntOption } from '../../client/format.js';
import { parseSize } from '../../common/units.js';

describe('splitUrlTemplate', () => {
  const ok: [url: string, baseUrl: string, template: string][] = [
    // The name is what follows the last '/' before the first template token (ais download's rule).
    ['http://h/abc/shard-{001..999}.tar', 'http://h/abc/', 'shard-{001..999}.tar'],
    ['http://h/x.tar', 'http://h/', 'x.tar'],
    ['http://h/a/b/c/plain.bin', 'http://h/a/b/c/', 'plain.bin'],
    ['https://h:8443/d/x-@003.bin', 'https://h:8443/d/', 'x-@003.bin'],
    ['http://h/d/shard-%06d.tar', 'http://h/d/', 'shard-%06d.tar'],
    ['http://127.0.0.1:51061/s-{0..9}', 'http://127.0.0.1:51061/', 's-{0..9}'],
    ['http://[::1]:8080/s-{0..9}', 'http://[::1]:8080/', 's-{0..9}'],
    // A token in a directory makes the names carry that directory.
    ['http://h/{a,b}/x.tar', 'http://h/', '{a,b}/x.tar'],
    ['http://h/data/{train,val}/shard-{00..09}.tar', 'http://h/data/', '{train,val}/shard-{00..09}.tar'],
    ['http://h/a/b/c/{1..2}/d/e.tar', 'http://h/a/b/c/', '{1..2}/d/e.tar'],
    // The scheme is case-insensitive and normalized.
    ['HTTPS://h/x-{1..2}', 'https://h/', 'x-{1..2}'],
    ['Http://h/x', 'http://h/', 'x'],
    // A percent-escape in a directory is part of the URL, not a template token: the engine parses a brace or
    // '@' template first and treats '%' literally there.
    ['http://h/my%20dir/shard-{1..3}.tar', 'http://h/my%20dir/', 'shard-{1..3}.tar'],
    ['http://h/a%2Bb/x-@03.bin', 'http://h/a%2Bb/', 'x-@03.bin'],
    // '@' outside an at-template (here, before a brace template) is literal too.
    ['http://h/@scope/pkg-{1..2}.tgz', 'http://h/@scope/', 'pkg-{1..2}.tgz'],
  ];
  for (const [url, baseUrl, template] of ok) {
    it(`${url} → ${baseUrl} + ${template}`, () => {
      assert.deepEqual(splitUrlTemplate(url), { baseUrl, template });
    });
  }

  it('base + each name gives back the URL the user typed', () => {
    // Round trip through the template engine and the origin's URL builder, the way copyBatch uses them.
    const cases: [url: string, first: string, last: string][] = [
      ['http://h/abc/shard-{001..003}.tar', 'http://h/abc/shard-001.tar', 'http://h/abc/shard-003.tar'],
      ['http://h/{a,b}/x.tar', 'http://h/a/x.tar', 'http://h/b/x.tar'],
      ['http://h/my%20dir/s-{1..2}.bin', 'http://h/my%20dir/s-1.bin', 'http://h/my%20dir/s-2.bin'],
    ];
    for (const [url, first, last] of cases) {
      const { baseUrl, template } = splitUrlTemplate(url);
      const t = parseTemplate(template);
      assert.equal(objectUrl(baseUrl, t.nameAt(0)), first, url);
      assert.equal(objectUrl(baseUrl, t.nameAt(t.count - 1)), last, url);
    }
  });

  it('a base path starting with // starts with one slash (undici would throw ERR_INVALID_URL on it)', () => {
    assert.equal(splitUrlTemplate('http://h//x').baseUrl, 'http://h/');
    assert.equal(splitUrlTemplate('http://h///d//x-{1..2}').baseUrl, 'http://h/d//');
    assert.equal(splitUrlTemplate('http://h/d//x').baseUrl, 'http://h/d//');
  });

  const bad: [url: string, code: string][] = [
    // Credentials would end up in workflow history.
    ['http://user:pw@h/x-{1..2}', 'FERRY_ERR_SOURCE_CREDENTIALS_IN_URL'],
    ['http://user@h/x', 'FERRY_ERR_SOURCE_CREDENTIALS_IN_URL'],
    ['https://:token@h/x', 'FERRY_ERR_SOURCE_CREDENTIALS_IN_URL'],
    // Schemes.
    ['ftp://h/x', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['s3://bucket/x-{1..2}', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['file:///data/x', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['h/x.tar', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['//h/x.tar', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['', 'FERRY_ERR_SOURCE_BAD_URL'],
    ['http:/h/x', 'FERRY_ERR_SOURCE_BAD_URL'],
    // Hosts.
    ['http://{a,b}.h/x', 'FERRY_ERR_SOURCE_BAD_HOST'],
    ['http://h-@01/x', 'FERRY_ERR_SOURCE_CREDENTIALS_IN_URL'],
    ['http://h%41/x', 'FERRY_ERR_SOURCE_BAD_HOST'],
    ['http:///x', 'FERRY_ERR_SOURCE_BAD_HOST'],
    // Query strings and fragments: objects are named by path only.
    ['http://h/x.tar?sig=1', 'FERRY_ERR_SOURCE_QUERY'],
    ['http://h/x-{1..2}.tar?a=b', 'FERRY_ERR_SOURCE_QUERY'],
    ['http://h/x#frag', 'FERRY_ERR_SOURCE_QUERY'],
    ['http://h?x=1', 'FERRY_ERR_SOURCE_QUERY'],
    // No object name.
    ['http://h/', 'FERRY_ERR_SOURCE_NO_NAME'],
    ['http://h', 'FERRY_ERR_SOURCE_NO_NAME'],
    ['http://h/dir/', 'FERRY_ERR_SOURCE_NO_NAME'],
  ];
  for (const [url, code] of bad) {
    it(`rejects ${JSON.stringify(url)} with ${code}`, () => {
      assert.throws(
        () => splitUrlTemplate(url),
        (err: unknown) => err instanceof SourceError && err.code === code,
      );
    });
  }

  it('never echoes credentials in its error', () => {
    assert.throws(
      () => splitUrlTemplate('http://alice:hunter2@h/x'),
      (err: unknown) =>
        err instanceof SourceError && !err.message.includes('hunter2') && !err.message.includes('alice'),
    );
  });
});

describe('parseIntOption', () => {
  const ok: [text: string, min: number, max: number, want: number][] = [
    ['1', 1, 10, 1],
    ['10', 1, 10, 10],
    ['0', 0, 5, 0],
    [' 7 ', 1, 10, 7],
    ['007', 1, 10, 7],
    ['1024', 1, 1024, 1024],
  ];
  for (const [text, min, max, want] of ok) {
    it(`${JSON.stringify(text)} in [${min}, ${max}] = ${want}`, () =>
      assert.equal(parseIntOption(text, '--conns', min, max), want));
  }

  const bad: [text: string, min: number, max: number, message: string][] = [
    ['0', 1, 10, 'invalid --conns 0: must be in [1, 10]'],
    ['11', 1, 10, 'invalid --conns 11: must be in [1, 10]'],
    ['-1', 1, 10, 'invalid --conns "-1": expected an integer in [1, 10]'],
    ['1.5', 1, 10, 'invalid --conns "1.5": expected an integer in [1, 10]'],
    ['1e3', 1, 10_000, 'invalid --conns "1e3": expected an integer in [1, 10000]'],
    ['0x10', 1, 100, 'invalid --conns "0x10": expected an integer in [1, 100]'],
    ['', 1, 10, 'invalid --conns "": expected an integer in [1, 10]'],
    ['ten', 1, 10, 'invalid --conns "ten": expected an integer in [1, 10]'],
  ];
  for (const [text, min, max, message] of bad) {
    it(`rejects ${JSON.stringify(text)} in [${min}, ${max}]`, () => {
      assert.throws(
        () => parseIntOption(text, '--conns', min, max),
        (err: unknown) => err instanceof CLIError && err.code === 2 && err.message === message,
      );
    });
  }
});

describe('humanBytes', () => {
  const cases: [n: number, want: string][] = [
    [0, '0B'],
    [1, '1B'],
    [1023, '1023B'],
    [1024, '1.00KiB'],
    [1536, '1.50KiB'],
    [10 * 1024 ** 2, '10.00MiB'],
    [1.5 * 1024 ** 3, '1.50GiB'],
    [2 * 1024 ** 4, '2.00TiB'],
    [3 * 1024 ** 5, '3.00PiB'],
    // PiB is the largest unit.
    [2048 * 1024 ** 5, '2048.00PiB'],
    // Values that round up to the next unit are shown in it, not as "1024.00KiB".
    [1024 ** 2 - 1, '1.00MiB'],
    [1024 ** 3 - 1, '1.00GiB'],
    [1023.99 * 1024, '1023.99KiB'],
    // A rate below 1 KiB/s is whole bytes, not 9.868421052631579B.
    [9.868421052631579, '10B'],
    [1023.4, '1023B'],
    [Number.NaN, '-'],
    [Number.POSITIVE_INFINITY, '-'],
  ];
  for (const [n, want] of cases) {
    it(`${n} → ${want}`, () => assert.equal(humanBytes(n), want));
  }

  it('round-trips through parseSize (common/units.ts) within the shown precision', () => {
    for (const n of [1, 999, 4096, 123_456_789, 5 * 1024 ** 4]) {
      const shown = humanBytes(n);
      const back = parseSize(shown);
      assert.ok(Math.abs(back - n) <= n * 0.005 + 0.5, `${n} → ${shown} → ${back}`);
    }
  });
});
