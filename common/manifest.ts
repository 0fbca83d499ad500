// Manifest lines: what one line of an `--object-list` / `--list` manifest says. Pure: the CLI validates a
// manifest with it before a job starts, the scan and copy activities read their byte spans with it.
//
// A line is `name`, or `name<TAB>size`, or `name<TAB>size<TAB>checksum` (a `find -printf '%P\t%s\n'` output, an
// inventory export cut to these columns). A trailing `\r` is dropped (CRLF files); blank lines and lines whose
// first character is `#` are skipped, so a manifest may carry comments — an object whose name starts with `#`
// cannot be listed (none of the tools that write manifests emits one unquoted either). An empty size column
// means "size not stated".
//
// The checksum column is `<algo>:<value>` with algo crc32c, crc64nvme, md5 or sha256 (the copy path's own
// hashers, lib/checksum.ts), the value in hex (what sha256sum, md5sum and AIStore print, and ferry's own report)
// or in base64 (what S3 — ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA256, Content-MD5 — and GCS — crc32c,
// md5Hash — print; padded, as they print it): the two never collide, since a digest's hex and base64 forms
// differ in length. Bare hex of 32 or 64 digits is MD5 or SHA-256 (md5sum/sha256sum output, an S3 ETag of a single-part
// upload); bare 8 or 16 digits is refused, as CRC-32 and CRC-32C (or CRC-64 variants) cannot be told apart.
// A composite value (S3's `…-N` of a multipart upload) is no digest of the whole object and is refused.
import { validateObjectName } from './names.js';

/** Algorithms a manifest checksum may name; the copy verifies these. */
export const MANIFEST_CHECKSUMS = ['crc32c', 'crc64nvme', 'md5', 'sha256'] as const;
export type ManifestChecksumAlgo = (typeof MANIFEST_CHECKSUMS)[number];

/** Bytes of each algorithm's digest (a bare hex checksum is told apart by its length). */
const DIGEST_BYTES: Record<ManifestChecksumAlgo, number> = { crc32c: 4, crc64nvme: 8, md5: 16, sha256: 32 };

/** What a manifest line says an object should be. */
export interface ManifestExpect {
  size?: number;
  checksum?: { algo: ManifestChecksumAlgo; hex: string };
}

export type ManifestLine =
  | { kind: 'skip' }
  | { kind: 'entry'; name: string; expect?: ManifestExpect }
  /** A line that is wrong: `name` is what it would name (may be empty); `what` says which column. */
  | { kind: 'bad'; name: string; problem: string; what: 'name' | 'column' };

export function parseManifestLine(raw: string): ManifestLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.trim() === '' || line.startsWith('#')) return { kind: 'skip' };
  const cols = line.split('\t');
  const name = cols[0]!;
  const invalid = validateObjectName(name);
  if (invalid)
    return { kind: 'bad', name, what: 'name', problem: `invalid name ${JSON.stringify(name)}: ${invalid}` };
  const bad = (problem: string): ManifestLine => ({ kind: 'bad', name, what: 'column', problem });
  if (cols.length > 3) return bad(`${cols.length} tab-separated columns (at most name, size, checksum)`);
  const expect: ManifestExpect = {};
  const sizeText = cols[1]?.trim() ?? '';
  if (sizeText !== '') {
    if (!/^\d{1,16}$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
      return bad(`size column ${JSON.stringify(sizeText)} is not a number of bytes`);
    expect.size = Number(sizeText);
  }
  const sumText = cols[2]?.trim() ?? '';
  if (sumText !== '') {
    const sum = parseChecksum(sumText);
    if (typeof sum === 'string') return bad(sum);
    expect.checksum = sum;
  }
  return expect.size === undefined && !expect.checksum
    ? { kind: 'entry', name }
    : { kind: 'entry', name, expect };
}

/** A checksum column as `{ algo, hex }`, or the reason it is not one. */
export function parseChecksum(text: string): { algo: ManifestChecksumAlgo; hex: string } | string {
  const m = /^([a-z0-9]+):(.+)$/i.exec(text);
  if (!m) {
    if (/^[0-9a-f]+$/i.test(text)) {
      const algo = (['md5', 'sha256'] as const).find((a) => DIGEST_BYTES[a] * 2 === text.length);
      if (algo) return { algo, hex: text.toLowerCase() };
      if (text.length === 8 || text.length === 16)
        return `checksum ${JSON.stringify(text)}: ${text.length} hex digits could be one of several CRCs; write crc32c:<hex> or crc64nvme:<hex>`;
    }
    if (/^[0-9a-f]{32}-\d+$/i.test(text))
      return `checksum ${JSON.stringify(text)} is a multipart ETag, not the MD5 of the object; leave the column empty or give a whole-object checksum`;
    return `checksum ${JSON.stringify(text)}: not <algo>:<hex|base64> (${MANIFEST_CHECKSUMS.join(', ')}) or 32/64 hex digits (MD5/SHA-256)`;
  }
  const algo = m[1]!.toLowerCase();
  const value = m[2]!;
  if (!(MANIFEST_CHECKSUMS as readonly string[]).includes(algo))
    return `checksum algorithm "${algo}" is not supported in a manifest (use ${MANIFEST_CHECKSUMS.join(', ')})`;
  const a = algo as ManifestChecksumAlgo;
  if (/-\d+$/.test(value))
    return `checksum ${JSON.stringify(text)} is a composite (multipart) value, not the ${a} of the whole object`;
  const hex = digestHex(value, DIGEST_BYTES[a]);
  if (!hex)
    return `checksum ${JSON.stringify(text)}: not a ${a} digest (${DIGEST_BYTES[a] * 2} hex digits, or base64 of ${DIGEST_BYTES[a]} bytes)`;
  return { algo: a, hex };
}

// --- internal ---

/** A digest given in hex or base64 (S3 and GCS print MD5 as base64), as lowercase hex; undefined if neither. */
function digestHex(value: string, bytes: number): string | undefined {
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
  // Padded base64 only (as S3 and GCS print it): unpadded, a hex value missing digits (`crc32c:e30692`) would
  // decode as some other digest and fail every copy as a mismatch instead of being refused here.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length !== Math.ceil(bytes / 3) * 4) return undefined;
  // Workflow-safe: no Buffer here, decode base64 by hand.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const ch of value.replace(/=+$/, '')) {
    acc = (acc << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += ((acc >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return out.length === bytes * 2 ? out : undefined;
}
