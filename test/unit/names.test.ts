import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { MAX_OBJECT_NAME_BYTES, validateObjectName } from '../../common/names.js';

const valid: string[] = [
  'a',
  'shard-000000.tar',
  'abc/hello-world',
  'deep/er/path/file.tar.gz',
  '.hidden',
  'dir/.hidden/..x/x..',
  '...',
  'a b (1).txt',
  'ünïcödé/名前/😀.bin',
  '{literal}@%25',
  'x'.repeat(MAX_OBJECT_NAME_BYTES),
  // 341 three-byte characters + 1 byte = 1024 bytes exactly.
  `${'€'.repeat(341)}a`,
  // 256 four-byte characters (surrogate pairs) = 1024 bytes exactly.
  '😀'.repeat(256),
];

const invalid: [name: string, reason: string][] = [
  ['', 'empty name'],
  ['x'.repeat(MAX_OBJECT_NAME_BYTES + 1), 'name is 1025 bytes of UTF-8, longer than 1024'],
  [`${'€'.repeat(341)}ab`, 'name is 1025 bytes of UTF-8, longer than 1024'],
  [`${'😀'.repeat(256)}a`, 'name is 1025 bytes of UTF-8, longer than 1024'],
  ['a\0b', 'control character U+0000 (NUL) at index 1'],
  ['line\nbreak', 'control character U+000A (LF) at index 4'],
  ['\ttab', 'control character U+0009 (HT) at index 0'],
  ['cr\r', 'control character U+000D (CR) at index 2'],
  ['esc\x1b[0m', 'control character U+001B (ESC) at index 3'],
  ['del\x7f', 'control character U+007F (DEL) at index 3'],
  ['c1\u0085', 'control character U+0085 at index 2'],
  ['lone\ud800', 'unpaired surrogate U+D800 at index 4'],
  ['\udc00x', 'unpaired surrogate U+DC00 at index 0'],
  ['win\\dir\\file', 'backslash at index 3 (use "/" to separate path segments)'],
  ['/abs/name', 'name starts with "/" (object names are relative to the bucket)'],
  ['a//b', 'empty path segment at index 2'],
  ['dir/', 'empty path segment at index 4 (name ends with "/")'],
  ['.', '"." path segment at index 0'],
  ['..', '".." path segment at index 0'],
  ['a/./b', '"." path segment at index 2'],
  ['a/../b', '".." path segment at index 2'],
  ['a/b/..', '".." path segment at index 4'],
];

void describe('validateObjectName', () => {
  for (const name of valid) {
    void it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length})` : name)}`, () => {
      assert.equal(validateObjectName(name), null);
    });
  }
  for (const [name, reason] of invalid) {
    void it(`rejects ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length})` : name)}`, () => {
      assert.equal(validateObjectName(name), reason);
    });
  }

  void it('counts bytes exactly like TextEncoder for well-formed strings', () => {
    const encoder = new TextEncoder();
    for (const n of [1020, 1024, 1025]) {
      for (const unit of ['a', 'é', '€', '😀']) {
        const name = unit.repeat(Math.ceil(n / encoder.encode(unit).length));
        const bytes = encoder.encode(name).length;
        assert.equal(
          validateObjectName(name) === null,
          bytes <= MAX_OBJECT_NAME_BYTES,
          `${unit} x ${name.length}`,
        );
      }
    }
  });
});
