// The scale proof of whole trees in `npm test` (bench/scale.ts holds the million-file one), beside
// manifest-scale.test.ts: 100,000 files in 100 folders, names with spaces, walked through ferry serve's listing
// (no names given) in a real job across continue-as-new runs (threshold lowered through the workflow input, as
// history.test.ts). Every file lands once, byte-identical; no run's history passes its budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compareTrees, listFiles } from '../helpers/cli.js';
import { listedRuns, runJob, scaleOptions, scaleSource } from '../helpers/scale.js';

const OBJECTS = 100_000;
const DIRS = 100;
const BATCH = 250;
/** Lowered from the production 4,000 so that the job crosses several runs; the budget is 10,000 per run. */
const THRESHOLD = 800;

test(
  `a whole tree of ${OBJECTS} files walked through a real job: every file, each run within budget`,
  { timeout: 1_800_000 },
  async (t) => {
    const name = (i: number) => `d ${String(i % DIRS).padStart(3, '0')}/f ${String(i).padStart(6, '0')}.bin`;
    const { h, src, names } = scaleSource(t, 'tree-scale', OBJECTS, name, 4);
    const { url } = await h.serve(src);
    await h.worker();
    const bucket = join(h.dir, 'bucket');
    const jobId = `pre-tree-scale-${h.taskQueue.slice(-12)}`;
    const { client, report, seconds } = await runJob(h, jobId, {
      source: { kind: 'listing', baseUrl: `${url}/` },
      destination: bucket,
      options: scaleOptions(BATCH, THRESHOLD),
    });
    assert.equal(report.state, 'completed', JSON.stringify(report.failures.slice(0, 5)));
    assert.equal(report.total, OBJECTS);
    assert.equal(report.totals.copied, OBJECTS);
    const present = await listFiles(bucket, { skip: ['.ferry'] });
    assert.equal(present.length, OBJECTS);

    const runs = await listedRuns(client, jobId, report.runs);
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
