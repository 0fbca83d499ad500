// Two jobs started together against one origin host, on one worker with FERRY_MAX_CONNS_PER_HOST=3 and each
// job at --max-conns 4 (8 without the per-host bound): the origin sees at most 3 connections and requests in
// flight, and the jobs share it — both have copied objects while neither has finished (gated on the jobs'
// own progress, not on time). The overlap and each job's time are printed for the docs. Open sockets are bounded
// too: with the limit set, the process's batches share one pool of at most that many sockets per host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MigrationReport, Progress } from '../../common/schemas.js';
import { progressQuery } from '../../workflows/index.js';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';
import { startCountingOrigin } from '../helpers/counting-origin.js';

test(
  'two jobs on one origin host: FERRY_MAX_CONNS_PER_HOST bounds them together, and both progress side by side',
  { timeout: 300_000 },
  async (t) => {
    const h = new FerryHarness(t, 'shared-origin');
    const src = join(h.dir, 'src');
    const OBJECTS = 90;
    const name = (i: number) => `obj-${String(i).padStart(3, '0')}.bin`;
    makeDataset(src, { count: OBJECTS, name, size: [8 * 1024, 24 * 1024], seed: 9 });
    // Headers held 30 ms so that requests of both jobs pile up at the origin if nothing bounds them.
    const origin = await startCountingOrigin(src, { delayMs: 30 });
    t.after(() => origin.close());
    await h.worker({ env: { FERRY_MAX_CONNS_PER_HOST: '3' } });
    const client = await h.temporal();
    const start = async (bucket: string) => {
      const r = await h.run([
        'job',
        'start',
        'download',
        `${origin.url}obj-{000..${String(OBJECTS - 1).padStart(3, '0')}}.bin`,
        join(h.dir, bucket),
        '--max-conns',
        '4',
        '--window',
        '2',
        '--batch-size',
        '6',
      ]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n')[0]!.trim();
    };
    const [a, b] = await Promise.all([start('bucket-a'), start('bucket-b')]);
    const progress = async (id: string) =>
      client.workflow
        .getHandle(id)
        .query(progressQuery)
        .catch(() => undefined);

    // Both jobs have copied objects while neither has finished: neither waited for the other.
    let both: [Progress, Progress] | undefined;
    for (const deadline = Date.now() + 120_000; !both; await sleep(100)) {
      assert.ok(Date.now() < deadline, 'timed out waiting for both jobs to copy');
      const [pa, pb] = await Promise.all([progress(a), progress(b)]);
      if (!pa || !pb) continue;
      if (pa.totals.failed > 0 || pb.totals.failed > 0) {
        const r = (await client.workflow.getHandle(pa.totals.failed > 0 ? a : b).result()) as MigrationReport;
        assert.fail(`objects failed: ${JSON.stringify(r.failures.slice(0, 2))}`);
      }
      assert.ok(
        !(pa.done >= OBJECTS && pb.totals.copied === 0) && !(pb.done >= OBJECTS && pa.totals.copied === 0),
        `one job finished before the other copied anything: a ${JSON.stringify(pa.totals)}, b ${JSON.stringify(pb.totals)}`,
      );
      if (pa.totals.copied > 0 && pb.totals.copied > 0 && pa.done < OBJECTS && pb.done < OBJECTS)
        both = [pa, pb];
    }
    t.diagnostic(`both copying: a ${both[0].done}/${OBJECTS} done, b ${both[1].done}/${OBJECTS} done`);

    const [ra, rb] = (await Promise.all([a, b].map((id) => client.workflow.getHandle(id).result()))) as [
      MigrationReport,
      MigrationReport,
    ];
    const names = Array.from({ length: OBJECTS }, (_, i) => name(i));
    for (const [r, bucket] of [
      [ra, 'bucket-a'],
      [rb, 'bucket-b'],
    ] as const) {
      assert.equal(r.state, 'completed');
      assert.equal(r.totals.copied, OBJECTS);
      assert.deepEqual(await compareTrees(src, join(h.dir, bucket), names), {
        missing: [],
        different: [],
        extra: [],
      });
    }
    const da = await client.workflow.getHandle(a).describe();
    const db = await client.workflow.getHandle(b).describe();
    const span = (d: typeof da) => [d.startTime.getTime(), (d.closeTime ?? new Date()).getTime()] as const;
    const [sa, ea] = span(da);
    const [sb, eb] = span(db);
    const overlap = Math.max(0, Math.min(ea, eb) - Math.max(sa, sb));
    t.diagnostic(
      `job a ${((ea - sa) / 1000).toFixed(1)} s, job b ${((eb - sb) / 1000).toFixed(1)} s, overlap ${(overlap / 1000).toFixed(1)} s ` +
        `(${Math.round((100 * overlap) / Math.max(ea - sa, eb - sb))}% of the longer); origin peak in flight ` +
        `${origin.peakInFlight()}, peak sockets ${origin.peakSockets()}`,
    );
    assert.ok(
      origin.peakInFlight() <= 3,
      `peak in flight ${origin.peakInFlight()} > FERRY_MAX_CONNS_PER_HOST 3`,
    );
    assert.ok(
      origin.peakInFlight() >= 2,
      `peak in flight ${origin.peakInFlight()}: the bound was never reached`,
    );
  },
);
