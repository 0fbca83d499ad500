// --sync of a scanned source (a whole listing or tree, a manifest): after a failure-free copy, delete the
// destination objects that are not among the source's names, as `rclone sync` does — names the job's filter
// excludes are never deleted, nor the job's own `.ferry/` files. The source is read again here, once per
// attempt, into a set of hashes (lib/source-set.ts): no name enters history, and the destination is paged with
// the listing token heartbeated (activities/sync-delete.ts), so a retry resumes at the page it was on.
import { Context } from '@temporalio/activity';
import type { KeyFilterSpec } from '../lib/listing/filter.js';
import type { Bucket } from '../lib/buckets/index.js';
import type { FetchListing } from '../lib/listing/fetch.js';
import { sourceSetOf, type ScannedNames } from '../lib/source-set.js';
import { keepOnSync } from '../lib/source-names.js';
import { deleteExtraneous, type SyncDeleteOutput } from './sync-delete.js';

export interface SyncScannedInput {
  destination: string;
  jobId: string;
  source: ScannedNames;
  filter?: KeyFilterSpec;
}

export async function syncScanned(
  input: SyncScannedInput,
  deps: { openBucket: (uri: string) => Promise<Bucket>; list: FetchListing },
): Promise<SyncDeleteOutput> {
  const ctx = Context.current();
  // Read the source before the first delete: a source that cannot be read deletes nothing.
  const set = await sourceSetOf(input.source, {
    destination: input.destination,
    jobId: input.jobId,
    openBucket: deps.openBucket,
    list: deps.list,
    signal: ctx.cancellationSignal,
    // Keep an earlier attempt's progress in the details while the set is rebuilt.
    tick: () => ctx.heartbeat(ctx.info.heartbeatDetails),
  });
  return deleteExtraneous(
    await deps.openBucket(input.destination),
    keepOnSync((n) => set.has(n), input.filter),
    input.jobId,
  );
}
