// Job IDs: one prefix per kind of job, one format. Pure and workflow-safe: the random part is handed in
// (client/ids.ts draws it from node:crypto), so nothing here reads an entropy source.

export const JobKind = {
  download: 'download',
  prefetch: 'prefetch',
  migrate: 'migrate',
} as const;
export type JobKind = (typeof JobKind)[keyof typeof JobKind];

/** The ID prefix of each kind: `ferry show job` users tell jobs apart by it. */
export const JOB_ID_PREFIX: Readonly<Record<JobKind, string>> = {
  download: 'dnl',
  prefetch: 'pre',
  migrate: 'mig',
};

/** Bytes of randomness in an ID: 10 hex digits, 2^40 IDs, far beyond any one namespace's job count. */
export const JOB_ID_RANDOM_BYTES = 5;

/** `dnl-0a1b2c3d4e`: the prefix of `kind`, then `random` in lowercase hex. */
export function formatJobId(kind: JobKind, random: Uint8Array): string {
  if (random.length !== JOB_ID_RANDOM_BYTES)
    throw new RangeError(`a job ID takes ${JOB_ID_RANDOM_BYTES} random bytes, got ${random.length}`);
  let hex = '';
  for (const b of random) hex += b.toString(16).padStart(2, '0');
  return `${JOB_ID_PREFIX[kind]}-${hex}`;
}

/**
 * A schedule's ID (`ferry job schedule create ID`), which is also the workflow ID prefix of its runs: Temporal
 * starts each run as `<ID>-<scheduled time, RFC 3339 to the second>`, e.g. `nightly-2026-11-30T11:00:00Z`.
 * Kept to the characters of a job ID (plus upper case) so run IDs stay readable in paths, URLs and shells.
 */
export const SCHEDULE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** What is wrong with a schedule ID, or undefined. */
export function scheduleIdProblem(id: string): string | undefined {
  if (SCHEDULE_ID_RE.test(id)) return undefined;
  return `invalid schedule ID ${JSON.stringify(id)}: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

const SCHEDULED_RUN_RE = /^(.+)-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;

/** The schedule and scheduled time of a run's workflow ID (`<schedule ID>-<time>`), or undefined. */
export function scheduledRunOf(jobId: string): { scheduleId: string; at: string } | undefined {
  const m = SCHEDULED_RUN_RE.exec(jobId);
  return m && SCHEDULE_ID_RE.test(m[1]!) ? { scheduleId: m[1]!, at: m[2]! } : undefined;
}
