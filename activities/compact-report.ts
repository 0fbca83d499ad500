// The report's compaction at the end of a job (lib/report-compact.ts), run inside finalizeJob after the last copy
// batch: no new activity, so no new workflow command and nothing for the replay corpus to pin. Best effort and
// bounded: finalizeJob runs under a 5-minute start-to-close timeout (workflows/activity-options.ts), so compaction
// starts no new segment after COMPACT_FOR_MS; what it leaves stays as parts (every reader reads both shapes) and
// the job's next finalizeJob (after `job resume`) goes on. A failure is logged, never the job's failure: the
// report is whole either way.
import { log } from '@temporalio/activity';
import type { Bucket } from '../lib/buckets/index.js';
import { jobFiles } from '../lib/job-files.js';
import { compactReport } from '../lib/report-compact.js';

/** Time compaction may take inside finalizeJob: well inside its 5-minute timeout, with cleanup before it. */
const COMPACT_FOR_MS = 3 * 60 * 1000;

export async function compactJobReport(bucket: Bucket, jobId: string): Promise<void> {
  try {
    const st = await compactReport(jobFiles(bucket, jobId), { deadlineMs: Date.now() + COMPACT_FOR_MS });
    if (st.segments > 0 || st.cutShort) log.info('report compacted', { jobId, ...st });
  } catch (err) {
    log.warn('report compaction failed; the report stays in parts', { jobId, error: String(err) });
  }
}
