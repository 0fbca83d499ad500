/**
 * Bucket URIs: where a copy goes.
 *
 * | Input                             | Result                                                |
 * |-----------------------------------|-------------------------------------------------------|
 * | `/data/out`, `file:///data/out`   | `{ provider: 'file', path: '/data/out', prefix: '' }` |
 * | `s3://bucket`, `s3://bucket/p/`   | `{ provider: 's3', bucket: 'bucket', prefix: 'p/' }`  |
 * | `ais://bucket/p`                  | `{ provider: 'ais', bucket: 'bucket', prefix: 'p' }`  |
 *
 * Endpoints and credentials are deliberately not part of a URI: they live in the worker's environment
 * (`AWS_*`, `AWS_ENDPOINT_URL`, `AIS_ENDPOINT`), never in workflow input or history. Relative paths are rejected
 * because this module has no working directory; the CLI resolves them first.
 *
 * Pure and deterministic: imported by workflow code.
 */
import { InputError } from './errors.js';
import { validateObjectName } from './names.js';

export type BucketProvider = 'file' | 's3' | 'ais';

/** A parsed destination. `prefix` is prepended verbatim to every object name (`'p/'` and `'p'` differ). */
export type BucketUri =
  | {
      provider: 'file';
      /** Absolute, normalized, no trailing slash. */
      path: string;
      prefix: '';
    }
  | { provider: 's3' | 'ais'; bucket: string; prefix: string };

/** Schemes {@link parseBucketUri} accepts, in the order error messages list them. */
export const SUPPORTED_BUCKET_SCHEMES = ['file', 's3', 'ais'] as const;

/**
 * AIStore's `ValidateName` sets no length limit; an AIS bucket is a directory on every mountpath, so the
 * filesystem's NAME_MAX (255 bytes on Linux) is the real one, and names are ASCII-only, so bytes = characters.
 */
export const MAX_AIS_BUCKET_NAME_LENGTH = 255;

/** Stable error codes of {@link BucketUriError}. */
export const BucketUriErrorCode = {
  Empty: 'FERRY_ERR_BUCKET_URI_EMPTY',
  RelativePath: 'FERRY_ERR_BUCKET_URI_RELATIVE_PATH',
  UnsupportedScheme: 'FERRY_ERR_BUCKET_URI_UNSUPPORTED_SCHEME',
  Malformed: 'FERRY_ERR_BUCKET_URI_MALFORMED',
  Credentials: 'FERRY_ERR_BUCKET_URI_CREDENTIALS',
  Query: 'FERRY_ERR_BUCKET_URI_QUERY',
  Fragment: 'FERRY_ERR_BUCKET_URI_FRAGMENT',
  FileHost: 'FERRY_ERR_BUCKET_URI_FILE_HOST',
  BadPath: 'FERRY_ERR_BUCKET_URI_BAD_PATH',
  BadBucketName: 'FERRY_ERR_BUCKET_URI_BAD_BUCKET_NAME',
  BadPrefix: 'FERRY_ERR_BUCKET_URI_BAD_PREFIX',
  NamespaceUnsupported: 'FERRY_ERR_BUCKET_URI_NAMESPACE_UNSUPPORTED',
} as const;
export type BucketUriErrorCode = (typeof BucketUriErrorCode)[keyof typeof BucketUriErrorCode];

/** A destination the user typed is wrong. The message names the URI (with any credentials redacted). */
export class BucketUriError extends InputError {
  override readonly name = 'BucketUriError';
  /** What is wrong, without the "invalid bucket URI ..." preamble. */
  readonly detail: string;

  constructor(
    override readonly code: BucketUriErrorCode,
    /** The URI as given, except that credentials are replaced by `***`. */
    readonly input: string,
    detail: string,
  ) {
    super(code, `invalid bucket URI ${JSON.stringify(input)}: ${detail}`);
    this.detail = detail;
  }
}

/**
 * Parses `file:///abs/path`, `/abs/path`, `s3://bucket[/prefix]` or `ais://bucket[/prefix]`.
 * Scheme names are case-insensitive; everything else is taken as typed. `file:` URIs are percent-decoded
 * (RFC 8089, like Node's `fileURLToPath`); bare paths and bucket prefixes are not.
 * @throws BucketUriError
 */
