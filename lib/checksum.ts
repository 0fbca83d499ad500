// Checksums of the copy path: one incremental hasher per object, for the algorithm a job chose with --checksum.
//
// Libraries, by throughput measured on this machine (2 vCPU Xeon with SSE4.2, PCLMULQDQ, AVX-512, SHA-NI; 256 MiB
// fed in 1 MiB chunks, best of 3; `node dist/bench/hashers.js` prints the table again):
//   crc32c     @node-rs/crc32 (Rust, SSE4.2 crc32 instruction)   ~5,600 MiB/s   ← the default
//              hash-wasm (WASM)                                  ~1,550 MiB/s
//              @aws-crypto/crc32c (JS, what the AWS SDK uses)       ~70 MiB/s
//   crc64nvme  hash-wasm crc64 with the NVMe polynomial (WASM)   ~1,000 MiB/s
//              @aws-sdk/crc64-nvme-crt (aws-crt native, 44 MB)   ~1,000 MiB/s (same speed, 44 MB more: dropped)
//              @aws-sdk/crc64-nvme (JS)                            ~430 MiB/s
//   sha256     node:crypto (OpenSSL, SHA-NI)                       ~820 MiB/s; hash-wasm ~280
//   md5        node:crypto (OpenSSL)                               ~530 MiB/s
// crc32c is the only one far above what a NIC or a disk delivers, so it is the default; sha256 stays available
// for users who want a cryptographic digest.
//
// Values are lower-case hex of the big-endian digest (what AIStore's cksum values and sha256sum print); S3 wants
// the same bytes base64-encoded (toBase64()). Recorded with an object as `checksum: "<algo>:<hex>"`.
import { createHash, type Hash } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { createCRC64 } from 'hash-wasm';
import { ErrorType } from '../common/errors.js';
import { ChecksumAlgos, type ChecksumAlgo } from '../common/schemas.js';
import { FerryError } from './classify-error.js';

export { ChecksumAlgos, type ChecksumAlgo };

/** The algorithm a job uses when it names none (see the table above). */
export const DEFAULT_CHECKSUM: ChecksumAlgo = 'crc32c';

/** CRC-64/NVME as a reflected polynomial (hash-wasm's crc64 takes it as hex; its default is CRC-64/XZ). */
const CRC64_NVME_POLY = '9a6c9329ac4bc9b5';

/** An incremental hasher. `digest()` may be called once. */
export interface Hasher {
  readonly algo: ChecksumAlgo;
  update(data: Uint8Array): void;
  /** Lower-case hex of the big-endian digest; '' for `none`. */
  digest(): string;
}

/** A new hasher for `algo`. Asynchronous only for crc64nvme (a WASM instance); the others resolve at once. */
export async function createHasher(algo: ChecksumAlgo): Promise<Hasher> {
  switch (algo) {
    case 'crc32c':
      return new Crc32cHasher();
    case 'sha256':
    case 'md5':
      return new NodeHasher(algo, createHash(algo));
    case 'none':
      return { algo, update: () => undefined, digest: () => '' };
    case 'crc64nvme': {
      const h = await createCRC64(CRC64_NVME_POLY);
      h.init();
      return { algo, update: (d) => void h.update(d), digest: () => h.digest('hex') };
    }
  }
}

/** `"<algo>:<hex>"`, the form recorded with objects; undefined for `none`. */
export function formatChecksum(algo: ChecksumAlgo, hex: string): string | undefined {
  return algo === 'none' ? undefined : `${algo}:${hex}`;
}

/** The inverse of {@link formatChecksum}; undefined for anything else. */
export function parseChecksum(s: string | undefined): { algo: ChecksumAlgo; hex: string } | undefined {
  const m = /^([a-z0-9]+):([0-9a-f]+)$/.exec(s ?? '');
  if (!m || !(ChecksumAlgos as readonly string[]).includes(m[1]!) || m[1] === 'none') return undefined;
  const algo = m[1] as ChecksumAlgo;
  return m[2]!.length === HEX_LENGTH[algo] ? { algo, hex: m[2]! } : undefined;
}

