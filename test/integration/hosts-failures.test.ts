// Whole-host failures of a cross-host migration, on the netns harness (test/helpers/host-cluster.ts): host 0
// Temporal, host 1 the data host (`ferry worker --serve-root`), hosts 2–4 copy workers behind 16 Mbit/s links,
// host 5 MinIO. Each case runs `ferry migrate DIR s3://BUCKET --host <data host>` (a whole tree, 48 objects of
// which 2 go multipart), injects its fault once the job has reached the state the fault must hit, and then
// requires: the job reported completed, 0 objects missing, 0 corrupted (sha256 against the source), 0 extra
// (partial or temp) keys, 0 incomplete multipart uploads. Each prints its recovery time, read from the job's
// history (server clock):
//   - copy host killed / cut off: fault → the first batch the fault interrupted completed on another host
//     (a completion at attempt ≥ 2). Bound: copyBatch's heartbeat timeout (10 s) + retry backoff (1 s) +
//     a free slot on a surviving host; FERRY_RECLAIM cannot help, no worker restarts on that host.
//   - data host's worker killed and restarted: restart → first batch whose attempt started after the kill
//     completed. Bound: the restarted worker reclaims the dead serve attempt at once (same host name, dead
//     pid: worker/reclaim.ts), the server binds the same port again, and the interrupted batches' retries,
//     backing off 1, 2, 4, 8 … s while the data host was down, find it back at their next attempt.
//   - destination partitioned: link restored → first batch completed. Bound: the batches' retry backoff
//     (doubling, up to 60 s) and TCP's own retransmission backoff on connections that survived the cut.
// Needs root (ip netns, tc); skipped otherwise.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { MigrationReport, Progress } from '../../common/schemas.js';
import { progressQuery } from '../../workflows/index.js';
import {
  COPY,
  Cluster,
  DATA,
  MINIO,
  journalCount,
  waitForPollers,
  type BatchRecord,
} from '../helpers/host-cluster.js';
import { netnsUnavailable } from '../helpers/netns.js';

const skip = netnsUnavailable();
const OUTAGE_MS = 30_000;
const JOB_ARGS = ['--batch-size', '4', '--window', '6', '--max-conns', '12'];

interface CaseResult {
  name: string;
  recovery: string;
  copied: string;
  missing: number;
  corrupted: number;
  partial: number;
  multipart: number;
  shares: string;
}
const table: CaseResult[] = [];

