// `ferry worker --metrics-port`: Prometheus text with the SDK's metrics and ferry's own; scraped while a job's
// GETs are held at the origin (transfers in flight, nothing counted yet) and after it (counters add up to the
// job's report).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { METRIC } from '../../lib/metrics.js';
import { FerryHarness } from '../helpers/cli.js';
import { startGatedOrigin } from '../helpers/gated-origin.js';

const OBJECTS = 60;

test('ferry worker --metrics-port: SDK and ferry metrics move during a job and add up to its report', async (t) => {
  const h = new FerryHarness(t, 'metrics');
  const src = join(h.dir, 'src');
  mkdirSync(src);
  const names = Array.from({ length: OBJECTS }, (_, i) => `m-${String(i).padStart(2, '0')}.bin`);
  for (const [i, n] of names.entries()) writeFileSync(join(src, n), randomBytes(1000 + i));
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  const port = await freePort();
  await h.worker({ args: ['--metrics-port', String(port)] });
  const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}m-{00..${OBJECTS - 1}}.bin`,
    join(h.dir, 'bucket'),
    '--batch-size',
    '6',
    '--max-conns',
    '2',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();

  // GETs parked at the origin are transfers in flight; nothing is counted before a batch completes.
  // More GETs may park while we scrape (the window dispatches batch after batch): gate on the two agreeing.
  await origin.waitUntil((s) => s.held >= 2, 'GETs held at the origin');
  let during = parse(await scrape());
  for (const until = Date.now() + 60_000; ; during = parse(await scrape())) {
    const inFlight = sum(during, METRIC.inFlight, { job: id });
    if (inFlight === origin.held()) break;
    assert.ok(Date.now() < until, `in flight ${inFlight}, held at the origin ${origin.held()}`);
  }
  assert.ok(sum(during, METRIC.inFlight, { job: id }) >= 2);
  assert.equal(sum(during, METRIC.objects, { job: id }), 0);
  // The SDK's own metrics are on the same endpoint.
  assert.ok(
    [...during.keys()].some((k) => k.startsWith('temporal_')),
    'SDK metrics exported',
  );

  origin.open();
  const done = await h.waitForProgress(id, (p) => p.state === 'completed');
  const r = (await (await h.temporal()).workflow.getHandle(id).result()) as {
    totals: { copied: number; skipped: number; failed: number; bytes: number };
  };
  assert.equal(r.totals.copied, OBJECTS);
  const after = parse(await scrape());
  assert.equal(sum(after, METRIC.objects, { job: id, outcome: 'copied' }), r.totals.copied);
  assert.equal(sum(after, METRIC.objects, { job: id, outcome: 'failed' }), r.totals.failed);
  assert.equal(sum(after, METRIC.bytes, { job: id }), r.totals.bytes);
  assert.equal(sum(after, METRIC.inFlight, { job: id }), 0);
  // One GET per object (no retries here), each timed once.
  assert.equal(sum(after, `${METRIC.originLatency}_count`, { method: 'GET' }), origin.gets());
  assert.equal(done.done, OBJECTS);
  // The worker says which build ran each workflow task (worker/index.ts ferryBuildId).
  const history = await (await h.temporal()).workflow.getHandle(id).fetchHistory();
  const stamps = new Set(
    (history.events ?? []).flatMap((e) => {
      const a = e.workflowTaskCompletedEventAttributes;
      return a ? [`${a.workerDeploymentName}/${a.workerVersion?.buildId}`] : [];
    }),
  );
  assert.equal(stamps.size, 1, [...stamps].join(' '));
  assert.match([...stamps][0]!, /^ferry\/\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  t.diagnostic(
    [...after]
      .filter(([k]) => k.startsWith('ferry_') && !k.includes('_bucket{'))
      .map(([k, v]) => `${k} ${v}`)
      .join('\n'),
  );
});

// --- internal ---

/** Prometheus text → series key (`name{a="b",...}`) → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of the series of metric `name` whose labels include `labels`. */
function sum(series: Map<string, number>, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const [key, v] of series) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    const have = brace < 0 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([k, val]) => have.includes(`${k}="${val}"`))) total += v;
  }
  return total;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
