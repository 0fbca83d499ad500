// History budget end to end: 100,000 names in batches of 16 (6,250 copyBatch activities) through
// `ferry migrate`. No single run of the workflow may exceed 10,000 history events; continue-as-new must
// carry the job over several runs and still land every object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { MigrationReport } from '../../common/schemas.js';
import { FerryHarness, makeDataset } from '../helpers/cli.js';

const OBJECTS = 100_000;
/** Small batches: many activities, so that the history budget, not the data, is what is tested. */
const BATCH = 16;
/** What we hold each run to (Temporal's own hard limit is 51,200 events; its warning starts at 10,240). */
const MAX_EVENTS_PER_RUN = 10_000;

test(
  `${OBJECTS} objects in batches of ${BATCH}: every run's history stays under ${MAX_EVENTS_PER_RUN} events`,
  { timeout: 900_000 },
  async (t) => {
    const h = new FerryHarness(t, 'history');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const name = (i: number) => `f-${String(i).padStart(6, '0')}.bin`;
    let t0 = Date.now();
    makeDataset(src, { count: OBJECTS, name, size: [16, 64], seed: 3 });
    const genSeconds = (Date.now() - t0) / 1000;

    t0 = Date.now();
    const r = await h.run(
      [
        'migrate',
        src,
        bucket,
        '--template',
        `f-{000000..${String(OBJECTS - 1).padStart(6, '0')}}.bin`,
        '--batch-size',
        String(BATCH),
        '-q',
      ],
      { timeoutMs: 840_000 },
    );
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, `migrate failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    const jobId = r.stdout.split('\n')[0]!.trim();
    assert.match(jobId, /^mig-[0-9a-f]+$/);
    assert.match(r.stdout, new RegExp(`job ${jobId} completed: ${OBJECTS} copied`));

    const client = await h.temporal();
    const report = (await client.workflow.getHandle(jobId).result()) as MigrationReport;
    assert.equal(report.state, 'completed');
    assert.equal(report.total, OBJECTS);
    assert.equal(report.totals.failed, 0);
    assert.equal(report.totals.copied + report.totals.skipped, OBJECTS);

    // Every object landed (names only: the crash test checks bytes).
    const present = new Set(readdirSync(bucket).filter((n) => n !== '.ferry'));
    assert.equal(present.size, OBJECTS);
    for (let i = 0; i < OBJECTS; i++) if (!present.has(name(i))) assert.fail(`missing ${name(i)}`);

    // Every run of the workflow, from the server's visibility store (eventually consistent: wait until the
    // last run shows as completed and the run count matches the report).
    let runs: WorkflowExecutionInfo[] = [];
    for (let tries = 0; tries < 100; tries++) {
      runs = [];
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${jobId}'` })) runs.push(wf);
      if (runs.length >= report.runs && runs.some((w) => w.status.name === 'COMPLETED')) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const lengths = runs.map((w) => w.historyLength);
    const largest = Math.max(...lengths);
    console.log(
      `# history: runs ${runs.length}, largest ${largest} events, duration ${seconds.toFixed(1)} s ` +
        `(per run: ${lengths.join(', ')}; report: runs ${report.runs}, maxHistoryEvents ${report.maxHistoryEvents}; ` +
        `dataset generated in ${genSeconds.toFixed(1)} s)`,
    );
    assert.equal(runs.length, report.runs, 'visibility and the report disagree on the number of runs');
    assert.ok(runs.length > 1, 'continue-as-new never happened');
    assert.equal(runs.filter((w) => w.status.name === 'CONTINUED_AS_NEW').length, runs.length - 1);
    assert.ok(largest <= MAX_EVENTS_PER_RUN, `a run had ${largest} history events`);
    assert.ok(report.maxHistoryEvents > 0 && report.maxHistoryEvents <= MAX_EVENTS_PER_RUN);
    // The report's figure is taken just before each continue-as-new, a few events short of the run's end.
    assert.ok(report.maxHistoryEvents <= largest);
  },
);
