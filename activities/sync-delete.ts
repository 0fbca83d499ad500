// --sync: after a job copied everything, delete the destination objects under the bucket URI that are not in the
// job's source set. Membership is decided without expanding the template (lib/source-names.ts).
import { Context } from '@temporalio/activity';
import { openBucket, type Bucket } from '../lib/buckets/index.js';
import { jobFiles } from '../lib/job-files.js';
import type { KeyFilterSpec } from '../lib/listing/filter.js';
import { keepOnSync, sourceMatcher, type SourceNames } from '../lib/source-names.js';

export interface SyncDeleteInput {
  destination: string;
  jobId: string;
  source: SourceNames;
  /** The job's --include/--exclude/--prefix: as rclone's sync, a name they exclude is never deleted. */
  filter?: KeyFilterSpec;
}

export interface SyncDeleteOutput {
  /** Objects under the destination that were not in the source set, now deleted. */
  deleted: number;
  /** Releases before `listedIn`: the first few deleted names (history holds no names now). */
  sample?: string[];
  /** Where the deleted names are listed: `<destination>/.ferry/jobs/<job>/sync/`, one JSONL file per page. */
  listedIn?: string;
}

/** Concurrent deletes: per-object requests on S3/AIS, so a few in flight make a large cleanup bearable. */
const DELETE_CONCURRENCY = 16;

interface SyncCheckpoint extends SyncDeleteOutput {
  /** Listing token of the next page; a retry resumes there. */
  token?: string;
  /** Pages whose names were written: the next page's file number. */
  page?: number;
}

/**
 * The activity: delete what is not a source name, page by page. Heartbeats after each page (counts + the next
 * page's token), so a retry resumes from the page it was on; deletes are idempotent.
 */
export async function syncDelete(
  input: SyncDeleteInput,
  open: (uri: string) => Promise<Bucket> = openBucket,
): Promise<SyncDeleteOutput> {
  const isName = keepOnSync(sourceMatcher(input.source), input.filter);
  return deleteExtraneous(await open(input.destination), isName, input.jobId);
}

/**
 * Delete every object of `bucket` (under its URI's prefix; never the job's `.ferry/` files, which list() hides)
 * that `keep` refuses, resuming from the heartbeat of an earlier attempt. Used by both --sync activities.
 * Each page's names are written to the job's files before any of them is deleted
 * (`sync/deleted-<page>-<attempt>.jsonl`, a JSON string per line), so every deleted object is named somewhere,
 * but not in history.
 */
export async function deleteExtraneous(
  bucket: Bucket,
  keep: (name: string) => boolean,
  jobId: string,
): Promise<SyncDeleteOutput> {
  const ctx = Context.current();
  const files = jobFiles(bucket, jobId);
  const prev = ctx.info.heartbeatDetails as SyncCheckpoint | undefined;
  const out = { deleted: prev?.deleted ?? 0, listedIn: `${files.where}sync/` };
  let page = prev?.page ?? 0;
  let token = prev?.token;
  const beat = () => ctx.heartbeat({ deleted: out.deleted, page, ...(token ? { token } : {}) });
  do {
    ctx.cancellationSignal.throwIfAborted();
    const listed = await bucket.list({ ...(token ? { token } : {}), limit: 1000 });
    const extra = listed.items.filter((it) => !keep(it.name)).map((it) => it.name);
    // Per attempt: a retry lists this page again without what the last attempt already deleted, so it must not
    // replace that attempt's file (the files' union names every deleted object; a name may appear twice).
    if (extra.length)
      await files.put(
        `sync/deleted-${String(page).padStart(6, '0')}-${ctx.info.attempt}.jsonl`,
        Buffer.from(extra.map((n) => JSON.stringify(n) + '\n').join('')),
      );
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < extra.length) {
        const name = extra[next++]!;
        await bucket.delete(name);
        out.deleted++;
        beat();
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, extra.length) }, lane));
    if (extra.length) page++;
    token = listed.next;
    beat();
  } while (token);
  return out;
}
