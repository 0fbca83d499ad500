// The one error vocabulary of ferry. Each `type` is a stable string: it is the ApplicationFailure type that
// crosses the workflow boundary, what RetryPolicy.nonRetryableErrorTypes matches, what reports record and
// what the README's error table documents. Branch on `type`, never on message text.

export const ErrorType = {
  /** Workflow or CLI input failed validation (template, bucket URI, option). Never retried. */
  InvalidInput: 'InvalidInput',
  /** An object name is unsafe or invalid for the destination (`..`, control chars, too long). Never retried. */
  InvalidName: 'InvalidName',
  /** Origin answered 404/410. Never retried within a job; `job resume` tries again. */
  SourceNotFound: 'SourceNotFound',
  /** Origin answered 401/403. Never retried. */
  SourceForbidden: 'SourceForbidden',
  /** Origin answered another 4xx (other than 408/429). Never retried. */
  SourceRejected: 'SourceRejected',
  /** Origin answered 5xx, 408 or 429. Retried with backoff. */
  SourceUnavailable: 'SourceUnavailable',
  /** Connection refused/reset, DNS failure, timeout. Retried with backoff. */
  NetworkError: 'NetworkError',
  /** Body shorter or longer than Content-Length. Retried with backoff. */
  LengthMismatch: 'LengthMismatch',
  /**
   * The bytes are not the ones expected: the store computed another checksum than ferry streamed, a range of a
   * parallel fetch came back for another range, or what arrived has another checksum than its manifest line
   * states (nothing committed). Never retried within a job; `job resume` copies it again.
   */
  ChecksumMismatch: 'ChecksumMismatch',
  /**
   * The source changed while it was fetched in parallel ranges (a range answered 412/200 to its If-Match /
   * If-Range). Retried: the retry fetches the new version from its start.
   */
  SourceChanged: 'SourceChanged',
  /** Destination rejected credentials or permissions. Never retried. */
  DestinationForbidden: 'DestinationForbidden',
  /** Destination is out of space (ENOSPC, EDQUOT). Never retried: it needs a person. */
  DestinationFull: 'DestinationFull',
  /** The destination bucket does not exist (deleted during the job). Never retried; `job resume` recreates it. */
  DestinationNotFound: 'DestinationNotFound',
  /** Destination refused the request as invalid (a 4xx other than auth, e.g. S3 InvalidArgument, metadata too large). Never retried. */
  DestinationRejected: 'DestinationRejected',
  /** Destination failed transiently (5xx, I/O error, outage). Retried with backoff. */
  DestinationUnavailable: 'DestinationUnavailable',
  /** A worker was asked to serve a directory outside its --serve-root. Never retried. */
  ServeRootDenied: 'ServeRootDenied',
  /** A batch still had transiently failing objects; the activity is retried and skips finished ones. */
  BatchIncomplete: 'BatchIncomplete',
  /** An attempt whose worker on this host is gone, handed back by a starting worker (worker/reclaim.ts). */
  WorkerLost: 'WorkerLost',
  /**
   * Step 1 of a directory migration (the serve child workflow) failed without a typed cause of its own. Never
   * retried: the job fails at once and `job resume` starts step 1 again.
   */
  ServeFailed: 'ServeFailed',
  /**
   * A whole copy batch failed without a readable checkpoint (e.g. its retries ran out on an untyped error); its
   * objects are reported failed and retryable, so `job resume` copies them again.
   */
  BatchFailed: 'BatchFailed',
  /**
   * What arrived disagrees with the manifest line that listed it: another size (another checksum is
   * ChecksumMismatch). Never retried and never committed (the origin holds another version than the manifest
   * describes).
   */
  ManifestMismatch: 'ManifestMismatch',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Types that must never be retried by Temporal (used in activity retry policies). */
export const NON_RETRYABLE_TYPES: readonly ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.InvalidName,
  ErrorType.SourceNotFound,
  ErrorType.SourceForbidden,
  ErrorType.SourceRejected,
  ErrorType.ChecksumMismatch,
  ErrorType.DestinationForbidden,
  ErrorType.DestinationFull,
  ErrorType.DestinationNotFound,
  ErrorType.DestinationRejected,
  ErrorType.ServeRootDenied,
  ErrorType.ServeFailed,
  ErrorType.ManifestMismatch,
];

export function isRetryableType(type: string): boolean {
  return !(NON_RETRYABLE_TYPES as readonly string[]).includes(type);
}

/**
 * The base of every error that says the user's input is wrong: a template, a bucket URI, a source URL, an
 * option, an environment variable. Such an error is never retried and never printed with a stack: the CLI
 * prints its message and exits 2.
 *
 * `code` is stable and in ONE naming scheme, `FERRY_ERR_<AREA>_<WHAT>` (upper snake case, as undici's
 * `UND_ERR_*`): `FERRY_ERR_TEMPLATE_BAD_RANGE`, `FERRY_ERR_BUCKET_URI_QUERY`, `FERRY_ERR_CONFIG_BAD_VALUE`.
 * Callers branch on `code` (or on `instanceof` a subclass), never on message text. Each subclass keeps its
 * codes in an `as const` table next to it (`TemplateErrorCode`, ...) and has a stable `name`.
 *
 * `type` is the {@link ErrorType} the error becomes when it crosses the workflow boundary (the classifier maps
 * it): `InvalidInput` unless a subclass says otherwise (`InvalidName` for object names).
 */
export class InputError extends Error {
  override readonly name: string = 'InputError';
  readonly type: ErrorType;
  constructor(
    readonly code: string,
    message: string,
    opts: { type?: ErrorType; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.type = opts.type ?? ErrorType.InvalidInput;
  }
}

/** The one shape of an input error code (see {@link InputError}). */
export const INPUT_ERROR_CODE = /^FERRY_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*$/;

/** The message of anything thrown: an Error's own, anything else as a string (one line for logs and CLI errors). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
