// `ferry show job ID --report FILE|BUCKET-URI [--format jsonl|csv]`: the job's per-object report, merged from
// the report parts its copy batches wrote under `.ferry/jobs/<job>/report/` in its destination
// (lib/report-merge.ts), streamed to a file, stdout or a bucket object. A running job's report is partial: the
// rows of every object finished so far (checkpointed ones at least).
import type { Connected } from './connection.js';
import { CLIError, EXIT } from './errors.js';
import type { ReportFormat, ReportRow } from '../common/report.js';
import type { MigrationReport } from '../common/schemas.js';

export async function showReport(
  conn: Connected,
  id: string,
  targetArg: string,
  formatArg: string | undefined,
): Promise<number> {
  const format = (formatArg ?? (/\.csv$/i.test(targetArg) ? 'csv' : 'jsonl')) as ReportFormat;
  if (format !== 'jsonl' && format !== 'csv')
    throw new CLIError(`--format ${formatArg}: use jsonl or csv`, EXIT.usage);
  const [{ parseReportTarget, writeReport }, { describeJob }, { inputOf }] = await Promise.all([
    import('../lib/report-output.js'),
    import('./job-state.js'),
    import('./report.js'),
  ]);
  const target = parseReportTarget(targetArg);
  if (typeof target === 'string') throw new CLIError(target, EXIT.usage);
  const desc = await describeJob(conn, id);
  const input = inputOf(conn.client, await conn.client.workflow.getHandle(id).fetchHistory());
  if (!input) throw new CLIError(`job ${id}: cannot read its destination from history`, EXIT.error);

  const [{ openBucket }, { jobFiles }, { hasReportParts, mergedRows }] = await Promise.all([
    import('../lib/buckets/index.js'),
    import('../lib/job-files.js'),
    import('../lib/report-merge.js'),
  ]);
  const files = jobFiles(await openBucket(input.destination), id);
  if (!(await hasReportParts(files))) {
    console.error(
      `ferry: job ${id} has no report parts in ${files.where} (a job started before per-object reports, or one ` +
        'that has not finished an object yet); `ferry show job ' +
        id +
        '` has its totals and first failures',
    );
    return EXIT.error;
  }
  const counts = new Map<string, number>();
  const tally = async function* (rows: AsyncIterable<ReportRow>) {
    for await (const r of rows) {
      counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
      yield r;
    }
  };
  const running = desc.status.name === 'RUNNING';
  let rows: AsyncIterable<ReportRow> = mergedRows(files);
  if (desc.status.name === 'COMPLETED') {
    // A finished job's failed ranges name objects no batch wrote a row for (a batch failed as a whole).
    const [report, { fillGaps, sourceNamer }] = await Promise.all([
      conn.client.workflow.getHandle(id).result() as Promise<MigrationReport>,
      import('../lib/report-gaps.js'),
    ]);
    rows = fillGaps(rows, report.failedRanges, sourceNamer(input));
  }
  const n = await writeReport(tally(rows), format, target);
  const by = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
  const where = target.kind === 'stdout' ? 'stdout' : target.kind === 'file' ? target.path : targetArg;
  console.error(
    `job ${id}: ${n} rows${by ? ` (${by})` : ''} written to ${where} as ${format}` +
      (running ? '; the job is still running, so the report is partial' : ''),
  );
  return EXIT.ok;
}
