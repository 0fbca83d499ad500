// --max-conns that the window does not divide: 4 connections over a window of 3 once gave each batch
// ceil(4/3) = 2 lanes, 6 in all. Batches now share what is free (common/lanes.ts); the origin, shared by
// three workers, must see at most 4 requests in flight and 4 open sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { MigrationReport } from '../../common/schemas.js';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';
import { startCountingOrigin } from '../helpers/counting-origin.js';

test(
  '--max-conns 4 with --window 3: the origin sees at most 4 connections',
  { timeout: 300_000 },
  async (t) => {
    const h = new FerryHarness(t, 'conns-window');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const OBJECTS = 120;
    const name = (i: number) => `obj-${String(i).padStart(3, '0')}.bin`;
    makeDataset(src, { count: OBJECTS, name, size: [16 * 1024, 48 * 1024], seed: 5 });
    // Headers held 40 ms: every lane a batch has is busy at once, so an overshoot would show at the origin.
    const origin = await startCountingOrigin(src, { delayMs: 40 });
    t.after(() => origin.close());
    await Promise.all([h.worker(), h.worker(), h.worker()]);
    const r = await h.run([
      'job',
      'start',
      'download',
      `${origin.url}obj-{000..${OBJECTS - 1}}.bin`,
      bucket,
      '--max-conns',
      '4',
      '--window',
      '3',
      '--batch-size',
      '10',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const jobId = r.stdout.split('\n')[0]!.trim();
    const report = (await (await h.temporal()).workflow.getHandle(jobId).result()) as MigrationReport;
    assert.equal(report.state, 'completed');
    assert.equal(report.totals.copied, OBJECTS);
    const names = Array.from({ length: OBJECTS }, (_, i) => name(i));
    assert.deepEqual(await compareTrees(src, bucket, names), { missing: [], different: [], extra: [] });
    t.diagnostic(
      `origin saw: peak in flight ${origin.peakInFlight()}, peak open sockets ${origin.peakSockets()}`,
    );
    assert.ok(origin.peakInFlight() <= 4, `peak in-flight requests ${origin.peakInFlight()} > --max-conns 4`);
    assert.ok(origin.peakSockets() <= 4, `peak open connections ${origin.peakSockets()} > --max-conns 4`);
    // The bound was reached, not avoided by running one batch at a time.
    assert.ok(
      origin.peakInFlight() >= 3,
      `peak in flight ${origin.peakInFlight()}: the batches did not overlap`,
    );
  },
);
