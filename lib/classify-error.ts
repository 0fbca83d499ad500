// The one function that maps undici / fs / S3 / HTTP status errors onto ferry's error vocabulary
// (common/errors.ts): retryable or not is decided here and nowhere else.
import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType, InputError, isRetryableType } from '../common/errors.js';

export interface Classified {
  type: ErrorType;
  retryable: boolean;
  message: string;
  /** The origin asked for this much quiet (429/503 with Retry-After), capped at {@link MAX_RETRY_AFTER_MS}. */
  retryAfterMs?: number;
}

/**
 * The longest Retry-After honoured: an origin that asks for a day (or sends a date far away) gets ten minutes,
 * and the batch's retry budget decides after that; a job must not sit silent for hours on one header.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; milliseconds from `now`, capped; else undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    // An HTTP-date names its day and month (V8's Date.parse would take "-1" as a year).
    const at = /^[A-Za-z]{3},? /.test(v) ? Date.parse(v) : NaN;
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** An error ferry raised itself, already classified. */
export class FerryError extends Error {
  override readonly name = 'FerryError';
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return isRetryableType(this.type);
  }
}

export function httpStatusError(status: number, url: string, retryAfter?: string): FerryError {
  const where = `GET ${redactUrl(url)}`;
  if (status === 404 || status === 410)
    return new FerryError(ErrorType.SourceNotFound, `${where}: ${status} not found`);
  if (status === 401 || status === 403)
    return new FerryError(ErrorType.SourceForbidden, `${where}: ${status} forbidden`);
  if (status === 408 || status === 429 || status >= 500) {
    // Retry-After is honoured where it means "come back later": 429 and 503 (RFC 9110 §15.6.4, RFC 6585 §4).
    const after = status === 429 || status === 503 ? parseRetryAfter(retryAfter) : undefined;
    if (after !== undefined)
      return new FerryError(
        ErrorType.SourceUnavailable,
        `${where}: ${status} (transient; Retry-After ${Math.ceil(after / 1000)} s)`,
        after,
      );
    return new FerryError(ErrorType.SourceUnavailable, `${where}: ${status} (transient)`);
  }
  return new FerryError(ErrorType.SourceRejected, `${where}: unexpected status ${status}`);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'ECONNABORTED',
  'UND_ERR_INFO',
]);

export function classifyError(err: unknown): Classified {
  if (err instanceof FerryError) {
    const c: Classified = { type: err.type, retryable: err.retryable, message: err.message };
    if (err.retryAfterMs !== undefined) c.retryAfterMs = err.retryAfterMs;
    return c;
  }
  // Bad input (a template, a bucket URI, a malformed FERRY_* knob) is permanent whatever raised it.
  if (err instanceof InputError) return { type: err.type, retryable: false, message: err.message };
  const e = err as {
    code?: string;
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')
    return { type: ErrorType.LengthMismatch, retryable: true, message };
  if (NETWORK_CODES.has(code))
    return { type: ErrorType.NetworkError, retryable: true, message: `${code}: ${message}` };
  // undici talks to the origin and to AIStore; its other errors are transport problems too (the AIS driver raises
  // FerryErrors for what AIStore answers); HTTPParserError (a malformed response) carries no code, only its name.
  if (String(code).startsWith('UND_ERR_') || e?.name === 'HTTPParserError')
    return { type: ErrorType.NetworkError, retryable: true, message: `${code || e?.name}: ${message}` };
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return {
      type: ErrorType.DestinationFull,
      retryable: false,
      message: `${code}: destination out of space`,
    };
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return { type: ErrorType.DestinationForbidden, retryable: false, message: `${code}: ${message}` };
  if (code === 'ENAMETOOLONG') return { type: ErrorType.InvalidName, retryable: false, message };
  const s3 = classifyS3(e);
  if (s3) return s3;
  // Anything unknown (I/O errors, 5xx from a destination, aborted streams) is treated as transient: a bounded
  // number of retries is cheaper than failing an object that would have copied on the next attempt.
  return {
    type: ErrorType.DestinationUnavailable,
    retryable: true,
    message: code ? `${code}: ${message}` : message,
  };
}

// S3 error codes (the SDK's `name`), by what they mean for a copy. Unlisted 4xx are DestinationRejected, 5xx
// DestinationUnavailable.
const S3_FORBIDDEN = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'AccountProblem',
  'CredentialsProviderError', // the SDK found no credentials at all
  'ExpiredToken',
  'InvalidAccessKeyId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);
const S3_FULL = new Set(['QuotaExceeded', 'XMinioStorageFull', 'XMinioAdminBucketQuotaExceeded']);
/** 4xx that a later attempt can get past: slow or cut bodies, corrupted bytes, throttling, a concurrent cleanup. */
const S3_TRANSIENT = new Set([
  'BadDigest',
  // MinIO's answer (status 499) when the request's connection broke before it was served: a partition mid-PUT.
  'ClientDisconnected',
  'IncompleteBody',
  'InvalidDigest',
  'NoSuchUpload',
  'OperationAborted',
  'RequestTimeTooSkewed',
  'RequestTimeout',
  'SlowDown',
  'ThrottlingException',
  'TimeoutError',
  'XAmzContentChecksumMismatch',
]);

function classifyS3(e: {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}): Classified | undefined {
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined && !S3_FORBIDDEN.has(name) && !S3_TRANSIENT.has(name)) return undefined;
  const raw = e?.message && e.message !== 'UnknownError' ? e.message : `HTTP ${status ?? '?'}`;
  const message = name && !raw.includes(name) ? `${name}: ${raw}` : raw;
  if (S3_FORBIDDEN.has(name) || status === 401 || status === 403)
    return { type: ErrorType.DestinationForbidden, retryable: false, message };
  if (name === 'NoSuchBucket') return { type: ErrorType.DestinationNotFound, retryable: false, message };
  if (S3_FULL.has(name) || status === 507)
    return { type: ErrorType.DestinationFull, retryable: false, message };
  if (S3_TRANSIENT.has(name) || status === 408 || status === 429 || status === 499 || (status ?? 500) >= 500)
    return { type: ErrorType.DestinationUnavailable, retryable: true, message };
  return { type: ErrorType.DestinationRejected, retryable: false, message };
}

/** Convert for the workflow boundary: typed, with nonRetryable set from the vocabulary. */
export function toApplicationFailure(err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const c = classifyError(err);
  return ApplicationFailure.create({
    type: c.type,
    message: c.message,
    nonRetryable: !c.retryable,
    ...(c.retryAfterMs ? { nextRetryDelay: c.retryAfterMs } : {}),
  });
}

/** Never let credentials embedded in a URL reach a log, report or history. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    for (const k of [...u.searchParams.keys()]) {
      if (/sig|token|key|secret|credential|password|auth/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
