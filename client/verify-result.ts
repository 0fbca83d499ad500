// The end of `ferry job verify`: wait for the verification workflow, print its totals and the first objects that
// did not verify (read from the outcome parts in the job's files), write the whole outcome report when asked,
// and turn the result into the exit code: 0 only when every object verified.
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { ReportFormat, ReportRow } from '../common/report.js';
import type { VerifyReport } from '../common/verify.js';
import { readRows, verifyDir } from '../activities/verify.js';
import { openBucket } from '../lib/buckets/index.js';
import { jobFiles, type JobFiles } from '../lib/job-files.js';
import { CLIError, EXIT } from './errors.js';
import { parseReportTarget, writeReport } from '../lib/report-output.js';

export async function finishVerify(
  _client: Client,
  run: WorkflowHandle,
  destination: string,
  jobId: string,
  o: { quiet: boolean; show: number; report?: string; format?: ReportFormat },
): Promise<number> {
  let r: VerifyReport;
  try {
    r = (await run.result()) as VerifyReport;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    // An activity's failure arrives wrapped in an ActivityFailure; its type says whose fault it is.
    const cause = err.cause instanceof ActivityFailure ? (err.cause.cause ?? err.cause) : err.cause;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    throw new CLIError(
      `verify of job ${jobId} failed${type ? ` (${type})` : ''}: ${cause?.message ?? err.message}`,
      type === 'InvalidInput' ? EXIT.usage : EXIT.error,
    );
  }
  const files = jobFiles(await openBucket(destination), jobId);
  const dir = r.reportAt;
  if (!o.quiet) {
    const t = r.totals;
    console.log(
      `job ${jobId}: ${t.verified} verified, ${t.mismatch} mismatch, ${t.missing} missing (${t.bytes} bytes re-read)`,
    );
    let shown = 0;
    for await (const row of outcomeRows(files, dir)) {
      if (row.outcome === 'verified') continue;
      if (shown++ === o.show) {
        console.log(`  … and ${t.mismatch + t.missing - o.show} more (--report has them all)`);
        break;
      }
      console.log(`  ${row.outcome.padEnd(8)} ${row.name}${row.message ? `: ${row.message}` : ''}`);
    }
  }
  if (o.report) {
    const target = parseReportTarget(o.report);
    if (typeof target === 'string') throw new CLIError(target, EXIT.usage);
    await writeReport(outcomeRows(files, dir), o.format ?? 'jsonl', target);
  }
  return r.state === 'verified' ? EXIT.ok : EXIT.failures;
}

/** A verification's outcome rows in index order (one part per report batch, each sorted by index). */
async function* outcomeRows(files: JobFiles, dir: string): AsyncGenerator<ReportRow> {
  for await (const f of files.list(dir)) yield* readRows(files, f.rel);
}

export { verifyDir };