export function parseBucketUri(text: string): BucketUri {
  if (text === '') throw new BucketUriError(BucketUriErrorCode.Empty, text, 'empty destination');
  if (text.startsWith('/')) return { provider: 'file', path: normalizePath(text, text), prefix: '' };

  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text)?.[1];
  if (scheme === undefined) {
    throw new BucketUriError(
      BucketUriErrorCode.RelativePath,
      text,
      'relative paths are not accepted here: give an absolute path (/data/out), file:///..., s3://... or ais://...',
    );
  }
  const lower = scheme.toLowerCase();
  if (!isSupportedScheme(lower)) {
    const hint =
      lower === 'http' || lower === 'https' ? ' (an HTTP URL is a source to copy from, not a bucket)' : '';
    throw new BucketUriError(
      BucketUriErrorCode.UnsupportedScheme,
      text,
      `unsupported scheme "${scheme}://"${hint}; supported: ${SUPPORTED_BUCKET_SCHEMES.map((s) => `${s}://`).join(', ')} or an absolute path`,
    );
  }
  const afterScheme = text.slice(scheme.length + 1);
  if (!afterScheme.startsWith('//')) {
    throw new BucketUriError(
      BucketUriErrorCode.Malformed,
      text,
      `expected "${lower}://" followed by ${lower === 'file' ? 'an absolute path' : 'a bucket name'}`,
    );
  }
  const rest = afterScheme.slice(2);
  return lower === 'file' ? parseFileUri(text, rest) : parseObjectStoreUri(text, lower, rest);
}

/** The canonical URI of a parsed destination; `parseBucketUri(formatBucketUri(u))` deep-equals `u`. */
export function formatBucketUri(uri: BucketUri): string {
  if (uri.provider === 'file') return `file://${encodePath(uri.path)}`;
  return `${uri.provider}://${uri.bucket}${uri.prefix === '' ? '' : `/${uri.prefix}`}`;
}

/**
 * S3 general-purpose bucket naming rules that every S3 endpoint enforces: 3–63 characters; lowercase letters,
 * digits, `.` and `-`; starts and ends with a letter or digit; no `..`, `.-` or `-.` (every dot-separated part
 * must be a DNS label); not an IPv4 address. AWS-only reserved prefixes/suffixes (`xn--`, `-s3alias`, ...) are
 * left to AWS, since MinIO and other endpoints accept them.
 * @returns `null` when valid, otherwise the reason.
 */
export function validateS3BucketName(name: string): string | null {
  if (name.length < 3 || name.length > 63)
    return `S3 bucket names are 3-63 characters long (got ${name.length})`;
  const bad = /[^a-z0-9.-]/.exec(name);
  if (bad) {
    const upper = /[A-Z]/.test(bad[0]) ? ' (S3 bucket names are lowercase)' : '';
    return `invalid character ${JSON.stringify(bad[0])} at index ${bad.index}${upper}; allowed: a-z, 0-9, "." and "-"`;
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return 'S3 bucket names start and end with a letter or digit';
  for (const pair of ['..', '.-', '-.']) {
    if (name.includes(pair)) return `S3 bucket names cannot contain "${pair}"`;
  }
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'S3 bucket names cannot be IP addresses';
  return null;
}

/**
 * AIStore bucket naming rules (cmn/bck.go `ValidateName`, cos `IsAlphaPlus`): letters, digits, `-`, `_` and `.`,
 * not `.` alone and no `..`; plus {@link MAX_AIS_BUCKET_NAME_LENGTH}.
 * @returns `null` when valid, otherwise the reason.
 */
export function validateAisBucketName(name: string): string | null {
  if (name === '') return 'missing bucket name';
  if (name.length > MAX_AIS_BUCKET_NAME_LENGTH) {
    return `AIS bucket names are at most ${MAX_AIS_BUCKET_NAME_LENGTH} characters (got ${name.length})`;
  }
  const bad = /[^A-Za-z0-9._-]/.exec(name);
  if (bad)
    return `invalid character ${JSON.stringify(bad[0])} at index ${bad.index}; allowed: letters, digits, "-", "_" and "."`;
  if (name === '.' || name.includes('..')) return 'AIS bucket names cannot be "." or contain ".."';
  return null;
}

// --- internal ---

type Scheme = (typeof SUPPORTED_BUCKET_SCHEMES)[number];

function isSupportedScheme(s: string): s is Scheme {
  return (SUPPORTED_BUCKET_SCHEMES as readonly string[]).includes(s);
}

function parseFileUri(text: string, rest: string): BucketUri {
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  // RFC 8089: an empty host and "localhost" both mean this machine.
  if (host !== '' && host.toLowerCase() !== 'localhost') {
    throw new BucketUriError(
      BucketUriErrorCode.FileHost,
      text,
      `file URIs name local paths only, but this one names host "${host}" (did you mean file:///${rest}?)`,
    );
  }
  const encoded = slash === -1 ? '' : rest.slice(slash);
  if (encoded === '')
    throw new BucketUriError(BucketUriErrorCode.BadPath, text, 'missing path after file://');
  if (encoded.includes('?'))
    throw new BucketUriError(
      BucketUriErrorCode.Query,
      text,
      'a query string ("?...") is not allowed (encode "?" as %3F, or give a plain path)',
    );
  if (encoded.includes('#'))
    throw new BucketUriError(
      BucketUriErrorCode.Fragment,
      text,
      'a fragment ("#...") is not allowed (encode "#" as %23, or give a plain path)',
    );
  // Same refusal as Node's fileURLToPath: an encoded "/" would silently become a path separator.
  if (/%2f/i.test(encoded))
    throw new BucketUriError(
      BucketUriErrorCode.BadPath,
      text,
      'encoded "/" (%2F) is not allowed in a file path',
    );
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    throw new BucketUriError(BucketUriErrorCode.BadPath, text, 'malformed percent-encoding in the path');
  }
  return { provider: 'file', path: normalizePath(text, path), prefix: '' };
}

