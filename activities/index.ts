// Activity factory: every activity is built here from its dependencies (STYLE.md), so a test hands in its own
// and nothing reads process state; workflows proxy `ReturnType<typeof createActivities>` and import types only.
import { hostname } from 'node:os';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { BucketUriError } from '../common/bucket-uri.js';
import { ErrorType } from '../common/errors.js';
import { openBucket as openCachedBucket, type Bucket } from '../lib/buckets/index.js';
import { toApplicationFailure } from '../lib/classify-error.js';
import { createOrigin, type Origin } from '../lib/origin.js';
import { CHECKPOINT_EVERY_MS, makeCopyBatch } from './copy-batch.js';
import { makeScanListing } from './scan-listing.js';
import { makeScanManifest } from './scan-manifest.js';
import { makeServeDirectory } from './serve-directory.js';
import { serveAuthHeaders } from '../lib/serve-token.js';
import { sourceMatcher, type SourceNames } from '../lib/source-names.js';
import { syncDelete, type SyncDeleteInput } from './sync-delete.js';
import { jobFiles } from '../lib/job-files.js';
import { compactJobReport } from './compact-report.js';
import { syncScanned, type SyncScannedInput } from './sync-scanned.js';
import { sharedListing } from '../lib/listing/cache.js';
import { withHeaders } from '../lib/listing/fetch.js';
import { makeVerifyActivities } from './verify.js';

export interface ActivityDeps {
  /** Root directory this worker may serve (`ferry worker --serve-root`); undefined = none. */
  serveRoot?: string;
  /** Lazily connected client, used by serveDirectory to signal its URL back to the workflow. */
  client?: () => Promise<Client>;
  advertiseHost?: string;
  bind?: string;
  /** HTTP client of the origin. @default createOrigin() with default timeouts, one pool per createActivities */
  origin?: Origin;
  /** Bucket URI → bucket. @default lib/buckets openBucket (one Bucket per URI per process) */
  openBucket?: (uri: string) => Promise<Bucket>;
  /** How often copyBatch hands its checkpoint to the SDK between objects. @default {@link CHECKPOINT_EVERY_MS} */
  checkpointEveryMs?: number;
  /** Called once per object committed by copyBatch (crash tests count double writes). @default none */
  putJournal?: (name: string) => void;
  /** serveDirectory's running file servers, closed by the worker plugin when its worker stops. @default none */
  openServers?: Set<{ close(): Promise<void> }>;
  /**
   * FERRY_SERVE_SECRET: the same on every worker of a deployment. serveDirectory derives its job's token from it
   * (and may then bind a non-loopback address); copyBatch derives the same to send (lib/serve-token.ts).
   */
  serveSecret?: string;
  /** FERRY_SERVE_PROCESSES: processes of serveDirectory's file server (lib/file-server/cluster.ts). @default 1 */
  serveProcesses?: number;
}

export function createActivities(deps: ActivityDeps = {}) {
  const open = deps.openBucket ?? openCachedBucket;
  const origin = deps.origin ?? createOrigin();
  const copyBatch = makeCopyBatch({
    origin,
    openBucket: open,
    checkpointEveryMs: deps.checkpointEveryMs ?? CHECKPOINT_EVERY_MS,
    ...(deps.putJournal ? { putJournal: deps.putJournal } : {}),
    templates: new Map(),
    originHeaders: (jobId) => serveAuthHeaders(deps.serveSecret, jobId),
  });
  return {
    async greet(input: { name: string }): Promise<string> {
      return `hello ${input.name} from ${hostname()}`;
    },

    /** Create the destination bucket iff it is missing. */
    async prepareBucket(input: { destination: string }): Promise<{ created: boolean }> {
      try {
        return await (await open(input.destination)).ensure();
      } catch (err) {
        if (err instanceof BucketUriError)
          throw ApplicationFailure.create({
            type: ErrorType.InvalidInput,
            message: err.message,
            nonRetryable: true,
          });
        throw toApplicationFailure(err);
      }
    },

    /**
     * Remove what the job may have left half-done (temp files, incomplete multipart uploads). `startedAtMs` and
     * `source` tell stores that cannot label an upload with its job (S3) which leftovers are the job's.
     */
    async finalizeJob(input: {
      destination: string;
      jobId: string;
      startedAtMs?: number;
      source?: SourceNames;
    }): Promise<{ removed: number }> {
      try {
        const bucket = await open(input.destination);
        const out = await bucket.cleanupJob(input.jobId, {
          ...(input.startedAtMs !== undefined ? { startedAtMs: input.startedAtMs } : {}),
          ...(input.source ? { isName: sourceMatcher(input.source) } : {}),
        });
        // Temp files of job files (report parts) whose writer was killed: every attempt of the job has ended.
        out.removed += await jobFiles(bucket, input.jobId).removeTemp();
        await compactJobReport(bucket, input.jobId);
        return out;
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /** --sync: delete destination objects (under the bucket URI) that are not among the job's names. */
    async syncDelete(input: SyncDeleteInput): ReturnType<typeof syncDelete> {
      try {
        return await syncDelete(input, open);
      } catch (err) {
        if (err instanceof CancelledFailure) throw err;
        throw toApplicationFailure(err);
      }
    },

    /** --sync of a whole listing, tree or manifest: the source read into a set of hashes, then as syncDelete. */
    async syncScanned(input: SyncScannedInput): ReturnType<typeof syncScanned> {
      try {
        const headers = serveAuthHeaders(deps.serveSecret, input.jobId);
        return await syncScanned(input, { openBucket: open, list: withHeaders(sharedListing(), headers) });
      } catch (err) {
        if (err instanceof CancelledFailure) throw err;
        throw toApplicationFailure(err);
      }
    },

    copyBatch,
    serveDirectory: makeServeDirectory(deps),
    scanListing: makeScanListing({ originHeaders: (id) => serveAuthHeaders(deps.serveSecret, id) }),
    scanManifest: makeScanManifest(open),
    ...makeVerifyActivities({ openBucket: open, origin }),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
