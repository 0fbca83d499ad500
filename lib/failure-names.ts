// The names of failed objects, for the CLI's summaries: history names failures by index only
// (lib/anonymous-failure.ts), the job's report parts name them (lib/report-parts.ts). The merged report is read
// in index order up to the largest index asked for and no further, so naming a job's first failures reads only
// the start of its report.
import type { ReportRow } from '../common/report.js';
import type { JobFiles } from './job-files.js';
import { listParts, mergeParts } from './report-merge.js';

/** The report rows of `indexes` (those that have one), by index. */
export async function rowsAt(files: JobFiles, indexes: readonly number[]): Promise<Map<number, ReportRow>> {
  const want = new Set(indexes);
  const out = new Map<number, ReportRow>();
  if (want.size === 0) return out;
  const last = Math.max(...want);
  for await (const { row } of mergeParts(files, listParts(files))) {
    if (row.index > last) break;
    if (want.has(row.index)) out.set(row.index, row);
    if (out.size === want.size) break;
  }
  return out;
}
