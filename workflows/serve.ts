// Step 1 of a `directory` source: serveWorkflow holds the long-running serveDirectory activity on the data
// host's task queue. It is a child of the migration started with ParentClosePolicy ABANDON, so it survives the
// migration's continue-as-new; the migration cancels it when the copy is done.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  condition,
  isCancellation,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import { ErrorType } from '../common/errors.js';
import { serveActivityOptions } from './activity-options.js';
import type { JobStatus } from './progress.js';

export interface ServeWorkflowInput {
  root: string;
  hostQueue: string;
  /** The migration to notify of the served URL. */
  migrationWorkflowId: string;
}

export async function serveWorkflow(input: ServeWorkflowInput): Promise<void> {
  const { serveDirectory } = proxyActivities<FerryActivities>(serveActivityOptions(input.hostQueue));
  try {
    await serveDirectory({ root: input.root, workflowId: input.migrationWorkflowId });
  } catch (err) {
    if (isCancellation(err)) return;
    throw err;
  }
  void CancellationScope; // (kept for readers: cancellation arrives through the workflow's root scope)
}

/**
 * The migration's side of step 1: start the serve child as `serveId` and wait until it signalled its URL
 * (status.servedUrl), failed, or the job was stopped. A failed child fails the job with its root cause's type.
 */
export async function startServing(
  dir: { root: string; hostQueue: string },
  jobId: string,
  serveId: string,
  status: JobStatus,
): Promise<void> {
  const child = await startChild(serveWorkflow, {
    workflowId: serveId,
    args: [{ root: dir.root, hostQueue: dir.hostQueue, migrationWorkflowId: jobId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  let serveFailure: unknown;
  child.result().catch((err: unknown) => {
    serveFailure = err;
  });
  await condition(() => status.servedUrl !== undefined || serveFailure !== undefined || status.stopRequested);
  if (serveFailure !== undefined && status.servedUrl === undefined) {
    // Surface the root cause (e.g. ServeRootDenied) as this job's failure, typed and non-retryable.
    const root = rootCause(serveFailure);
    throw ApplicationFailure.create({
      type: root instanceof ApplicationFailure && root.type ? root.type : ErrorType.ServeFailed,
      message: `step 1 (serve ${dir.root}) failed: ${root instanceof Error ? root.message : String(root)}`,
      nonRetryable: true,
    });
  }
}

// --- internal ---

function rootCause(err: unknown): unknown {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e;
}
