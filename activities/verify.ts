// The activities of `ferry job verify` (workflows/verify.ts). The job's report parts are the work list:
// scanReportBatches pages through their batch folders (`report/<first index>/`, keys of positions, never names);
// verifyBatch reads one folder's rows (the latest row per index wins, as in the report), re-reads each object
// the job copied (or, in mode `all`, also skipped), and writes the outcomes as one part of its own,
// `verify/<verify id>/<first index>.jsonl`. Rewriting that part whole makes a retried batch idempotent.
import { createInterface } from 'node:readline';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../common/errors.js';
import { jsonlLine, parseJsonlLine, REPORT_DIR, type ReportRow } from '../common/report.js';
import { listParts, mergeParts } from '../lib/report-merge.js';
import { emptyVerifyTotals, type VerifyMode, type VerifyTotals } from '../common/verify.js';
import type { Bucket } from '../lib/buckets/index.js';
import { toApplicationFailure } from '../lib/classify-error.js';
import { jobFiles, type JobFiles } from '../lib/job-files.js';
import type { Origin } from '../lib/origin.js';
import { copyPathHasher, verifyObject, type Hasher } from '../lib/verify-object.js';

export interface VerifyDeps {
  openBucket: (uri: string) => Promise<Bucket>;
  origin: Origin;
  /** Checksum algorithms verify can recompute. @default the copy path's (lib/checksum.ts) */
  hasher?: Hasher;
}

/** Folder of one verification's outcome parts under the job's files. */
export function verifyDir(verifyId: string): string {
  return `verify/${verifyId}/`;
}

export function makeVerifyActivities(deps: VerifyDeps) {
  const hasher = deps.hasher ?? copyPathHasher;
  return {
    /** The next `limit` batch folders of the job's report after `after` (a folder key), and whether that was all. */
    async scanReportBatches(input: {
      destination: string;
      jobId: string;
      after?: string;
      limit: number;
    }): Promise<{ keys: string[]; done: boolean }> {
      try {
        const files = jobFiles(await deps.openBucket(input.destination), input.jobId);
        const keys: string[] = [];
        // From the last folder on, not from the start: a report of 20,000 folders is listed once in all.
        for await (const { file: f } of listParts(files, REPORT_DIR, input.after)) {
          const key = f.rel.slice(0, f.rel.lastIndexOf('/') + 1);
          if ((input.after !== undefined && key <= input.after) || keys.at(-1) === key) continue;
          if (keys.length === input.limit) return { keys, done: false };
          keys.push(key);
        }
        if (keys.length === 0 && input.after === undefined)
          throw ApplicationFailure.create({
            type: ErrorType.InvalidInput,
            message: `${files.where}: job ${input.jobId} has no per-object report to verify against (a job of an older ferry, or one that copied nothing)`,
            nonRetryable: true,
          });
        return { keys, done: true };
      } catch (err) {
        throw err instanceof ApplicationFailure ? err : toApplicationFailure(err);
      }
    },

    async verifyBatch(input: {
      destination: string;
      jobId: string;
      verifyId: string;
      key: string;
      mode: VerifyMode;
      concurrency: number;
      sourceBaseUrl?: string;
    }): Promise<VerifyTotals> {
      const ctx = Context.current();
      const signal = ctx.cancellationSignal;
      try {
        const bucket = await deps.openBucket(input.destination);
        const files = jobFiles(bucket, input.jobId);
        const wanted = input.mode === 'all' ? new Set(['copied', 'skipped']) : new Set(['copied']);
        const rows = [...(await latestRows(files, input.key)).values()]
          .filter((r) => wanted.has(r.outcome))
          .sort((a, b) => a.index - b.index);
        const out: ReportRow[] = new Array<ReportRow>(rows.length);
        const totals = emptyVerifyTotals();
        const origin = input.sourceBaseUrl ? deps.origin.forBatch(input.concurrency) : undefined;
        let next = 0;
        const lane = async () => {
          while (next < rows.length) {
            const i = next++;
            const r = rows[i]!;
            signal.throwIfAborted();
            const v = await verifyObject(bucket, r, {
              hasher,
              signal,
              ...(origin ? { origin: { baseUrl: input.sourceBaseUrl!, client: origin } } : {}),
            });
            totals[v.outcome]++;
            totals.bytes += v.bytes;
            out[i] = {
              index: r.index,
              name: r.name,
              outcome: v.outcome,
              ...(v.size !== undefined ? { size: v.size } : {}),
              ...(v.checksum !== undefined ? { checksum: v.checksum } : {}),
              ...(v.message !== undefined ? { message: v.message } : {}),
            };
            ctx.heartbeat();
          }
        };
        try {
          await Promise.all(Array.from({ length: Math.min(input.concurrency, rows.length) }, lane));
        } finally {
          await origin?.close();
        }
        const first = input.key.slice(REPORT_DIR.length, -1);
        await files.put(
          `${verifyDir(input.verifyId)}${first}.jsonl`,
          Buffer.from(out.map(jsonlLine).join('')),
        );
        return totals;
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },
  };
}

/** The rows of one batch folder, the latest part's row winning per index. */
async function latestRows(files: JobFiles, key: string): Promise<Map<number, ReportRow>> {
  // The folder's parts merged as the report is (a compacted segment keeps each row's own order key).
  const byIndex = new Map<number, ReportRow>();
  for await (const { row } of mergeParts(files, listParts(files, key))) byIndex.set(row.index, row);
  return byIndex;
}

/** Rows of one JSONL file of the job's files (lines that are not rows are skipped). */
export async function* readRows(files: JobFiles, rel: string): AsyncGenerator<ReportRow> {
  const body = await files.read(rel);
  if (!body) return;
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
    if (!line) continue;
    const row = parseJsonlLine(line);
    if (row) yield row;
  }
}
