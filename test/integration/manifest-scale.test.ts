// The scale proof of manifests in `npm test` (bench/ holds the million-line one): 100,000 files through a
// 100,000-line manifest (`find -printf '%P\t%s'`-style, with sizes, read by the workers from a file:// path) in
// a real job across continue-as-new runs (threshold lowered through the workflow input, as history.test.ts).
// Every object lands once, byte-identical; no run's history passes its budget; the input stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTrees, listFiles } from '../helpers/cli.js';
import { listedRuns, runJob, scaleOptions, scaleSource } from '../helpers/scale.js';

const OBJECTS = 100_000;
const DIRS = 100;
const BATCH = 250;
/** Lowered from the production 4,000 so that the job crosses several runs; the budget is 10,000 per run. */
const THRESHOLD = 800;

test(
  `a ${OBJECTS}-line manifest through a real job: every object, each run within budget`,
  { timeout: 1_800_000 },
  async (t) => {
    const name = (i: number) => `d${String(i % DIRS).padStart(3, '0')}/o ${String(i).padStart(6, '0')}.bin`;
    const { h, src, names } = scaleSource(t, 'mf-scale', OBJECTS, name, 3);
    const manifest = join(h.dir, 'manifest.tsv');
    writeFileSync(manifest, names.map((n) => `${n}\t16\n`).join(''));
    const { url } = await h.serve(src);
    await h.worker();
    const bucket = join(h.dir, 'bucket');
    const jobId = `dnl-mf-scale-${h.taskQueue.slice(-12)}`;
    const { client, report, seconds } = await runJob(h, jobId, {
      source: { kind: 'manifest', baseUrl: `${url}/`, manifest: { uri: `file://${manifest}` } },
      destination: bucket,
      options: scaleOptions(BATCH, THRESHOLD),
    });
    assert.equal(report.state, 'completed');
    assert.equal(report.total, OBJECTS);
    assert.equal(report.totals.copied, OBJECTS);
    const present = await listFiles(bucket, { skip: ['.ferry'] });
    assert.equal(present.length, OBJECTS);

    const runs = await listedRuns(client, jobId, report.runs);
    const lengths = runs.map((w) => w.historyLength);
    const largest = Math.max(...lengths);
    console.log(
      `# manifest scale: ${OBJECTS} objects in ${seconds.toFixed(0)} s (${(OBJECTS / seconds).toFixed(0)} obj/s), ` +
        `runs ${runs.length}, largest run ${largest} events (per run: ${lengths.join(', ')})`,
    );
    assert.ok(largest < 10_000, `a run had ${largest} history events`);
    assert.deepEqual(await compareTrees(src, bucket, names), { missing: [], different: [], extra: [] });
    assert.ok(report.maxHistoryEvents < 10_000);
  },
);
