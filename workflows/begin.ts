// The start every job shares, whatever its source: the ledger, the live status, the handlers and the first
// published state; step 1's serve child for a directory source (on the run that has no server yet); and the
// bucket prepared on the job's first run. One place for the template/list path (migration.ts) and the listing
// path (listing-job.ts), emitting the same commands in the same order, as the replay corpus pins.
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import type { Carry, JobOptions } from '../common/schemas.js';
import { shortActivityOptions } from './activity-options.js';
import { FAILURE_SAMPLE_PATCH, Ledger } from './ledger.js';
import { Publisher, type JobFacts, type JobStatus } from './progress.js';
import { initialStatus, installHandlers } from './run-state.js';
import { startServing } from './serve.js';

export interface BeginJob {
  /** The workflow input's carry, undefined on the job's first run. */
  inputCarry: Carry | undefined;
  carry: Carry;
  opts: JobOptions;
  facts: JobFacts;
  destination: string;
  /** The directory step 1 serves on its host, for directory and tree sources. */
  serve: { root: string; hostQueue: string } | undefined;
}

export interface JobRun {
  ledger: Ledger;
  status: JobStatus;
  publish: () => void;
  /** The serve child of this job (the one this run started, or the one the carry names). */
  serveId: string;
}

export async function beginJob(b: BeginJob): Promise<JobRun> {
  const { workflowId: jobId, runId } = workflowInfo();
  const ledger = new Ledger(b.carry, () => patched(FAILURE_SAMPLE_PATCH));
  const status = initialStatus(b.carry);
  const publisher = new Publisher(b.facts, status, b.opts, ledger);
  installHandlers(status, b.opts, publisher);
  const publish = () => publisher.publish();
  publish();

  // Step 1: serve the directory on its host, through a child that outlives our continue-as-new.
  // Unique per starting run: a resumed job must not collide with the previous run's server still stopping.
  let serveId = b.carry.serveId ?? `${jobId}-serve-${runId}`;
  if (b.serve && !b.carry.servedUrl) {
    serveId = `${jobId}-serve-${runId}`;
    await startServing(b.serve, jobId, serveId, status);
    publish();
  }
  if (!b.inputCarry) {
    await proxyActivities<FerryActivities>(shortActivityOptions()).prepareBucket({
      destination: b.destination,
    });
  }
  return { ledger, status, publish, serveId };
}
