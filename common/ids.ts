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
