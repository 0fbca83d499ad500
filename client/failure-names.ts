// A finished job's failures as the CLI prints them: with their names and messages from the job's report, since
// history keeps only indexes (lib/anonymous-failure.ts). Best effort: a report this host cannot read (no
// credentials for the bucket, a job from before report parts) leaves `#index`, and the summary says where the
// names are.
import type { MigrationReport } from '../common/schemas.js';

export async function withFailureNames(r: MigrationReport, jobId: string): Promise<MigrationReport> {
  const anonymous = r.failures.filter((f) => f.name === `#${f.index}`);
  if (anonymous.length === 0) return r;
  try {
    const [{ openBucket }, { jobFiles }, { rowsAt }] = await Promise.all([
      import('../lib/buckets/index.js'),
      import('../lib/job-files.js'),
      import('../lib/failure-names.js'),
    ]);
    const rows = await rowsAt(
      jobFiles(await openBucket(r.destination), jobId),
      anonymous.map((f) => f.index),
    );
    return {
      ...r,
      failures: r.failures.map((f) => {
        const row = f.name === `#${f.index}` ? rows.get(f.index) : undefined;
        return row ? { ...f, name: row.name, message: row.message ?? f.message } : f;
      }),
    };
  } catch {
    return r;
  }
}
