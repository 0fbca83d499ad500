/**
 * The one unit grammar of ferry: sizes (`--limit-bph`, `FERRY_S3_PART_SIZE`, ...) and durations
 * (`FERRY_*_MS`). Every size a user types goes through {@link parseSize}, so `100GB` means the same everywhere.
 *
 * Sizes: a non-negative number, optional whitespace, an optional unit.
 * - `KiB MiB GiB TiB` are 1024-based (IEC), `KB MB GB TB` are 1000-based (SI); `B` or no unit is bytes.
 * - Units are case-insensitive (`mib` = `MiB`, `gb` = `GB`): the `i` alone tells binary from decimal, and ferry
 *   has no bits, so case carries no meaning worth an error.
 * - A bare `K`/`M`/`G`/`T` is rejected as ambiguous: ferry's old parsers read `16M` as MiB in one place and as
 *   10⁶ in another, and silently picking one would change what an existing setting means.
 * - Fractions are allowed with a unit (`1.5GiB`); the result is rounded DOWN to whole bytes, computed exactly
 *   (no float error: `1.1KB` is 1100, not 1100.0000000000002). A plain byte count must be whole (`1.5B` is
 *   rejected: there is no half byte to round).
 * - Negative numbers, exponents (`1e9`), separators (`1,000`) and results above 2⁵³−1 are rejected.
 *
 * Durations: a whole number with an optional unit `ms`, `s`, `m`, `h` (case-insensitive); no unit means
 * milliseconds, because every duration knob is named `..._MS`.
 *
 * Pure and deterministic: imported by workflow code.
 */
import { InputError } from './errors.js';

/** What `--help` and error messages say about the size grammar. */
export const SIZE_UNITS_HELP = 'sizes: KiB/MiB/GiB/TiB = 1024-based, KB/MB/GB/TB = 1000-based';

/** Stable codes of {@link UnitError}. */
export const UnitErrorCode = {
  BadSize: 'FERRY_ERR_UNIT_BAD_SIZE',
  BadDuration: 'FERRY_ERR_UNIT_BAD_DURATION',
} as const;
export type UnitErrorCode = (typeof UnitErrorCode)[keyof typeof UnitErrorCode];

/**
 * A size or duration that does not parse. The message is `"<input>" <detail>`; callers that know where the
 * text came from (an option, an environment variable) build their own message from {@link input} and
 * {@link detail}, e.g. `--limit-bph "12 parsecs" is not a size: ...`.
 */
export class UnitError extends InputError {
  override readonly name = 'UnitError';
  constructor(
    override readonly code: UnitErrorCode,
    readonly input: string,
    /** What is wrong, starting with a verb: `is not a size: use e.g. 16MiB (binary) or 16MB (decimal)`. */
    readonly detail: string,
  ) {
    super(code, `${JSON.stringify(input)} ${detail}`);
  }
}

const KiB = 1024;
const UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: KiB,
  mib: KiB ** 2,
  gib: KiB ** 3,
  tib: KiB ** 4,
};

const SIZE_RE = /^(\d+)(?:\.(\d+))?\s*([a-z]*)$/i;
const SIZE_HINT = 'use e.g. 16MiB (binary) or 16MB (decimal)';

/** Bytes of a size such as `16MiB`, `100GB`, `1.5GiB`, `4096` (grammar: see the module comment). */
export function parseSize(text: string): number {
  const t = text.trim();
  const bad = (detail: string): UnitError => new UnitError(UnitErrorCode.BadSize, text, detail);
  if (t === '') throw bad(`is not a size: ${SIZE_HINT}`);
  if (t.startsWith('-')) throw bad(`is negative: a size is 0 or more, ${SIZE_HINT}`);
  const m = SIZE_RE.exec(t);
  if (!m) throw bad(`is not a size: ${SIZE_HINT}`);
  const [, whole = '', frac = '', unitText = ''] = m;
  const unit = unitText.toLowerCase();
  const mult = UNIT_BYTES[unit];
  if (mult === undefined) {
    if (/^[kmgt]$/.test(unit)) {
      const n = `${whole}${frac ? `.${frac}` : ''}${unit.toUpperCase()}`;
      throw bad(`is ambiguous: write ${n}iB (binary) or ${n}B (decimal)`);
    }
    throw bad(`is not a size (unknown unit "${unitText}"): ${SIZE_HINT}`);
  }
  if (frac !== '' && mult === 1) throw bad('is a fraction of a byte: a byte count is a whole number');
  // Exact: (whole.frac × mult) rounded down, in integers.
  const scale = 10n ** BigInt(frac.length);
  const bytes = ((BigInt(whole) * scale + BigInt(frac || '0')) * BigInt(mult)) / scale;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('is too large (at most 8PiB)');
  return Number(bytes);
}

const FORMAT_UNITS = {
  binary: { base: 1024, names: ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] },
  decimal: { base: 1000, names: ['B', 'KB', 'MB', 'GB', 'TB', 'PB'] },
} as const;

/**
 * A size as people read it: `16MiB`, `1.5GiB`, `1023B`; `decimal: true` gives `100GB`. An exact multiple of
 * its unit prints without decimals, so what {@link parseSize} took in comes back as typed; anything else gets
 * at most two decimals (`1.33GiB`).
 */
export function formatSize(bytes: number, opts: { decimal?: boolean } = {}): string {
  if (!Number.isFinite(bytes)) return '-';
  const { base, names } = FORMAT_UNITS[opts.decimal ? 'decimal' : 'binary'];
  let v = Math.abs(bytes);
  let u = 0;
  // base - 0.005: a value that toFixed(2) would print as 1024.00 belongs to the next unit.
  while (v >= base - 0.005 && u < names.length - 1) {
    v /= base;
    u++;
  }
  const sign = bytes < 0 ? '-' : '';
  const digits = Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, '');
  return `${sign}${digits}${names[u]}`;
}

const DURATION_MS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(\d+)\s*([a-z]*)$/i;

/** Milliseconds of a duration such as `250`, `250ms`, `10s`, `5m`, `1h` (no unit: milliseconds). */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  const mult = m ? DURATION_MS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || mult === undefined)
    throw new UnitError(
      UnitErrorCode.BadDuration,
      text,
      'is not a duration: use whole milliseconds (250) or a unit: 250ms, 10s, 5m, 1h',
    );
  const ms = Number(m[1]) * mult;
  if (!Number.isSafeInteger(ms))
    throw new UnitError(UnitErrorCode.BadDuration, text, 'is too large for a duration');
  return ms;
}
