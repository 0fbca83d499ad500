// The Temporal Web UI, checked as a person sees it: headless Chromium (Debian's package, scripts/browser.sh)
// opens the suite's dev server UI on a job's page.
//
//   running job: the summary (staticSummary), the details (staticDetails) and the live progress table
//                (current details, set by the workflow's publish()) with the counts the progress query reports
//   finished job with failures: the failure list, in the current details and in the result
//
// The running job is held running by state, not time: its origin parks every GET (gated origin) and the job is
// paused and unpaused around one opened gate, so some batches are done and others are parked when the page is
// read. Screenshots go to test-artifacts/ (printed); docs/img/ keeps one of each for the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FerryHarness } from '../helpers/cli.js';
import { startGatedOrigin } from '../helpers/gated-origin.js';
import { launchBrowser, openPage, openTab, screenshot, sectionText, uiUrl } from '../helpers/browser.js';

const OBJECTS = 60;

function makeSource(dir: string, count: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++)
    writeFileSync(join(dir, `o-${String(i).padStart(3, '0')}.bin`), Buffer.alloc(2048, i));
}

async function newPage(browser: Browser): Promise<Page> {
  // Wide enough for the user-metadata tab's two columns; one screen tall (the screenshots stay small).
  return browser.newPage({ viewport: { width: 1280, height: 900 } });
}

const jobUrl = (id: string) => `${uiUrl()}/namespaces/default/workflows/${encodeURIComponent(id)}`;

test('Web UI: a running job shows its summary, details and live progress table', async (t) => {
  const h = new FerryHarness(t, 'webui-run');
  const src = join(h.dir, 'src');
  makeSource(src, OBJECTS);
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await h.worker();

  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}o-{000..059}.bin`,
    join(h.dir, 'bucket'),
    '--batch-size',
    '5',
    '--desc',
    'web-ui check',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();

  // Some batches done, others parked: pause while the first ones wait, let them finish, hold the gate again
  // and unpause — the next batches park at the origin and the job stays running with done > 0.
  await origin.waitUntil((s) => s.held > 0, 'a batch waiting at the origin');
  assert.equal((await h.run(['job', 'pause', id])).code, 0);
  await h.waitForProgress(id, (p) => p.state === 'paused');
  origin.open();
  const paused = await h.waitForProgress(id, (p) => p.state === 'paused' && p.inFlightBatches === 0);
  assert.ok(paused.done > 0 && paused.done < OBJECTS, `some objects done while paused (${paused.done})`);
  origin.hold();
  assert.equal((await h.run(['job', 'unpause', id])).code, 0);
  await origin.waitUntil((s) => s.held > 0, 'a batch parked after unpause');
  const p = await h.waitForProgress(id, (q) => q.state === 'running' && q.inFlightBatches > 0);
  assert.equal(p.done, paused.done, 'nothing finished while the gate is held');

  const page = await newPage(browser);
  await openPage(page, jobUrl(id), `the page of running job ${id}`);
  await openTab(page, 'user-metadata-tab', /\/user-metadata$/, 'ui-running-no-tab');

  const summary = await sectionText(
    page,
    'Summary',
    (s) => s.includes(`ferry download: ${OBJECTS} objects`),
    {
      expect: `the job's summary "ferry download: ${OBJECTS} objects → …"`,
      shot: 'ui-running-summary',
    },
  );
  assert.match(summary, /→ file:\/\//);
  const details = await sectionText(page, 'Details', (s) => /source/.test(s) && /destination/.test(s), {
    expect: "the job's details (source, destination, objects, options)",
    shot: 'ui-running-details',
  });
  // A count, no names: start metadata is history too.
  assert.match(details, new RegExp(`objects: ${OBJECTS}\\b`));
  assert.doesNotMatch(details, /o-0\d\d\.bin/);
  assert.match(details, /options: max-conns \d+, batch-size 5/);
  assert.match(details, /description: web-ui check/);

  // The live table: the state line and the row of counts, equal to what the progress query answers.
  const pct = ((p.done / OBJECTS) * 100).toFixed(1);
  const live = await sectionText(
    page,
    'Current Details',
    (s) => s.includes(`running — ${p.done} / ${OBJECTS} objects (${pct}%)`),
    {
      expect: `the live progress "running — ${p.done} / ${OBJECTS} objects" and its table`,
      shot: 'ui-running-live',
    },
  );
  const rows = live.split('\n').map((l) => l.trim().split(/\s+/));
  const header = rows.findIndex(
    (r) => r.join(' ') === 'copied skipped failed bytes in-flight batches max conns',
  );
  assert.ok(header >= 0, `progress table header in the current details:\n${live}`);
  assert.deepEqual(
    rows[header + 1]!.map(Number),
    [p.totals.copied, p.totals.skipped, p.totals.failed, p.totals.bytes, p.inFlightBatches, p.maxConns],
    `progress table row:\n${live}`,
  );
  const shot = await screenshot(page, 'ui-running');
  console.log(`# screenshot of the running job's page: ${shot}`);
  origin.open();
});

test('Web UI: a finished job with failures lists them', async (t) => {
  const h = new FerryHarness(t, 'webui-fail');
  const src = join(h.dir, 'src');
  makeSource(src, 20);
  const missing = ['o-020.bin', 'o-021.bin', 'o-022.bin'];
  // History, and so the UI, names a failed object by its index; the report (`show job --report`) by name.
  const marks = ['#20', '#21', '#22'];
  const origin = await startGatedOrigin(src, { held: false });
  t.after(() => origin.close());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  await h.worker();

  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}o-{000..022}.bin`,
    join(h.dir, 'bucket'),
    '--batch-size',
    '4',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  const done = await h.run(['show', 'job', id, '--progress']);
  assert.equal(done.code, 3, `exit 3 = completed with failures\n${done.stdout}${done.stderr}`);

  const page = await newPage(browser);
  await openPage(page, jobUrl(id), `the page of finished job ${id}`);
  await openTab(page, 'user-metadata-tab', /\/user-metadata$/, 'ui-failed-no-tab');
  const live = await sectionText(
    page,
    'Current Details',
    (s) => /completed-with-failures/.test(s) && marks.every((n) => s.includes(n)),
    {
      expect: `the state completed-with-failures and the failures ${marks.join(', ')}`,
      shot: 'ui-failed-live',
    },
  );
  assert.match(live, /failures: 3/);
  marks.forEach((m) =>
    assert.match(live, new RegExp(`${m}\\s+SourceNotFound\\s+GET \\{object ${m}\\}: 404`), live),
  );
  for (const n of missing) assert.ok(!live.includes(n), `${n} in the UI's details`);
  const shot = await screenshot(page, 'ui-failed');
  console.log(`# screenshot of the failed job's page: ${shot}`);

  // The result (the job's report) on the history tab lists the same indexes, whether or not a worker answers.
  await openTab(page, 'history-tab', /\/history$/, 'ui-failed-no-history');
  for (const n of marks) {
    try {
      await page.getByText(`"${n}"`).first().waitFor({ state: 'visible', timeout: 30_000 });
    } catch {
      const path = await screenshot(page, 'ui-failed-result');
      assert.fail(
        `Web UI ${page.url()}: the result does not show the failed object "${n}"; screenshot ${path}`,
      );
    }
  }
  console.log(`# screenshot of the failed job's result: ${await screenshot(page, 'ui-failed-result')}`);
});
