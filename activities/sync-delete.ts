// --sync: after a job copied everything, delete the destination objects under the bucket URI that are not in the
// job's source set. Membership is decided without expanding the template (lib/source-names.ts).
import { Context } from '@temporalio/activity';
import { openBucket, type Bucket } from '../lib/buckets/index.js';
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
  /** The first few deleted names, for the report. */
  sample: string[];
}

/** Concurrent deletes: per-object requests on S3/AIS, so a few in flight make a large cleanup bearable. */
const DELETE_CONCURRENCY = 16;
const SAMPLE = 20;

interface SyncCheckpoint extends SyncDeleteOutput {
  /** Listing token of the next page; a retry resumes there. */
  token?: string;
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
  return deleteExtraneous(await open(input.destination), isName);
}

/**
 * Delete every object of `bucket` (under its URI's prefix; never the job's `.ferry/` files, which list() hides)
 * that `keep` refuses, resuming from the heartbeat of an earlier attempt. Used by both --sync activities.
 */
export async function deleteExtraneous(
  bucket: Bucket,
  keep: (name: string) => boolean,
): Promise<SyncDeleteOutput> {
  const ctx = Context.current();
  const prev = ctx.info.heartbeatDetails as SyncCheckpoint | undefined;
  const out: SyncDeleteOutput = {
    deleted: prev?.deleted ?? 0,
    sample: [...(prev?.sample ?? [])],
  };
  let token = prev?.token;
  do {
    ctx.cancellationSignal.throwIfAborted();
    const page = await bucket.list({ ...(token ? { token } : {}), limit: 1000 });
    const extra = page.items.filter((it) => !keep(it.name)).map((it) => it.name);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < extra.length) {
        const name = extra[next++]!;
        await bucket.delete(name);
        out.deleted++;
        if (out.sample.length < SAMPLE) out.sample.push(name);
        ctx.heartbeat({ ...out, ...(token ? { token } : {}) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, extra.length) }, lane));
    token = page.next;
    ctx.heartbeat({ ...out, ...(token ? { token } : {}) });
  } while (token);
  return out;
}
