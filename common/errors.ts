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
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Types that must never be retried by Temporal (used in activity retry policies). */
export const NON_RETRYABLE_TYPES: readonly ErrorType[] = [
  ErrorType.InvalidInput,
  ErrorType.InvalidName,
  ErrorType.SourceNotFound,
  ErrorType.SourceForbidden,
  ErrorType.SourceRejected,
  ErrorType.DestinationForbidden,
  ErrorType.DestinationFull,
  ErrorType.DestinationNotFound,
  ErrorType.DestinationRejected,
  ErrorType.ServeRootDenied,
];

export function isRetryableType(type: string): boolean {
  return !(NON_RETRYABLE_TYPES as readonly string[]).includes(type);
}