/** Hex digest → the base64 S3's Checksum* fields carry. */
export function toBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** S3's base64 Checksum* value → hex; undefined when it is not a whole-object value of `algo`'s length. */
export function fromBase64(b64: string | undefined, algo: ChecksumAlgo): string | undefined {
  if (!b64 || b64.includes('-')) return undefined;
  const hex = Buffer.from(b64, 'base64').toString('hex');
  return hex.length === HEX_LENGTH[algo] ? hex : undefined;
}

/** A typed, non-retryable failure: the bytes are not the ones expected (by a store, a manifest, ...). */
export function checksumMismatch(what: string, expected: string, got: string): FerryError {
  return new FerryError(ErrorType.ChecksumMismatch, `${what}: checksum ${got}, expected ${expected}`);
}

/**
 * CRC of the concatenation A‖B from crc(A), crc(B) and len(B) — zlib's crc32_combine (x^(8·len) mod P by
 * repeated squaring) generalised to crc32c and crc64nvme, whose init and final xor are both all ones so the
 * conditioning cancels. Lets parallel ranges hash independently and still yield the whole object's checksum.
 * Written here because no maintained npm package combines crc32c or crc64nvme; checked against the hashers on
 * random splits (test/unit/checksum.test.ts).
 */
export function combineCrc(algo: 'crc32c' | 'crc64nvme', crcA: string, crcB: string, lenB: number): string {
  const { width, poly } = CRC_PARAMS[algo];
  const top = 1n << BigInt(width - 1);
  const mask = (1n << BigInt(width)) - 1n;
  /** a·b mod P in the reflected representation. */
  const mult = (a: bigint, b: bigint): bigint => {
    let m = top;
    let p = 0n;
    for (;;) {
      if (a & m) {
        p ^= b;
        if ((a & (m - 1n)) === 0n) break;
      }
      m >>= 1n;
      b = b & 1n ? (b >> 1n) ^ poly : b >> 1n;
    }
    return p & mask;
  };
  // x^(8·lenB) mod P: start with x^0 (the top bit), square x^(2^k) along the bits of lenB·8.
  let p = top;
  let x2k = top >> 1n; // x^1
  for (let n = BigInt(lenB) * 8n; n > 0n; n >>= 1n) {
    if (n & 1n) p = mult(x2k, p);
    x2k = mult(x2k, x2k);
  }
  const a = BigInt(`0x${crcA}`);
  const b = BigInt(`0x${crcB}`);
  return (mult(p, a) ^ b).toString(16).padStart(width / 4, '0');
}

// --- internal ---

const HEX_LENGTH: Record<ChecksumAlgo, number> = { crc32c: 8, crc64nvme: 16, sha256: 64, md5: 32, none: 0 };
const CRC_PARAMS = {
  crc32c: { width: 32, poly: 0x82f63b78n },
  crc64nvme: { width: 64, poly: 0x9a6c9329ac4bc9b5n },
} as const;

class Crc32cHasher implements Hasher {
  readonly algo = 'crc32c' as const;
  private state = 0;
  update(data: Uint8Array): void {
    this.state = crc32c(data, this.state);
  }
  digest(): string {
    return (this.state >>> 0).toString(16).padStart(8, '0');
  }
}

class NodeHasher implements Hasher {
  constructor(
    readonly algo: 'sha256' | 'md5',
    private readonly hash: Hash,
  ) {}
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The checksum fields recorded with an object (ObjectMeta): `checksum`, and `sha256` too when that is the algorithm. */
export function recorded(algo: ChecksumAlgo, hex: string): { checksum?: string; sha256?: string } {
  const checksum = formatChecksum(algo, hex);
  if (!checksum) return {};
  return algo === 'sha256' ? { checksum, sha256: hex } : { checksum };
}

/**
 * Whether an object's metadata shows a complete commit: a recorded checksum (of any algorithm: an earlier attempt
 * may have run on an older release), or none expected (`--checksum none`, where the job id alone vouches).
 */
export function hasRecordedChecksum(
  meta: { checksum?: string | undefined; sha256?: string | undefined },
  algo: ChecksumAlgo,
): boolean {
  return !!meta.checksum || !!meta.sha256 || algo === 'none';
}
