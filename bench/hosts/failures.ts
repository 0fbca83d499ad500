// Whole-host failures during a job copied by three hosts (run through bench/hosts/scale.ts --kill-host /
// --cut-link): kill -9 of every process of one copy host at ~30% of the objects, or that host's link cut for
// 30 s (`ip link set down`). Each is checked: the job completed, no object missing or of the wrong size (MinIO
// commits a put whole, so a partial object would show as missing or short), and how long recovery took: from
// the fault to the first retried batch attempt that started on another host.
import type { Client } from '@temporalio/client';
import type { MigrationReport, Progress } from '../../common/schemas.js';
import { progressQuery } from '../../workflows/index.js';
import { COPY, jobSeconds, journalCount, waitForPollers, type Bench } from './scale.js';

export async function runFailures(b: Bench, which: { kill: boolean; cut: boolean }): Promise<void> {
  const rows: string[] = [];
  const cases: ('kill' | 'cut')[] = [
    ...(which.kill ? ['kill' as const] : []),
    ...(which.cut ? ['cut' as const] : []),
  ];
  for (const c of cases) {
    const queue = `ferry-fail-${c}-${Date.now()}`;
    const workers = COPY.map((i) => ({ i, ...b.worker(i, queue, c) }));
    await waitForPollers(b.client, queue, COPY.length);
    const bucket = `fail-${c}`;
    const jobId = await b.start(bucket, queue);
    const victim = COPY[0]!;
    await waitForDone(b.client, jobId, Math.floor(b.opts.objects * 0.3));
    const faultAt = Date.now();
    if (c === 'kill') {
      await b.hosts.killHost(victim);
    } else {
      b.hosts.link(victim, false);
      setTimeout(() => b.hosts.link(victim, true), 30_000).unref();
    }
    const report = (await b.client.workflow.getHandle(jobId).result()) as MigrationReport;
    const secs = await jobSeconds(b.client, jobId);
    const recovery = await firstRetryAfter(b.client, jobId, faultAt);
    const audit = await b.audit(bucket);
    const shares = workers.map((w) => journalCount(w.journal));
    for (const w of workers) await b.hosts.killHost(w.i);
    const what = c === 'kill' ? 'kill -9 every process of copy host 2' : 'cut copy host 2 link for 30 s';
    const row =
      `| ${what} | ${report.state} | ${report.totals.copied}/${report.total} | ${audit.missing} | ` +
      `${audit.wrongSize} | ${recovery === undefined ? 'no retry needed' : `${recovery.toFixed(1)} s`} | ` +
      `${secs.toFixed(1)} | ${shares.join(' / ')} |`;
    console.log(row);
    rows.push(row);
  }
  console.log(
    '\n| fault | state | copied | missing | wrong size | fault → first retried batch | job s | objects per host (journal) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

async function waitForDone(client: Client, jobId: string, done: number): Promise<void> {
  const h = client.workflow.getHandle(jobId);
  for (;;) {
    const p: Progress | undefined = await h.query(progressQuery).catch(() => undefined);
    if (p && p.done >= done) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Seconds from `since` to the first copy attempt > 1 that started after it. */
async function firstRetryAfter(client: Client, jobId: string, since: number): Promise<number | undefined> {
  const history = await client.workflow.getHandle(jobId).fetchHistory();
  for (const e of history.events ?? []) {
    const a = e.activityTaskStartedEventAttributes;
    if (!a || (a.attempt ?? 1) <= 1) continue;
    const t = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
    if (t >= since) return (t - since) / 1000;
  }
  return undefined;
}
