// Retry and timeout presets of the activities the workflows schedule. Changing a value changes what new
// schedules carry; the values are those the recorded histories (test/histories/) were made with.
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../common/errors.js';

/** Short bookkeeping activities (prepareBucket, finalizeJob). */
export function shortActivityOptions(): ActivityOptions {
  return {
    startToCloseTimeout: '5 minutes',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/** syncDelete lists the whole destination: it may run long, so liveness comes from heartbeats (one per page). */
export function syncActivityOptions(): ActivityOptions {
  return {
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '60 seconds',
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 10,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/** copyBatch, with the job's `retries` as its attempt budget. */
export function copyBatchOptions(retries: number): ActivityOptions {
  return {
    // A batch may stream gigabytes; liveness comes from heartbeats (every second), not from this bound.
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '10 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // Transient failures back off up to a minute and give up after ~15 minutes; what is left is reported as
    // failed (retryable) and `ferry job resume` picks it up.
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '60 seconds',
      maximumAttempts: retries,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/** serveDirectory on the data host's queue: serves until cancelled. */
export function serveActivityOptions(hostQueue: string): ActivityOptions {
  return {
    taskQueue: hostQueue,
    // Liveness comes from heartbeats (the activity beats every 2 s).
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '15 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A dead data-host worker is a wait, not a failure: retry without limit, backing off to 30 s.
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/**
 * scanListing walks listing pages (a page of a million-entry directory takes seconds): liveness comes from
 * heartbeats (one per page and per 1,000 names). Transient origin errors back off as copy batches do.
 */
export function scanActivityOptions(): ActivityOptions {
  return {
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '60 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '60 seconds',
      maximumAttempts: 20,
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  };
}

/**
 * verifyBatch re-reads a batch's objects (gigabytes, perhaps) and scanReportBatches lists report parts: liveness from
 * heartbeats, transient errors backed off as scans are.
 */
export function verifyActivityOptions(): ActivityOptions {
  return { ...scanActivityOptions(), startToCloseTimeout: '24 hours' };
}