/**
 * Lexical normalization, like Node's path.posix.resolve (which the CLI uses for relative paths): collapses
 * "//", drops "." and resolves "..", so that one directory has one URI.
 */
function normalizePath(text: string, path: string): string {
  if (path.includes('\0'))
    throw new BucketUriError(BucketUriErrorCode.BadPath, text, 'NUL character in path');
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  // Writing a dataset's objects straight into "/" is never what anyone meant.
  if (parts.length === 0)
    throw new BucketUriError(BucketUriErrorCode.BadPath, text, 'the filesystem root cannot be a bucket');
  return `/${parts.join('/')}`;
}

function parseObjectStoreUri(text: string, provider: 's3' | 'ais', rest: string): BucketUri {
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);

  if (provider === 'ais' && (bucket.startsWith('@') || bucket.startsWith('#'))) {
    throw new BucketUriError(
      BucketUriErrorCode.NamespaceUnsupported,
      text,
      'AIS namespaces (ais://@uuid#namespace/bucket) are not supported; name a bucket of the cluster at AIS_ENDPOINT',
    );
  }
  // "@" or ":" before the first "/" is userinfo or host:port. Redact it: it may be a secret key.
  if (bucket.includes('@') || bucket.includes(':')) {
    throw new BucketUriError(
      BucketUriErrorCode.Credentials,
      `${provider}://***${slash === -1 ? '' : rest.slice(slash)}`,
      `expected a bucket name after ${provider}://, found credentials or host:port; ` +
        `endpoints and credentials come from the worker's environment (${provider === 's3' ? 'AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...' : 'AIS_ENDPOINT'})`,
    );
  }
  if (rest.includes('?'))
    throw new BucketUriError(BucketUriErrorCode.Query, text, 'a query string ("?...") is not allowed');
  if (rest.includes('#'))
    throw new BucketUriError(BucketUriErrorCode.Fragment, text, 'a fragment ("#...") is not allowed');

  const bucketProblem =
    bucket === ''
      ? 'missing bucket name'
      : provider === 's3'
        ? validateS3BucketName(bucket)
        : validateAisBucketName(bucket);
  if (bucketProblem !== null) throw new BucketUriError(BucketUriErrorCode.BadBucketName, text, bucketProblem);

  // A prefix must be able to start a valid object name: validate it as one, minus an optional trailing "/".
  if (prefix !== '') {
    const problem = validateObjectName(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    if (problem !== null)
      throw new BucketUriError(
        BucketUriErrorCode.BadPrefix,
        text,
        `object prefix ${JSON.stringify(prefix)}: ${problem}`,
      );
  }
  return { provider, bucket, prefix };
}

/** Escapes just what {@link parseFileUri} would otherwise misread (and invisible ASCII, for display). */
function encodePath(path: string): string {
  let out = '';
  for (const ch of path) {
    const c = ch.charCodeAt(0);
    out +=
      c <= 0x20 || c === 0x7f || ch === '%' || ch === '?' || ch === '#'
        ? `%${c.toString(16).toUpperCase().padStart(2, '0')}`
        : ch;
  }
  return out;
}
