// Activity factory: activities that need dependencies get them from here (STYLE.md), and workflows proxy
// `ReturnType<typeof createActivities>` so they import types only.
import { hostname } from 'node:os';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { BucketUriError } from '../common/bucket-uri.js';
import { ErrorType } from '../common/errors.js';
import { openBucket } from './buckets/index.js';
import { copyBatch } from './copy-batch.js';
import { toApplicationFailure } from './errors.js';
import { makeServeDirectory } from './serve.js';

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
        return await openBucket(input.destination).ensure();
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

    /** Remove what the job may have left half-done (temp files, incomplete multipart uploads). */
    async finalizeJob(input: { destination: string; jobId: string }): Promise<{ removed: number }> {
      try {
        return await openBucket(input.destination).cleanupJob(input.jobId);
      } catch (err) {
        throw toApplicationFailure(err);
      }
    },

    copyBatch,
    serveDirectory: makeServeDirectory(deps),
  };
}

export type FerryActivities = ReturnType<typeof createActivities>;
