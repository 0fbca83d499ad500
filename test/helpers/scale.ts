// What the scale and history tests share: run one migration on the harness's worker and wait
// for its report, then list every run of it from the server's visibility store.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import {
  JobOptionsSchema,
  type JobOptions,
  type MigrationInput,
  type MigrationReport,
} from '../../common/schemas.js';
import { migrationWorkflow } from '../../workflows/index.js';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { FerryHarness, makeDataset } from './cli.js';

/** A harness and `count` files of 16 bytes under its `src/`, named by `name`. */
export function scaleSource(
  t: TestContext,
  label: string,
  count: number,
  name: (i: number) => string,
  seed: number,
): { h: FerryHarness; src: string; names: string[] } {
  const h = new FerryHarness(t, label);
  const src = join(h.dir, 'src');
  const { names } = makeDataset(src, { count, name, size: 16, seed });
  return { h, src, names };
}

/** Batches of `batchSize`, 32 connections, a window of 8, continue-as-new lowered to `threshold` events. */
export function scaleOptions(batchSize: number, threshold: number): JobOptions {
  return JobOptionsSchema.parse({ batchSize, maxConns: 32, window: 8, continueAsNewAtEvents: threshold });
}

export async function runJob(
  h: FerryHarness,
  jobId: string,
  input: MigrationInput,
): Promise<{ client: Client; report: MigrationReport; seconds: number }> {
  const t0 = Date.now();
  const client = await h.temporal();
  const handle = await client.workflow.start(migrationWorkflow, {
    workflowId: jobId,
    taskQueue: h.taskQueue,
    args: [input],
  });
  const report = await handle.result();
  return { client, report, seconds: (Date.now() - t0) / 1000 };
}

/**
 * Every run of the job. The visibility store is eventually consistent: waits (on state, with a generous bound)
 * until it lists as many runs as the report counts, one of them completed.
 */
export async function listedRuns(
  client: Client,
  jobId: string,
  runs: number,
): Promise<WorkflowExecutionInfo[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const out: WorkflowExecutionInfo[] = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${jobId}'` })) out.push(wf);
    if ((out.length >= runs && out.some((w) => w.status.name === 'COMPLETED')) || Date.now() > deadline)
      return out;
    await new Promise((res) => setTimeout(res, 200));
  }
}
