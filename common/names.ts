/**
 * Object-name rules shared by every bucket provider.
 *
 * The rules are the intersection of what S3, AIStore and a local filesystem bucket can all store under the
 * same name and list back unchanged, so one dataset can move between providers: at most 1024 UTF-8 bytes (S3's
 * key limit), no control characters, and a relative `/`-separated path without empty, `.` or `..` segments
 * (those would be normalized away or escape the bucket on a filesystem). Backslashes are rejected because a
 * Windows-made name like `a\b` means a directory to some tools and a plain character to others.
 *
 * Pure and deterministic: imported by workflow code.
 */
import { ErrorType, InputError } from './errors.js';

/** S3's (and AIStore's S3 API's) limit on an object key, in UTF-8 bytes. */
export const MAX_OBJECT_NAME_BYTES = 1024;

/**
 * Checks an object name against the rules above.
 *
 * Returns `null` when the name is fine, otherwise a one-line reason meant for people (the failure report, the
 * CLI), e.g. `control character U+000A (LF) at index 5`. Returning instead of throwing lets the copy activity
 * record a bad name as one failed object and keep going; callers that must stop wrap the reason in their own
 * typed error. Indexes are JavaScript string indexes (UTF-16 code units).
 */
export function validateObjectName(name: string): string | null {
  if (name === '') return 'empty name';

  let bytes = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return `control character ${describeControl(c)} at index ${i}`;
    if (c === 0x5c) return `backslash at index ${i} (use "/" to separate path segments)`;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate has no UTF-8 encoding: stores would silently replace it with U+FFFD.
      const next = name.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff))
        return `unpaired surrogate U+${hex(c)} at index ${i}`;
      bytes += 4;
      i++;
      continue;
    }
    // Counted by hand rather than with TextEncoder: same result for valid strings, no allocation per name.
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  if (bytes > MAX_OBJECT_NAME_BYTES)
    return `name is ${bytes} bytes of UTF-8, longer than ${MAX_OBJECT_NAME_BYTES}`;

  if (name.startsWith('/')) return 'name starts with "/" (object names are relative to the bucket)';
  let index = 0;
  for (const segment of name.split('/')) {
    if (segment === '')
      return `empty path segment at index ${index}${index === name.length ? ' (name ends with "/")' : ''}`;
    if (segment === '.' || segment === '..') return `"${segment}" path segment at index ${index}`;
    index += segment.length + 1;
  }
  return null;
}

/** Stable codes of {@link ObjectNameError}. */
export const ObjectNameErrorCode = {
  /** The name breaks a rule of {@link validateObjectName}. */
  Invalid: 'FERRY_ERR_NAME_INVALID',
  /** The same name is given twice (an object list). */
  Duplicate: 'FERRY_ERR_NAME_DUPLICATE',
} as const;
export type ObjectNameErrorCode = (typeof ObjectNameErrorCode)[keyof typeof ObjectNameErrorCode];

/**
 * For callers that must stop at a bad name (the CLI checking an object list) rather than record it: an
 * {@link InputError} whose Temporal type is `InvalidName`.
 */
export class ObjectNameError extends InputError {
  override readonly name = 'ObjectNameError';
  constructor(
    override readonly code: ObjectNameErrorCode,
    message: string,
  ) {
    super(code, message, { type: ErrorType.InvalidName });
  }
}

// --- internal ---

// C0 abbreviations from ISO 646 / Unicode, so a report says "LF" rather than making people look up U+000A.
// prettier-ignore
const C0_NAMES = [
  'NUL', 'SOH', 'STX', 'ETX', 'EOT', 'ENQ', 'ACK', 'BEL', 'BS', 'HT', 'LF', 'VT', 'FF', 'CR', 'SO', 'SI',
  'DLE', 'DC1', 'DC2', 'DC3', 'DC4', 'NAK', 'SYN', 'ETB', 'CAN', 'EM', 'SUB', 'ESC', 'FS', 'GS', 'RS', 'US',
];

function describeControl(c: number): string {
  const abbr = c === 0x7f ? 'DEL' : C0_NAMES[c];
  return abbr === undefined ? `U+${hex(c)}` : `U+${hex(c)} (${abbr})`;
}

function hex(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, '0');
}