describe('whole-host failures across hosts (netns)', { skip, timeout: 900_000 }, () => {
  let cluster: Cluster;
  let dataDir: string;
  const source = new Map<string, string>();

  before(async () => {
    const work = mkdtempSync(join(process.env.FERRY_TEST_WORKDIR ?? tmpdir(), 'hosts-'));
    dataDir = join(work, 'data');
    // 46 files of ~1 MiB in three directories and 2 of 11 MiB (multipart at 5 MiB parts): ~68 MB, ~11 s
    // through three 16 Mbit/s copy hosts — long enough for a fault to land mid-job.
    for (let i = 0; i < 48; i++) {
      const dir = ['a', 'b', 'c/d'][i % 3]!;
      mkdirSync(join(dataDir, dir), { recursive: true });
      const size = i < 2 ? 11 * 1024 * 1024 + 777 : 1024 * 1024 - (i % 5) * 1000;
      const bytes = randomBytes(size);
      const name = `${dir}/obj-${String(i).padStart(3, '0')}.bin`;
      writeFileSync(join(dataDir, name), bytes);
      source.set(name, createHash('sha256').update(bytes).digest('hex'));
    }
    cluster = new Cluster({
      work,
      rate: '16mbit',
      workerEnv: { FERRY_S3_MULTIPART_THRESHOLD: '5MiB', FERRY_S3_PART_SIZE: '5MiB' },
    });
    await cluster.start();
  });

  after(async () => {
    await cluster?.stop();
    if (table.length) {
      console.log(
        '\n| case | recovery | copied | missing | corrupted | partial/temp | incomplete MPU | objects per copy host |',
      );
      console.log('|---|---|---|---|---|---|---|---|');
      for (const r of table)
        console.log(
          `| ${r.name} | ${r.recovery} | ${r.copied} | ${r.missing} | ${r.corrupted} | ${r.partial} | ${r.multipart} | ${r.shares} |`,
        );
    }
  });

  /** Start the data worker and three copy workers on a fresh queue, then the migration; returns its ID. */
  async function startJob(tag: string) {
    // What an earlier case left running (it failed before its own cleanup) must not serve or copy for this one.
    for (const i of [DATA, ...COPY]) await cluster.hosts.killHost(i);
    const queue = `hosts-${tag}-${randomUUID().slice(0, 8)}`;
    const data = cluster.dataWorker(dataDir, tag);
    const workers = COPY.map((i) => ({ i, ...cluster.copyWorker(i, queue, tag) }));
    await waitForPollers(cluster.client, queue, COPY.length);
    await waitForPollers(cluster.client, cluster.dataHostQueue, 1);
    const bucket = `hosts-${tag}`;
    const jobId = cluster.migrate(dataDir, bucket, queue, JOB_ARGS);
    return { queue, data, workers, bucket, jobId };
  }

  async function progress(jobId: string): Promise<Progress | undefined> {
    return cluster.client.workflow
      .getHandle(jobId)
      .query(progressQuery)
      .catch(() => undefined);
  }

  /** Poll `probe` until true; fail naming `what` after `ms`. */
  async function until(probe: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** The gate of every fault: some batches finished, and one is running on `host` (a copy host) now. */
  async function midJob(jobId: string, host?: number): Promise<void> {
    await until(
      async () => {
        const p = await progress(jobId);
        if (!p || p.done < 8 || p.done >= source.size - 8) return false;
        return host === undefined ? p.inFlightBatches > 0 : cluster.runningOn(jobId, host);
      },
      `job ${jobId} to be mid-job${host === undefined ? '' : ` with a batch on host ${host}`}`,
    );
  }

  async function finish(
    name: string,
    job: Awaited<ReturnType<typeof startJob>>,
    recovery: (batches: BatchRecord[]) => string,
  ): Promise<void> {
    const report = (await cluster.client.workflow.getHandle(job.jobId).result()) as MigrationReport;
    // Every incomplete upload is gone once the attempts that could hold one have ended (a cut-off host's
    // abandoned attempt aborts its upload when it learns, at its next heartbeat, that it was timed out).
    await until(
      async () => (await cluster.multipartUploads(job.bucket)) === 0,
      'no incomplete multipart uploads',
      60_000,
    ).catch(() => undefined);
    const audit = await cluster.audit(job.bucket, source);
    const batches = await cluster.batches(job.jobId);
    const shares = job.workers.map((w) => journalCount(w.journal)).join(' / ');
    for (const i of [DATA, ...COPY]) await cluster.hosts.killHost(i);
    const row: CaseResult = {
      name,
      recovery: recovery(batches),
      copied: `${report.totals.copied + report.totals.skipped}/${report.total}`,
      missing: audit.missing,
      corrupted: audit.corrupted,
      partial: audit.extra,
      multipart: audit.multipart,
      shares,
    };
    table.push(row);
    console.log(`# ${name}: recovery ${row.recovery}; ${JSON.stringify(audit)}; per host ${shares}`);
    assert.equal(report.state, 'completed', `job ${job.jobId}: ${JSON.stringify(report.failures)}`);
    assert.equal(report.total, source.size);
    assert.equal(report.totals.failed, 0);
    assert.deepEqual(audit, { missing: 0, corrupted: 0, extra: 0, multipart: 0 });
  }

  const secs = (ms: number | undefined) => (ms === undefined ? 'none' : `${(ms / 1000).toFixed(1)} s`);
  /** ms from `from` to the first batch completed after it (at attempt ≥ minAttempt). */
  const firstAfter = (b: BatchRecord[], from: number, minAttempt = 1) =>
    b.find((x) => x.completed && x.closedAt >= from && x.attempt >= minAttempt)?.closedAt;

  test('kill -9 of every process of a copy host mid-job', async () => {
    const job = await startJob('kill');
    const victim = COPY[0];
    await midJob(job.jobId, victim);
    const faultAt = Date.now();
    await cluster.hosts.killHost(victim);
    await finish('kill -9 every process of copy host 2', job, (b) => {
      const t = firstAfter(b, faultAt, 2);
      return `${secs(t === undefined ? undefined : t - faultAt)} (fault → first interrupted batch done elsewhere)`;
    });
  });

  test("a copy host's link cut for 30 s, then restored", async () => {
    const job = await startJob('cut');
    const victim = COPY[1];
    await midJob(job.jobId, victim);
    const faultAt = Date.now();
    cluster.hosts.link(victim, false);
    const restored = sleep(OUTAGE_MS).then(() => cluster.hosts.link(victim, true));
    try {
      await cluster.client.workflow.getHandle(job.jobId).result();
    } finally {
      await restored;
    }
    // The cut-off worker comes back (its poll reaches the server again) before the audit, so whatever its
    // abandoned attempts still do is over or visible.
    await waitForPollers(cluster.client, job.queue, COPY.length, 120_000);
    await finish('cut copy host 3 link for 30 s', job, (b) => {
      const t = firstAfter(b, faultAt, 2);
      return `${secs(t === undefined ? undefined : t - faultAt)} (fault → first interrupted batch done elsewhere)`;
    });
  });

  test("the data host's worker killed and restarted", async () => {
    const job = await startJob('data');
    await midJob(job.jobId);
    const faultAt = Date.now();
    await cluster.hosts.killHost(DATA);
    const restartAt = Date.now();
    cluster.dataWorker(dataDir, 'data-restarted');
    await finish('kill -9 the data host worker, restart it', job, (b) => {
      // A batch whose attempt started after the kill read from the restarted server (one that completed
      // just after the kill may have read everything before it).
      const t = b.find((x) => x.completed && x.startedAt >= faultAt)?.closedAt;
      const hit = b.filter((x) => x.startedAt >= faultAt && x.attempt >= 2).length;
      return `${secs(t === undefined ? undefined : t - restartAt)} (restart → first batch started after the kill done; ${hit} batches retried)`;
    });
  });

  test('the destination (MinIO host) partitioned for 30 s', async () => {
    const job = await startJob('dest');
    await midJob(job.jobId);
    const faultAt = Date.now();
    cluster.hosts.link(MINIO, false);
    await sleep(OUTAGE_MS);
    cluster.hosts.link(MINIO, true);
    const restoredAt = Date.now();
    await finish('partition the MinIO host for 30 s', job, (b) => {
      const t = firstAfter(b, restoredAt);
      return `${secs(t === undefined ? undefined : t - restoredAt)} (restore → first batch done; fault → ${secs(t === undefined ? undefined : t - faultAt)})`;
    });
  });
});
