// lib/anonymous-failure.ts: what copy batches hand to history names no object, in any spelling the messages use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anonymousFailure, withoutName } from '../../lib/anonymous-failure.js';

describe('anonymousFailure', () => {
  const base = 'http://127.0.0.1:8080/data/';
  it('replaces the URL, the path and the name, raw and encoded, and keeps the rest', () => {
    const name = 'dir one/ä b.bin';
    const url = 'http://127.0.0.1:8080/data/dir%20one/%C3%A4%20b.bin';
    const f = anonymousFailure(
      {
        index: 7,
        name,
        type: 'ChecksumMismatch',
        retryable: false,
        message: `${url}: crc32c e3069283 differs; open '/bucket/${name}'; GET /data/dir%20one/%C3%A4%20b.bin`,
      },
      base,
    );
    assert.deepEqual(f, {
      index: 7,
      name: '#7',
      type: 'ChecksumMismatch',
      retryable: false,
      message: "{object #7}: crc32c e3069283 differs; open '/bucket/{object #7}'; GET {object #7}",
    });
    for (const s of [name, 'dir%20one', 'ä b']) assert.ok(!f.message.includes(s), s);
  });
  it('leaves a message without the name, and a name that is already an index, as they are', () => {
    assert.equal(withoutName('HTTP 503 from origin', 'x.bin', base, 1), 'HTTP 503 from origin');
    assert.equal(withoutName('batch failed', '#4', base, 4), 'batch failed');
  });
});
