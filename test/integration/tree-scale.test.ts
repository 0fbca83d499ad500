// The scale proof of whole trees in `npm test` (bench/scale.ts holds the million-file one), beside
// manifest-scale.test.ts: 100,000 files in 100 folders, names with spaces, walked through ferry serve's listing
// (no names given) in a real job across continue-as-new runs (threshold lowered through the workflow input, as
// history.test.ts). Every file lands once, byte-identical; no run's history passes its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { JobOptionsSchema, type MigrationInput, type MigrationReport } from '../../common/schemas.js';
import { migrationWorkflow } from '../../workflows/index.js';
import { FerryHarness, compareTrees, listFiles, makeDataset } from '../helpers/cli.js';

const OBJECTS = 100_000;
const DIRS = 100;
const BATCH = 250;
/** Lowered from the production 4,000 so that the job crosses several runs; the budget is 10,000 per run. */
const THRESHOLD = 800;

test(
  `a whole tree of ${OBJECTS} files walked through a real job: every file, each run within budget`,
  { timeout: 1_800_000 },
  async (t) => {
    const h = new FerryHarness(t, 'tree-scale');
    const src = join(h.dir, 'src');
    const name = (i: number) => `d ${String(i % DIRS).padStart(3, '0')}/f ${String(i).padStart(6, '0')}.bin`;
    const { names } = makeDataset(src, { count: OBJECTS, name, size: 16, seed: 4 });
    const { url } = await h.serve(src);
    await h.worker();
    const bucket = join(h.dir, 'bucket');
    const t0 = Date.now();
    const client = await h.temporal();
    const jobId = `pre-tree-scale-${h.taskQueue.slice(-12)}`;
    const input = {
      source: { kind: 'listing', baseUrl: `${url}/` },
      destination: bucket,
      options: JobOptionsSchema.parse({
        batchSize: BATCH,
        maxConns: 32,
        window: 8,
        continueAsNewAtEvents: THRESHOLD,
      }),
    } satisfies MigrationInput;
    const handle = await client.workflow.start(migrationWorkflow, {
      workflowId: jobId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    const report: MigrationReport = await handle.result();
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(report.state, 'completed', JSON.stringify(report.failures.slice(0, 5)));
    assert.equal(report.total, OBJECTS);
    assert.equal(report.totals.copied, OBJECTS);
    const present = await listFiles(bucket, { skip: ['.ferry'] });
    assert.equal(present.length, OBJECTS);

    // Visibility lags the result: wait until every run of the job is listed.
    let runs: WorkflowExecutionInfo[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      runs = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${jobId}'` })) runs.push(wf);
      if (runs.length >= report.runs && runs.some((w) => w.status.name === 'COMPLETED')) break;
      if (Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const lengths = runs.map((w) => w.historyLength);
    const largest = Math.max(...lengths);
    console.log(
      `# tree scale: ${OBJECTS} files in ${seconds.toFixed(0)} s (${(OBJECTS / seconds).toFixed(0)} obj/s), ` +
        `runs ${runs.length}, largest run ${largest} events (per run: ${lengths.join(', ')})`,
    );
    assert.ok(runs.length > 1, 'continue-as-new never happened');
    assert.ok(largest < 10_000, `a run had ${largest} history events`);
    assert.deepEqual(await compareTrees(src, bucket, names), { missing: [], different: [], extra: [] });
    assert.ok(report.maxHistoryEvents < 10_000);
  },
);
