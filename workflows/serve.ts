// serveWorkflow: holds the long-running serveDirectory activity on the data host's task queue. It is a child
// of the migration started with ParentClosePolicy ABANDON, so it survives the migration's continue-as-new;
// the migration cancels it when the copy is done.
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../common/errors.js';
import type { FerryActivities } from '../activities/index.js';

export interface ServeWorkflowInput {
  root: string;
  hostQueue: string;
  /** The migration to notify of the served URL. */
  migrationWorkflowId: string;
}

export async function serveWorkflow(input: ServeWorkflowInput): Promise<void> {
  const { serveDirectory } = proxyActivities<FerryActivities>({
    taskQueue: input.hostQueue,
    // Serves until cancelled; liveness comes from heartbeats (the activity beats every 2 s).
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '15 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A dead data-host worker is a wait, not a failure: retry without limit, backing off to 30 s.
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
    },
  });
  try {
    await serveDirectory({ root: input.root, workflowId: input.migrationWorkflowId });
  } catch (err) {
    if (isCancellation(err)) return;
    throw err;
  }
  void CancellationScope; // (kept for readers: cancellation arrives through the workflow's root scope)
}
