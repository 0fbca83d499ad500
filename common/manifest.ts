// Manifest lines: what one line of an `--object-list` / `--list` manifest says. Pure: the CLI validates a
// manifest with it before a job starts, the scan and copy activities read their byte spans with it.
//
// A line is `name`, or `name<TAB>size`, or `name<TAB>size<TAB>checksum` (a `find -printf '%P\t%s\n'` output, an
// inventory export cut to these columns). A trailing `\r` is dropped (CRLF files); blank lines and lines whose
// first character is `#` are skipped, so a manifest may carry comments — an object whose name starts with `#`
// cannot be listed (none of the tools that write manifests emits one unquoted either). An empty size column
// means "size not stated". The checksum is `md5:<hex|base64>`, `sha256:<hex|base64>` or bare hex (32 digits:
// MD5, 64: SHA-256); the prefixes `crc32c:` and `crc64nvme:` are reserved for the data plane's checksums and
// refused until it verifies them.
import { validateObjectName } from './names.js';

/** Algorithms a manifest checksum may name; the copy verifies these. */
export const MANIFEST_CHECKSUMS = ['md5', 'sha256'] as const;
export type ManifestChecksumAlgo = (typeof MANIFEST_CHECKSUMS)[number];

/** Bytes of each algorithm's digest (a bare hex checksum is told apart by its length). */
const DIGEST_BYTES: Record<ManifestChecksumAlgo, number> = { md5: 16, sha256: 32 };

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
    }
    return `checksum ${JSON.stringify(text)}: not md5:<hex|base64>, sha256:<hex|base64>, or 32/64 hex digits`;
  }
  const algo = m[1]!.toLowerCase();
  const value = m[2]!;
  if (!(MANIFEST_CHECKSUMS as readonly string[]).includes(algo))
    return `checksum algorithm "${algo}" is not supported in a manifest (use ${MANIFEST_CHECKSUMS.join(' or ')})`;
  const a = algo as ManifestChecksumAlgo;
  const hex = digestHex(value, DIGEST_BYTES[a]);
  if (!hex) return `checksum ${JSON.stringify(text)}: not a ${a} digest in hex or base64`;
  return { algo: a, hex };
}

// --- internal ---

/** A digest given in hex or base64 (S3 and GCS print MD5 as base64), as lowercase hex; undefined if neither. */
function digestHex(value: string, bytes: number): string | undefined {
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
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
