// History budget of a whole-tree job: a listing source large enough to cross several continue-as-new runs
// (threshold lowered, as in history.test.ts). The walk's cursor rides across runs; every file lands once, and
// no run exceeds its budget — batches add only their boundary key to history, never names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JobOptionsSchema, type MigrationInput, type MigrationReport } from '../../common/schemas.js';
import { migrationWorkflow } from '../../workflows/index.js';
import { FerryHarness, listFiles, makeDataset } from '../helpers/cli.js';
import { listedRuns } from '../helpers/scale.js';

const DIRS = 20;
const PER_DIR = 100;
const OBJECTS = DIRS * PER_DIR;
const THRESHOLD = 300;
const BATCH = 10;
const MAX_EVENTS_PER_RUN = THRESHOLD + 200;

test(
  `whole tree of ${OBJECTS} files in ${DIRS} dirs, batches of ${BATCH}: continue-as-new carries the walk`,
  { timeout: 600_000 },
  async (t) => {
    const h = new FerryHarness(t, 'tree-history');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const name = (i: number) =>
      `d-${String(i % DIRS).padStart(2, '0')}/f ${String(Math.floor(i / DIRS)).padStart(3, '0')}.bin`;
    const { names } = makeDataset(src, { count: OBJECTS, name, size: [16, 64], seed: 5 });
    const { url } = await h.serve(src);
    await h.worker();

    const t0 = Date.now();
    const client = await h.temporal();
    const jobId = `pre-tree-history-${h.taskQueue.slice(-12)}`;
    const options = JobOptionsSchema.parse({ batchSize: BATCH, continueAsNewAtEvents: THRESHOLD });
    const input = {
      source: { kind: 'listing', baseUrl: `${url}/` },
      destination: bucket,
      options,
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

    const present = (await listFiles(bucket, { skip: ['.ferry'] })).sort();
    assert.deepEqual(present, [...names].sort());

    const runs = await listedRuns(client, jobId, report.runs);
    const lengths = runs.map((w) => w.historyLength);
    const largest = Math.max(...lengths);
    const events = lengths.reduce((a, b) => a + b, 0);
    console.log(
      `# tree history: ${OBJECTS} files, ${OBJECTS / BATCH} batches, runs ${runs.length}, largest ${largest} events, ` +
        `${(events / (OBJECTS / BATCH)).toFixed(2)} events per batch overall, ${seconds.toFixed(1)} s ` +
        `(per run: ${lengths.join(', ')})`,
    );
    assert.ok(runs.length > 1, 'continue-as-new never happened');
    assert.ok(largest <= MAX_EVENTS_PER_RUN, `a run had ${largest} history events`);
  },
);
