// The done-bitset of a copy batch: bit p (byte p >> 3, bit p & 7, least significant first) is set once position
// p of the batch is finished. It travels as standard base64 with padding — in copyBatch's heartbeat checkpoint,
// in its BatchIncomplete / cancellation details and so in recorded histories — so the text must stay
// byte-identical to what `Buffer.from(bits).toString('base64')` produced before this module existed
// (test/unit/bitset.test.ts pins it). Buffer-free: the workflow counts bits too, and its sandbox has no Buffer.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Character code → 6-bit value; -1 for characters that carry no bits (padding, whitespace). */
const DECODE: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  // URL-safe variants decode too, as Buffer.from(s, 'base64') accepted them.
  t['-'.charCodeAt(0)] = 62;
  t['_'.charCodeAt(0)] = 63;
  return t;
})();

/** An empty bitset for `n` positions. */
export function newBitset(n: number): Uint8Array {
  return new Uint8Array(Math.ceil(n / 8));
}

export function isSet(bits: Uint8Array, p: number): boolean {
  return ((bits[p >> 3] ?? 0) & (1 << (p & 7))) !== 0;
}

export function setBit(bits: Uint8Array, p: number): void {
  bits[p >> 3] = (bits[p >> 3] ?? 0) | (1 << (p & 7));
}

/** Standard base64 with `=` padding. */
export function encodeBitset(bits: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bits.length; i += 3) {
    const v = (bits[i]! << 16) | (bits[i + 1]! << 8) | bits[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  const rest = bits.length - i;
  if (rest === 1) {
    const v = bits[i]! << 16;
    out += `${ALPHABET[v >> 18]!}${ALPHABET[(v >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const v = (bits[i]! << 16) | (bits[i + 1]! << 8);
    out += `${ALPHABET[v >> 18]!}${ALPHABET[(v >> 12) & 63]!}${ALPHABET[(v >> 6) & 63]!}=`;
  }
  return out;
}

/**
 * Decode base64 into a bitset. With `n`, the result is sized for `n` positions (longer input is cut, shorter
 * is zero-filled), as a checkpoint of the same batch is read back; decoding stops at the first `=`, and other
 * characters outside the alphabet are skipped.
 */
export function decodeBitset(text: string, n?: number): Uint8Array {
  const bytes: number[] = [];
  let acc = 0;
  let have = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 61) break; // '='
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) continue;
    acc = ((acc << 6) | v) & 0xffffff;
    have += 6;
    if (have >= 8) {
      have -= 8;
      bytes.push((acc >> have) & 0xff);
    }
  }
  if (n === undefined) return Uint8Array.from(bytes);
  const out = newBitset(n);
  for (let i = 0; i < out.length && i < bytes.length; i++) out[i] = bytes[i]!;
  return out;
}

/** Set bits of an encoded bitset: how many positions of a batch are finished. */
export function countBitset(text: string): number {
  let count = 0;
  for (const byte of decodeBitset(text)) {
    for (let b = byte; b; b &= b - 1) count++;
  }
  return count;
}
