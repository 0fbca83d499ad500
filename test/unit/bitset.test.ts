import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { countBitset, decodeBitset, encodeBitset, isSet, newBitset, setBit } from '../../common/bitset.js';

// The codecs this module replaced, kept verbatim as the reference: checkpoints in flight and recorded
// histories carry their output, so the new codec must produce and read the very same text.
const oldToBase64 = (bits: Uint8Array): string => Buffer.from(bits).toString('base64');
function oldFromBase64(s: string, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 8));
  out.set(Buffer.from(s, 'base64').subarray(0, out.length));
  return out;
}
function oldCountDone(done: string): number {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let count = 0;
  for (const ch of done) {
    const v = alphabet.indexOf(ch);
    for (let i = 0; v > 0 && i < 6; i++) if (v & (1 << i)) count++;
  }
  return count;
}

/** A bitset of `n` positions with the given ones set. */
function bitsOf(n: number, set: (p: number) => boolean): Uint8Array {
  const bits = newBitset(n);
  for (let p = 0; p < n; p++) if (set(p)) setBit(bits, p);
  return bits;
}

/** A deterministic pseudo-random pattern (xorshift), so the test is the same on every run. */
function pattern(seed: number): (p: number) => boolean {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x & 3) === 0;
  };
}

const cases: [label: string, n: number, set: (p: number) => boolean][] = [
  ['empty batch', 0, () => false],
  ['one position, not done', 1, () => false],
  ['one position, done', 1, () => true],
  ['7 positions, every other', 7, (p) => p % 2 === 0],
  ['8 positions, all', 8, () => true],
  ['9 positions, last only', 9, (p) => p === 8],
  ['16 positions (2 bytes: one pad)', 16, (p) => p % 3 === 0],
  ['24 positions (3 bytes: no pad)', 24, () => true],
  ['256 positions (the default batch), random', 256, pattern(7)],
  ['257 positions, random', 257, pattern(11)],
  ['10,000 positions (the largest batch), random', 10_000, pattern(99)],
  ['10,000 positions, all', 10_000, () => true],
];

describe('bitset codec', () => {
  for (const [label, n, set] of cases) {
    it(`encodes, decodes and counts like the old codecs: ${label}`, () => {
      const bits = bitsOf(n, set);
      const text = encodeBitset(bits);
      assert.equal(text, oldToBase64(bits));
      assert.deepEqual(decodeBitset(text, n), oldFromBase64(text, n));
      assert.deepEqual(decodeBitset(text, n), bits);
      assert.equal(countBitset(text), oldCountDone(text));
      let expected = 0;
      for (let p = 0; p < n; p++) if (isSet(bits, p)) expected++;
      assert.equal(countBitset(text), expected);
    });
  }

  it('pins the text of known bitsets', () => {
    assert.equal(encodeBitset(bitsOf(8, () => true)), '/w==');
    assert.equal(encodeBitset(bitsOf(16, (p) => p === 0 || p === 15)), 'AYA=');
    assert.equal(encodeBitset(bitsOf(24, (p) => p < 12)), '/w8A');
    assert.equal(encodeBitset(bitsOf(3, (p) => p === 1)), 'Ag==');
  });

  it('sizes a decoded checkpoint for its batch: longer text is cut, shorter is zero-filled', () => {
    const long = encodeBitset(bitsOf(24, () => true));
    assert.deepEqual(decodeBitset(long, 9), oldFromBase64(long, 9));
    assert.deepEqual(decodeBitset(long, 9), Uint8Array.from([255, 255]));
    const short = encodeBitset(bitsOf(8, () => true));
    assert.deepEqual(decodeBitset(short, 20), oldFromBase64(short, 20));
    assert.deepEqual(decodeBitset('', 10), new Uint8Array(2));
  });

  it('reads what Buffer accepted: missing padding and URL-safe characters', () => {
    for (const text of ['/w', 'AYA', '_w==', '-_8A']) {
      assert.deepEqual(decodeBitset(text, 24), oldFromBase64(text, 24), text);
    }
  });
});
