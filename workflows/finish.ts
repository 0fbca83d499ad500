// The end every job shares, whatever its source: stop step 1's file server (if the job had one), publish the
// final state, let the handlers finish, and build the report. Kept in one place so the template/list path
// (migration.ts) and the listing path (listing-job.ts) cannot drift apart — and so both emit the same
// commands in the same order (cancel the serve child, upsert the final state), as the replay corpus pins.
import {
  allHandlersFinished,
  condition,
  executeChild,
  getExternalWorkflowHandle,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowType } from '../common/queues.js';
import type { Carry, JobOptions, MigrationReport } from '../common/schemas.js';
import { verifyWorkflowId, type VerifyInput, type VerifyReport } from '../common/verify.js';
import type { Ledger } from './ledger.js';
import { finalState, reportState, type JobStatus } from './progress.js';

export interface FinishJob {
  status: JobStatus;
  publish: () => void;
  ledger: Ledger;
  carry: Carry;
  /** The serve child to cancel, for jobs whose step 1 serves a directory. */
  serveId: string | undefined;
  source: string;
  destination: string;
  total: number;
  cursor: MigrationReport['cursor'];
  sync?: MigrationReport['sync'];
  /** --verify: the mode, when asked for (absent in inputs from before --verify: no new commands for them). */
  verify?: JobOptions['verify'];
}

export async function finishJob(f: FinishJob): Promise<MigrationReport> {
  if (f.serveId !== undefined) {
    await getExternalWorkflowHandle(f.serveId)
      .cancel()
      .catch(() => undefined);
  }
  f.status.state = finalState(f.status.stopRequested, f.ledger.totals.failed);
  // --verify: the last phase, only for a job that copied everything it was asked to (a stopped job or one with
  // failures is resumed first). A child workflow, so it shows in the UI and survives worker loss like the copy.
  let verify: MigrationReport['verify'];
  if (f.verify && f.verify !== 'none' && !f.status.stopRequested && f.ledger.totals.failed === 0) {
    const jobId = workflowInfo().workflowId;
    const workflowId = verifyWorkflowId(jobId);
    const input: VerifyInput = { jobId, destination: f.destination, mode: f.verify };
    const v = await executeChild<(i: VerifyInput) => Promise<VerifyReport>>(WorkflowType.verify, {
      workflowId,
      args: [input],
      staticSummary: `ferry verify of ${jobId} (${f.verify})`,
    });
    verify = {
      state: v.state,
      verified: v.totals.verified,
      mismatch: v.totals.mismatch,
      missing: v.totals.missing,
      workflowId,
    };
  }
  f.publish();
  await condition(allHandlersFinished);
  const { totals, failures, failedRanges } = f.ledger.report();
  return {
    state: reportState(f.status.state),
    source: f.source,
    destination: f.destination,
    total: f.total,
    totals,
    failures,
    failedRanges,
    durationMs: Date.now() - f.carry.startedAtMs,
    runs: f.carry.runs,
    maxHistoryEvents: Math.max(f.carry.maxHistoryEvents, workflowInfo().historyLength),
    cursor: f.cursor,
    ...(f.sync ? { sync: f.sync } : {}),
    ...(verify ? { verify } : {}),
  };
}
