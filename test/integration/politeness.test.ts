// Politeness towards an origin, seen from the origin: --max-conns and --limit-bph hold for the job as a whole
// when three `ferry worker` processes share it; a 503 with Retry-After delays the retry at least that long;
// requests carry ferry's User-Agent (or FERRY_USER_AGENT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationReport } from '../../common/schemas.js';
import { DEFAULT_USER_AGENT } from '../../lib/origin.js';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';
import { startCountingOrigin } from '../helpers/counting-origin.js';

async function startJob(h: FerryHarness, args: string[]): Promise<string> {
  const r = await h.run(['job', 'start', 'download', ...args]);
  assert.equal(r.code, 0, `job start failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.split('\n')[0]!.trim();
}

async function result(h: FerryHarness, jobId: string): Promise<MigrationReport> {
  const client = await h.temporal();
  return (await client.workflow.getHandle(jobId).result()) as MigrationReport;
}

/** The identities of the workers whose copyBatch attempts started, with how many each. */
async function batchesByWorker(h: FerryHarness, jobId: string): Promise<Map<string, number>> {
  const history = await (await h.temporal()).workflow.getHandle(jobId).fetchHistory();
  const by = new Map<string, number>();
  for (const e of history.events ?? []) {
    const id = e.activityTaskStartedEventAttributes?.identity;
    if (id) by.set(id, (by.get(id) ?? 0) + 1);
  }
  return by;
}

test(
  '--max-conns and --limit-bph hold for the whole job across three workers, as the origin sees it',
  { timeout: 300_000 },
  async (t) => {
    const h = new FerryHarness(t, 'polite-conns');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const OBJECTS = 240;
    const name = (i: number) => `obj-${String(i).padStart(3, '0')}.bin`;
    const data = makeDataset(src, { count: OBJECTS, name, size: [16 * 1024, 48 * 1024], seed: 3 });
    // Headers held 20 ms: lanes pile up at the origin, so a bound that did not hold would show.
    const origin = await startCountingOrigin(src, { delayMs: 20 });
    t.after(() => origin.close());
    await Promise.all([h.worker(), h.worker(), h.worker()]);

    // ~8 s at the limit: long enough for batches to spread over the three workers.
    const bytesPerSecond = Math.round(data.bytes / 8);
    const jobId = await startJob(h, [
      `${origin.url}obj-{000..${OBJECTS - 1}}.bin`,
      bucket,
      '--max-conns',
      '4',
      '--window',
      '2',
      '--batch-size',
      '12',
      '--limit-bph',
      String(bytesPerSecond * 3600),
    ]);
    const report = await result(h, jobId);
    assert.equal(report.state, 'completed', JSON.stringify(report.failures.slice(0, 3)));
    assert.equal(report.totals.copied, OBJECTS);
    const cmp = await compareTrees(
      src,
      bucket,
      Array.from({ length: OBJECTS }, (_, i) => name(i)),
    );
    assert.deepEqual(cmp, { missing: [], different: [], extra: [] });

    const workers = await batchesByWorker(h, jobId);
    const first = origin.sent[0]![0];
    const last = origin.sent[origin.sent.length - 1]![0];
    const sentBytes = origin.sent.reduce((a, [, b]) => a + b, 0);
    const rate = sentBytes / Math.max(0.001, (last - first) / 1000);
    t.diagnostic(
      `origin saw: peak in flight ${origin.peakInFlight()}, peak open sockets ${origin.peakSockets()}, ` +
        `${Math.round(rate)} B/s against a limit of ${bytesPerSecond} B/s; batches per worker ` +
        JSON.stringify([...workers.values()]),
    );
    // The test means something only if the job really was shared.
    assert.ok(workers.size >= 2, `only ${workers.size} worker ran batches`);
    assert.ok(origin.peakInFlight() <= 4, `peak in-flight requests ${origin.peakInFlight()} > --max-conns 4`);
    assert.ok(origin.peakSockets() <= 4, `peak open connections ${origin.peakSockets()} > --max-conns 4`);
    // Generous: the origin's send time runs ahead of the limited reader by what the socket buffers hold.
    assert.ok(rate <= bytesPerSecond * 1.5, `origin sent ${Math.round(rate)} B/s > 1.5 × ${bytesPerSecond}`);
    // Every request carried ferry's User-Agent.
    assert.deepEqual([...new Set(origin.requests.map((r) => r.userAgent))], [DEFAULT_USER_AGENT]);
  },
);

test('a 503 with Retry-After: 2 delays the retry at least 2 s; FERRY_USER_AGENT reaches the origin', async (t) => {
  const h = new FerryHarness(t, 'polite-retry-after');
  const src = join(h.dir, 'src');
  const bucket = join(h.dir, 'bucket');
  const names = ['obj-0.bin', 'obj-1.bin', 'obj-2.bin'];
  mkdirSync(src, { recursive: true });
  for (const n of names) writeFileSync(join(src, n), n.repeat(1000));
  const origin = await startCountingOrigin(src, {
    script: { 'obj-1.bin': { status: 503, times: 1, retryAfter: '2' } },
  });
  t.after(() => origin.close());
  const ua = 'ferry-test/1 (ops@example.org)';
  await h.worker({ env: { FERRY_USER_AGENT: ua } });
  const jobId = await startJob(h, [`${origin.url}obj-{0..2}.bin`, bucket]);
  const report = await result(h, jobId);
  assert.equal(report.state, 'completed', JSON.stringify(report.failures));
  assert.equal(report.totals.copied, names.length);

  const busy = origin.requests.filter((r) => r.path === 'obj-1.bin' && r.method === 'GET');
  assert.deepEqual(
    busy.map((r) => r.status),
    [503, 200],
  );
  const gap = busy[1]!.at - busy[0]!.at;
  t.diagnostic(`retry of obj-1.bin came ${gap} ms after its 503 (Retry-After: 2)`);
  assert.ok(gap >= 2000, `retried after ${gap} ms, before Retry-After's 2 s`);
  assert.deepEqual([...new Set(origin.requests.map((r) => r.userAgent))], [ua]);
});
