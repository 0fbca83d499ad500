// History budget end to end: a job large enough to cross several continue-as-new runs, copied by a real
// `ferry worker` from a real `ferry serve`. No single run may exceed its event budget; continue-as-new must
// carry the job over several runs (cursor, totals) and still land every object.
//
// The property does not depend on the size of the job, only on how many events a run may hold. The test
// lowers the workflow's continue-as-new threshold (`options.continueAsNewAtEvents`, a bounded input option
// meant for tests) so that a few thousand names cross many runs in well under a minute — instead of 100,000
// names at the production threshold (4,000 events), which took ~10 minutes. The job is started through the
// Temporal client, as the option has no CLI flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { JobOptionsSchema, type MigrationInput, type MigrationReport } from '../../common/schemas.js';
import { migrationWorkflow } from '../../workflows/index.js';
import { FerryHarness, makeDataset } from '../helpers/cli.js';
import { listedRuns } from '../helpers/scale.js';

const OBJECTS = 5000;
/** The lowered threshold (the schema bounds it to 200..4000) and small batches: many activities per run. */
const THRESHOLD = 300;
const BATCH = 10;
/**
 * Per-run budget: the threshold plus what the run adds after it stops dispatching (it drains the in-flight
 * window — about six events per batch — then continues as new). Temporal's hard limit is 51,200 events.
 */
const MAX_EVENTS_PER_RUN = THRESHOLD + 200;

test(
  `${OBJECTS} objects in batches of ${BATCH}: continue-as-new at ${THRESHOLD} events, every run within ${MAX_EVENTS_PER_RUN}`,
  { timeout: 600_000 },
  async (t) => {
    const h = new FerryHarness(t, 'history');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const name = (i: number) => `f-${String(i).padStart(5, '0')}.bin`;
    makeDataset(src, { count: OBJECTS, name, size: [16, 64], seed: 3 });
    const { url } = await h.serve(src);
    await h.worker();

    const t0 = Date.now();
    const client = await h.temporal();
    const jobId = `dnl-history-${h.taskQueue.slice(-12)}`;
    const options = JobOptionsSchema.parse({ batchSize: BATCH, continueAsNewAtEvents: THRESHOLD });
    const input = {
      source: {
        kind: 'template',
        baseUrl: `${url}/`,
        template: `f-{00000..${String(OBJECTS - 1).padStart(5, '0')}}.bin`,
      },
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
    assert.equal(report.totals.failed, 0);
    assert.equal(report.totals.copied + report.totals.skipped, OBJECTS);

    // Every object landed (names only: the crash test checks bytes).
    const present = new Set(readdirSync(bucket).filter((n) => n !== '.ferry'));
    assert.equal(present.size, OBJECTS);
    for (let i = 0; i < OBJECTS; i++) if (!present.has(name(i))) assert.fail(`missing ${name(i)}`);

    const runs = await listedRuns(client, jobId, report.runs);
    const lengths = runs.map((w) => w.historyLength);
    const largest = Math.max(...lengths);
    console.log(
      `# history: threshold ${THRESHOLD} (lowered), ` +
        `runs ${runs.length}, largest ${largest} events, duration ${seconds.toFixed(1)} s ` +
        `(per run: ${lengths.join(', ')}; report: runs ${report.runs}, maxHistoryEvents ${report.maxHistoryEvents})`,
    );
    assert.equal(runs.length, report.runs, 'visibility and the report disagree on the number of runs');
    assert.ok(runs.length > 1, 'continue-as-new never happened');
    assert.equal(runs.filter((w) => w.status.name === 'CONTINUED_AS_NEW').length, runs.length - 1);
    assert.ok(largest <= MAX_EVENTS_PER_RUN, `a run had ${largest} history events`);
    assert.ok(report.maxHistoryEvents >= THRESHOLD && report.maxHistoryEvents <= MAX_EVENTS_PER_RUN);
    // The report's figure is taken just before each continue-as-new, a few events short of the run's end.
    assert.ok(report.maxHistoryEvents <= largest);
  },
);
