// scanListing: walks a listing source forward from `afterKey` and returns only where its next batches end —
// the last key of each run of `batchSize` names, at most `maxBatches` of them — so the workflow's history holds
// one key per batch, never the names. Retried from the same `afterKey`, it returns the same boundaries while
// the tree is unchanged (lib/listing/walk.ts: one total order).
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { ErrorType } from '../common/errors.js';
import {
  ScanListingInputSchema,
  formatZodError,
  type ScanListingInput,
  type ScanListingOutput,
} from '../common/schemas.js';
import { toApplicationFailure } from '../lib/classify-error.js';
import { sharedListing } from '../lib/listing/cache.js';
import type { FetchListing } from '../lib/listing/fetch.js';
import { keyFilter } from '../lib/listing/filter.js';
import { walkListing } from '../lib/listing/walk.js';

export interface ScanListingDeps {
  /** @default lib/listing sharedListing() (one keep-alive pool and listing cache per process) */
  list?: FetchListing;
  /** Headers a listing of workflow `workflowId` sends (a migration's file-server token, lib/serve-token.ts). */
  originHeaders?: (workflowId: string) => Record<string, string> | undefined;
}

export function makeScanListing(deps: ScanListingDeps = {}) {
  const list = deps.list ?? sharedListing();
  return async function scanListing(raw: ScanListingInput): Promise<ScanListingOutput> {
    const parsed = ScanListingInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: ErrorType.InvalidInput,
        message: formatZodError(parsed.error, 'scanListing input'),
        nonRetryable: true,
      });
    }
    const { baseUrl, afterKey, batchSize, maxBatches, filter } = parsed.data;
    const ctx = Context.current();
    const batches: ScanListingOutput['batches'] = [];
    let count = 0;
    let last: string | undefined;
    let seen = 0;
    const headers = deps.originHeaders?.(ctx.info.workflowExecution?.workflowId ?? '');
    const beatingList: FetchListing = async (url, signal) => {
      ctx.heartbeat();
      return list(url, signal, headers);
    };
    try {
      for await (const it of walkListing(baseUrl, afterKey, {
        list: beatingList,
        accept: filter ? keyFilter(filter) : undefined,
        signal: ctx.cancellationSignal,
        warn: (m) => {
          log.warn(`scanListing: ${m}`);
        },
      })) {
        count++;
        last = it.key;
        if (++seen % 1000 === 0) ctx.heartbeat();
        if (count === batchSize) {
          batches.push({ lastKey: last, count });
          count = 0;
          if (batches.length >= maxBatches) return { batches, done: false };
        }
      }
    } catch (err) {
      throw toApplicationFailure(err);
    }
    if (count > 0 && last !== undefined) batches.push({ lastKey: last, count });
    return { batches, done: true };
  };
}
