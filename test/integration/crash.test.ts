// Crash safety end to end: a download job run by a `ferry worker` process that is kill -9'ed five times mid-copy
// and restarted. The job must complete with every object byte-identical, no temp files left behind, and
// little work redone: a retried batch skips what its checkpoint says is done and what an earlier attempt
// committed after that checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorType } from '../../common/errors.js';
import type { MigrationReport } from '../../common/schemas.js';
import { FerryHarness, compareTrees, journalCounts, listFiles, makeDataset } from '../helpers/cli.js';

const OBJECTS = 2500;
const BATCH = 64;
/**
 * Five kills at random points, as fractions of the objects done (jittered around evenly spaced marks so each
 * lands mid-copy); logged below. They stop at ~60%: progress is read in steps of whole batches, and since a
 * restarted worker reclaims the dead one's attempts at once (no 10 s stall per kill), a later mark could be
 * read only after the job had already finished.
 */
const KILL_AT = [0.08, 0.2, 0.32, 0.44, 0.56].map((f) => f + (Math.random() - 0.5) * 0.06);
/** Uninterrupted copy time the bandwidth limit aims at, so that kills land mid-copy. */
const TARGET_COPY_SECONDS = 40;

test(
  'a download job survives kill -9 of its worker mid-copy, five times at random points',
  { timeout: 600_000 },
  async (t) => {
    const h = new FerryHarness(t, 'crash');
    const src = join(h.dir, 'src');
    const bucket = join(h.dir, 'bucket');
    const journal = join(h.dir, 'put-journal.txt');
    const name = (i: number) => `obj-${String(i).padStart(4, '0')}.bin`;
    const data = makeDataset(src, { count: OBJECTS, name, size: [4 * 1024, 28 * 1024], seed: 7 });

    const { url } = await h.serve(src);
    const workerEnv = { FERRY_PUT_JOURNAL: journal };
    let worker = await h.worker({ env: workerEnv });

    const limitBph = Math.round((data.bytes / TARGET_COPY_SECONDS) * 3600);
    const started = await h.run([
      'job',
      'start',
      'download',
      `${url}/obj-{0000..${OBJECTS - 1}}.bin`,
      bucket,
      '--max-conns',
      '8',
      '--batch-size',
      String(BATCH),
      '--limit-bph',
      String(limitBph),
    ]);
    assert.equal(started.code, 0, `job start failed:\n${started.stdout}\n${started.stderr}`);
    const jobId = started.stdout.split('\n')[0]!.trim();
    assert.match(jobId, /^dnl-[0-9a-f]+$/);
    assert.match(started.stdout, new RegExp(`ferry show job ${jobId} --progress`));
    const t0 = Date.now();

    const kills: { atDone: number; inFlight: number; s: number }[] = [];
    for (const frac of KILL_AT) {
      const p = await h.waitForProgress(jobId, (q) => q.done >= frac * OBJECTS, { timeoutMs: 180_000 });
      await worker.kill();
      kills.push({ atDone: p.done, inFlight: p.inFlightBatches, s: (Date.now() - t0) / 1000 });
      // The kill must land mid-copy: batches in flight, objects still to go.
      assert.ok(p.done < OBJECTS && p.inFlightBatches > 0, `kill at ${JSON.stringify(p)} was not mid-copy`);
      await sleep(500);
      worker = await h.worker({ env: workerEnv });
    }

    const client = await h.temporal();
    const report = (await withTimeout(
      client.workflow.getHandle(jobId).result(),
      240_000,
      `job ${jobId} did not complete in 4 minutes`,
    )) as MigrationReport;
    const seconds = (Date.now() - t0) / 1000;

    // The CLI sees the same report.
    const shown = await h.run(['show', 'job', jobId, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    const cliReport = JSON.parse(shown.stdout) as MigrationReport;
    assert.deepEqual(cliReport.totals, report.totals);

    assert.equal(report.state, 'completed', JSON.stringify(report.failures.slice(0, 5)));
    assert.equal(report.total, OBJECTS);
    assert.equal(report.totals.failed, 0);
    assert.equal(report.totals.copied + report.totals.skipped, OBJECTS);
    // Nothing counted twice either: an object committed by a killed attempt is counted once, by the retry.
    assert.equal(report.totals.bytes, data.bytes);

    // The kills really cost attempts: batches that were in flight ran again (a retry, not a fresh batch).
    const history = await client.workflow.getHandle(jobId).fetchHistory();
    const retried = (history.events ?? []).filter(
      (e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    ).length;
    assert.ok(retried >= kills.length, `only ${retried} batches were retried after ${kills.length} kills`);
    // ... and were handed back by the restarted worker (worker/reclaim.ts), not left to their heartbeat
    // timeout: a retried attempt's previous failure is recorded on its started event.
    const reclaimed = (history.events ?? []).filter(
      (e) =>
        e.activityTaskStartedEventAttributes?.lastFailure?.applicationFailureInfo?.type ===
        ErrorType.WorkerLost,
    ).length;
    assert.ok(reclaimed > 0, `no retried batch was reclaimed from a dead worker (${retried} retried)`);

    // Every object byte-identical to its source; nothing else in the bucket.
    const cmp = await compareTrees(
      src,
      bucket,
      Array.from({ length: OBJECTS }, (_, i) => name(i)),
    );
    assert.deepEqual(cmp, { missing: [], different: [], extra: [] });

    // Every object accounted for in the report despite the kills: one row per object, copied, with its size
    // (rows are written before the checkpoint that marks their objects done; see lib/report-parts.ts).
    const reportFile = join(h.dir, 'report.jsonl');
    const rep = await h.run(['show', 'job', jobId, '--report', reportFile]);
    assert.equal(rep.code, 0, rep.stderr);
    const rows = readFileSync(reportFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { index: number; name: string; outcome: string; size: number });
    assert.deepEqual(
      rows.map((r) => r.index),
      Array.from({ length: OBJECTS }, (_, i) => i),
    );
    for (const r of rows) {
      assert.equal(r.name, name(r.index));
      assert.equal(r.outcome, 'copied', JSON.stringify(r));
      assert.equal(r.size, statSync(join(src, r.name)).size);
    }
    const parts = (await listFiles(join(bucket, '.ferry', 'jobs', jobId, 'report'))).length;
    console.log(`# crash: report: ${rows.length} rows from ${parts} parts over ${OBJECTS / BATCH} batches`);

    // No partial object survives: the job's temp directory is gone, and no temp-looking file is anywhere.
    assert.deepEqual(await listFiles(join(bucket, '.ferry', 'tmp')), []);
    const tempLike = (await listFiles(bucket)).filter((f) =>
      /(^|\/)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|.*\.(tmp|part|partial)|.*~|\.#.*)$/i.test(
        f,
      ),
    );
    assert.deepEqual(tempLike, []);

    // Work redone: objects committed more than once across the worker processes.
    assert.ok(existsSync(journal), 'FERRY_PUT_JOURNAL was not written: did the worker see the variable?');
    const counts = journalCounts(readFileSync(journal, 'utf8'));
    const twice = [...counts.values()].filter((c) => c > 1).length;
    console.log(`# crash: ${twice} objects written twice over ${kills.length} kills`);
    console.log(
      `# crash: ${OBJECTS} objects, ${(data.bytes / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(1)} s; ` +
        `kills at ${kills.map((k) => `${k.atDone} done (${k.inFlight} batches in flight, ${k.s.toFixed(1)} s)`).join(', ')}; ` +
        `report: ${report.totals.copied} copied, ${report.totals.skipped} skipped, runs ${report.runs}; ` +
        `journal: ${counts.size} objects committed; ${retried} batch attempts retried`,
    );
    // Every object was committed by a worker (none pre-existed). The journal line follows the commit, so a
    // kill between the two may leave at most one object per connection in flight unjournaled.
    assert.ok(
      counts.size <= OBJECTS && counts.size >= OBJECTS - 8 * kills.length,
      `journal has ${counts.size}`,
    );
    assert.ok(twice <= BATCH * kills.length, `${twice} objects written twice: more than one batch per kill`);
  },
);

// --- internal ---

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  const ac = new AbortController();
  try {
    return await Promise.race([
      p,
      sleep(ms, undefined, { signal: ac.signal }).then(() => {
        throw new Error(message);
      }),
    ]);
  } finally {
    ac.abort();
  }
}
