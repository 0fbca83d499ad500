// The end every job shares, whatever its source: stop step 1's file server (if the job had one), publish the
// final state, let the handlers finish, and build the report. Kept in one place so the template/list path
// (migration.ts) and the listing path (listing-job.ts) cannot drift apart — and so both emit the same
// commands in the same order (cancel the serve child, upsert the final state), as the replay corpus pins.
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  workflowInfo,
} from '@temporalio/workflow';
import type { Carry, MigrationReport } from '../common/schemas.js';
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
}

export async function finishJob(f: FinishJob): Promise<MigrationReport> {
  if (f.serveId !== undefined) {
    await getExternalWorkflowHandle(f.serveId)
      .cancel()
      .catch(() => undefined);
  }
  f.status.state = finalState(f.status.stopRequested, f.ledger.totals.failed);
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
  };
}
