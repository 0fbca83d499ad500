// Activity factory: activities that need dependencies get them from here (STYLE.md), and workflows proxy
// `ReturnType<typeof createActivities>` so they import types only.
import { hostname } from 'node:os';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { BucketUriError } from '../common/bucket-uri.js';
import { ErrorType } from '../common/errors.js';
import { openBucket } from '../lib/buckets/index.js';
import { copyBatch } from './copy-batch.js';
import { toApplicationFailure } from '../lib/classify-error.js';
import { makeServeDirectory } from './serve-directory.js';
import { sourceMatcher, syncDelete, type SourceNames } from './sync-delete.js';

export interface ActivityDeps {
  /** Root directory this worker may serve (`ferry worker --serve-root`); undefined = none. */
  serveRoot?: string;
  /** Lazily connected client, used by serveDirectory to signal its URL back to the workflow. */
  client?: () => Promise<Client>;
  advertiseHost?: string;
  bind?: string;
}

export function createActivities(deps: ActivityDeps = {}) {
  return {
    async greet(input: { name: string }): Promise<string> {
      return `hello ${input.name} from ${hostname()}`;
    },

    /** Create the destination bucket iff it is missing. */
    async prepareBucket(input: { destination: string }): Promise<{ created: boolean }> {
      try {
        return await (await openBucket(input.destination)).ensure();
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
        return await (
          await openBucket(input.destination)
        ).cleanupJob(input.jobId, {
          ...(input.startedAtMs !== undefined ? { startedAtMs: input.startedAtMs } : {}),
          ...(input.source ? { isName: sourceMatcher(input.source) } : {}),
        });
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    /** --sync: delete destination objects (under the bucket URI) that are not among the job's names. */
    async syncDelete(input: Parameters<typeof syncDelete>[0]): ReturnType<typeof syncDelete> {
      try {
        return await syncDelete(input);
      } catch (err) {
        if (err instanceof CancelledFailure) throw err;
        throw toApplicationFailure(err);
      }
    },

    copyBatch,
    serveDirectory: makeServeDirectory(deps),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
