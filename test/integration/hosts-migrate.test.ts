// Cross-host `ferry migrate DIR BUCKET --host <data host>` on the netns harness: the directory is on host 1,
// served by its `ferry worker --serve-root --bind <its address>`, and only copy workers on hosts 2–4 copy it.
// The file server requires the job's token, which both ends derive from FERRY_SERVE_SECRET (lib/serve-token.ts)
// and which never travels: not in the migration's history, not in the serve child's. Without the token (or
// with another job's) the data host answers 401. Needs root; skipped otherwise.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { request } from 'undici';
import type { MigrationReport } from '../../common/schemas.js';
import { serveToken } from '../../lib/serve-token.js';
import { pauseSignal, unpauseSignal } from '../../workflows/index.js';
import { COPY, Cluster, journalCount, waitForPollers } from '../helpers/host-cluster.js';
import { netnsUnavailable } from '../helpers/netns.js';

test(
  'migrate across hosts: copy hosts fetch from the data host with a per-job token that never enters history',
  { skip: netnsUnavailable(), timeout: 300_000 },
  async (t) => {
    const work = mkdtempSync(join(process.env.FERRY_TEST_WORKDIR ?? tmpdir(), 'hosts-migrate-'));
    const dataDir = join(work, 'data');
    const source = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const name = `${i % 2 ? 'x/y' : 'z'}/m-${String(i).padStart(2, '0')}.bin`;
      mkdirSync(join(dataDir, name, '..'), { recursive: true });
      const bytes = randomBytes(64 * 1024 + i);
      writeFileSync(join(dataDir, name), bytes);
      source.set(name, createHash('sha256').update(bytes).digest('hex'));
    }
    const cluster = new Cluster({ work, rate: '16mbit' });
    t.after(() => cluster.stop());
    await cluster.start();
    const queue = 'migrate-across';
    cluster.dataWorker(dataDir, 'm');
    const workers = COPY.map((i) => cluster.copyWorker(i, queue, 'm'));
    await waitForPollers(cluster.client, queue, COPY.length);
    await waitForPollers(cluster.client, cluster.dataHostQueue, 1);

    const jobId = cluster.migrate(dataDir, 'across', queue, ['--batch-size', '2', '--window', '2']);
    const handle = cluster.client.workflow.getHandle(jobId);
    // Paused once served, so the probe below meets a running file server whatever the machine's speed.
    await handle.signal(pauseSignal);
    let url: string | undefined;
    for (const deadline = Date.now() + 60_000; !url; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('the data host never signalled its URL');
      const history = await handle.fetchHistory();
      for (const e of history.events ?? []) {
        const s = e.workflowExecutionSignaledEventAttributes;
        if (s?.signalName === 'originReady') {
          const p = s.input?.payloads?.[0]?.data;
          if (p) url = (JSON.parse(Buffer.from(p).toString('utf8')) as { url: string }).url;
        }
      }
    }
    assert.ok(
      url.startsWith(`http://${cluster.hosts.ip(1)}:`),
      `served at ${url}, not the data host's address`,
    );
    const probe = async (auth?: string) => {
      const r = await request(`${url}z/m-00.bin`, {
        headers: auth ? { authorization: `Bearer ${auth}` } : {},
      });
      await r.body.dump();
      return r.statusCode;
    };
    assert.equal(await probe(), 401, 'no token');
    assert.equal(await probe(serveToken(cluster.secret, 'mig-0000000000')), 401, "another job's token");
    assert.equal(await probe(serveToken('not-the-secret', jobId)), 401, 'a token from another secret');
    assert.equal(await probe(serveToken(cluster.secret, jobId)), 200, "the job's token");

    await handle.signal(unpauseSignal);
    const report = (await handle.result()) as MigrationReport;
    assert.equal(report.state, 'completed', JSON.stringify(report.failures.slice(0, 3)));
    assert.equal(report.totals.copied, source.size);
    assert.deepEqual(await cluster.audit('across', source), {
      missing: 0,
      corrupted: 0,
      extra: 0,
      multipart: 0,
    });
    const shares = workers.map((w) => journalCount(w.journal));
    t.diagnostic(`objects per copy host: ${shares.join(' / ')}`);
    assert.ok(shares.filter((n) => n > 0).length >= 2, `copied by one host only: ${shares.join(' / ')}`);

    // Neither the secret nor the token is in any history of the job (the migration's runs, the serve child).
    const token = serveToken(cluster.secret, jobId);
    const ids = [jobId];
    for (const e of (await handle.fetchHistory()).events ?? []) {
      const c = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
      if (c) ids.push(c);
    }
    assert.equal(ids.length, 2, 'the migration and its serve child');
    for (const id of ids) {
      const raw = JSON.stringify(
        await cluster.client.workflow.getHandle(id).fetchHistory(),
        (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v),
      );
      for (const secret of [cluster.secret, token])
        assert.ok(!raw.includes(secret), `${id}'s history holds a secret`);
    }
  },
);
