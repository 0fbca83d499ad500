// Recurring syncs on Temporal Schedules, through the CLI (`ferry job schedule ...`), a `ferry worker` and a
// `ferry serve` origin: a schedule every 2 s copies everything on its first run, then each run copies only
// what is new (a file added between two runs, and nothing else); pause holds it; trigger, backfill, delete.
//
// Gated on state, never on sleeps: runs are read off the schedule's describe() (recent actions, running
// actions, paused) and each run's own report. "No run starts while paused, even when one was due" needs a
// scheduled time to pass: a witness schedule with the same interval, ticking on the same server, proves it
// (its actions are taken at the interval's boundaries; two more of them after the pause means the paused
// schedule had boundaries too). Its action is a workflow no worker polls, which times out on its own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Client, ScheduleDescription } from '@temporalio/client';
import type { MigrationReport } from '../../common/schemas.js';
import { FerryHarness, compareTrees, makeDataset } from '../helpers/cli.js';

const EVERY_MS = 2000;
/** In every process's environment (the CLI's and the worker's): none may reach the schedule or a run. */
const SECRETS = { AWS_SECRET_ACCESS_KEY: 'sched-aws-secret-3b9d70', AIS_AUTHN_TOKEN: 'sched-ais-token-51e2' };
const POLL_MS = 200;

/** Poll `probe` until it returns a value (a deadline only for failing, with what was awaited). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `timed out waiting for ${what}${lastErr ? `: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}` : ''}`,
  );
}

interface Run {
  workflowId: string;
  runId: string;
  takenAt: Date;
}

function runsOf(d: ScheduleDescription): Run[] {
  return d.info.recentActions.map((a) => ({
    workflowId: a.action.workflow.workflowId,
    runId: a.action.workflow.firstExecutionRunId,
    takenAt: a.takenAt,
  }));
}

/** The report of a run once it finished, else undefined. */
async function reportOf(client: Client, run: Run): Promise<MigrationReport | undefined> {
  const h = client.workflow.getHandle(run.workflowId, run.runId, { firstExecutionRunId: run.runId });
  const d = await h.describe();
  if (d.status.name === 'RUNNING') return undefined;
  return (await h.result()) as MigrationReport;
}

test('a schedule copies all, then only the file added between two runs; pause holds it; trigger, backfill, delete', async (t) => {
  const h = new FerryHarness(t, 'schedule', SECRETS);
  const src = join(h.dir, 'src');
  const { names } = makeDataset(src, {
    count: 6,
    name: (i) => `d/f-${i}.bin`,
    size: [1000, 20_000],
    seed: 15,
  });
  const bucket = join(h.dir, 'bucket');
  const { url } = await h.serve(src);
  await h.worker();
  const client = await h.temporal();
  const id = `sync-${randomUUID().slice(0, 8)}`;
  t.after(() =>
    client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined),
  );

  const created = await h.run([
    'job',
    'schedule',
    'create',
    id,
    '--every',
    `${EVERY_MS / 1000}s`,
    '--',
    'prefetch',
    `${url}/`,
    bucket,
    '--batch-size',
    '4',
  ]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.split('\n')[0], id);
  assert.match(
    created.stdout,
    /every 2s, overlap skip, next run \S+; each run copies only what is new or changed \(--skip-existing, forced on\)/,
  );
  const sh = client.schedule.getHandle(id);
  const d0 = await sh.describe();
  assert.equal(d0.policies.overlap, 'SKIP');
  const action = d0.action.type === 'startWorkflow' ? d0.action : assert.fail('a startWorkflow action');
  assert.equal(action.workflowId, id);
  assert.equal(action.taskQueue, h.taskQueue);
  const input = action.args?.[0] as { options: { skipExisting: boolean } };
  assert.equal(input.options.skipExisting, true, 'runs have --skip-existing semantics');

  // The first run copies everything.
  const first = await until('the first run to finish', async () => {
    const run = runsOf(await sh.describe())[0];
    return run && (await reportOf(client, run)) ? run : undefined;
  });
  const r1 = (await reportOf(client, first))!;
  assert.deepEqual([r1.state, r1.totals.copied, r1.totals.skipped, r1.totals.failed], ['completed', 6, 0, 0]);
  assert.match(first.workflowId, new RegExp(`^${id}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
  assert.deepEqual(await compareTrees(src, bucket, names), { missing: [], different: [], extra: [] });

  // Pause, and let a run in progress end: from here no run starts until unpause.
  const paused = await h.run(['job', 'schedule', 'pause', id, '--note', 'adding a file']);
  assert.equal(paused.code, 0, paused.stderr);
  const held = await until('the schedule paused with no run going', async () => {
    const d = await sh.describe();
    return d.state.paused && d.info.runningActions.length === 0 ? d : undefined;
  });
  const before = runsOf(held);
  for (const run of before.slice(1)) {
    const r = (await reportOf(client, run))!;
    assert.deepEqual([r.totals.copied, r.totals.skipped], [0, 6], `${run.workflowId} copied nothing new`);
  }

  // A file added between two runs: the next run copies it, and nothing else.
  writeFileSync(join(src, 'd', 'added.bin'), 'a file added between two runs\n');
  assert.equal((await h.run(['job', 'schedule', 'unpause', id])).code, 0);
  const seen = new Set(before.map((r) => `${r.workflowId}/${r.runId}`));
  const next = await until('a run after unpause to finish', async () => {
    const run = runsOf(await sh.describe()).find((r) => !seen.has(`${r.workflowId}/${r.runId}`));
    return run && (await reportOf(client, run)) ? run : undefined;
  });
  const r2 = (await reportOf(client, next))!;
  assert.deepEqual([r2.state, r2.totals.copied, r2.totals.skipped, r2.totals.failed], ['completed', 1, 6, 0]);
  assert.deepEqual(await compareTrees(src, bucket, [...names, 'd/added.bin']), {
    missing: [],
    different: [],
    extra: [],
  });
  // A scheduled run is a job like any other: `show job` reads it by its ID.
  const shown = await h.run(['show', 'job', next.workflowId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    shown.stdout,
    new RegExp(`job ${next.workflowId} completed: 1 copied, 6 skipped, 0 failed of 7`),
  );
  // Visibility (the job table's source) follows the runs' closing a moment later: wait for it to list both.
  const listedIds = await until('show job --schedule to list both runs', async () => {
    const listed = await h.run(['show', 'job', '--all', '--schedule', id, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const ids = (JSON.parse(listed.stdout) as { id: string }[]).map((j) => j.id);
    return ids.includes(first.workflowId) && ids.includes(next.workflowId) ? ids : undefined;
  });
  assert.ok(
    listedIds.every((j) => j.startsWith(`${id}-`)),
    "show job --schedule lists that schedule's runs only",
  );

  // No secret in the schedule (its action, memo, state) nor in any run's history.
  const seenText: string[] = [];
  flatten((await sh.describe()).raw, seenText);
  for (const run of runsOf(await sh.describe()))
    flatten(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(), seenText);
  const all = seenText.join('\n');
  assert.ok(all.includes('every 2s') && all.includes(bucket), 'the scan reads the decoded payloads');
  for (const secret of Object.values(SECRETS)) assert.equal(all.includes(secret), false, 'no secret');

  // describe: spec, policy, state, next runs, the recent runs with their totals.
  const desc = await h.run(['job', 'schedule', 'describe', id]);
  assert.equal(desc.code, 0, desc.stderr);
  console.log(`# describe after two runs and more:\n${desc.stdout.replace(/^/gm, '# ')}`);
  assert.match(desc.stdout, /spec\s+every 2s/);
  assert.match(desc.stdout, /overlap\s+skip \(no run starts while the previous one is still going\)/);
  assert.match(desc.stdout, /state\s+active/);
  assert.match(desc.stdout, /skip-existing\s+forced on: each run copies only what is new or changed/);
  assert.match(desc.stdout, /next runs\s+\d{4}-/);
  assert.match(desc.stdout, new RegExp(`${first.workflowId}\\s+\\S+\\s+completed\\s+6\\s+0\\s+0`));
  assert.match(desc.stdout, new RegExp(`${next.workflowId}\\s+\\S+\\s+completed\\s+1\\s+6\\s+0`));

  // Pause holds it: after two boundaries of the interval pass on the server (the witness's runs), no new run.
  const witness = await startWitness(client, id, h.taskQueue);
  t.after(() => witness.delete().catch(() => undefined));
  assert.equal((await h.run(['job', 'schedule', 'pause', id, '--note', 'maintenance'])).code, 0);
  const stopped = await until('the schedule paused with no run going', async () => {
    const d = await sh.describe();
    return d.state.paused && d.info.runningActions.length === 0 ? d : undefined;
  });
  const mark = Date.now();
  await until('two witness runs due after the pause', async () => {
    const due = (await witness.describe()).info.recentActions.filter((a) => a.scheduledAt.getTime() > mark);
    return due.length >= 2 ? due : undefined;
  });
  const still = await sh.describe();
  assert.equal(still.state.paused, true);
  assert.equal(still.state.note, 'maintenance');
  assert.equal(still.info.numActionsTaken, stopped.info.numActionsTaken, 'no run while paused');
  const pausedDesc = await h.run(['job', 'schedule', 'describe', id, '--json']);
  const pv = JSON.parse(pausedDesc.stdout) as { paused: boolean; note: string; nextRuns: string[] };
  assert.deepEqual([pv.paused, pv.note, pv.nextRuns], [true, 'maintenance', []]);
  const list = await h.run(['job', 'schedule', 'list', '--json']);
  const row = (JSON.parse(list.stdout) as { id: string; paused: boolean; spec: string }[]).find(
    (s) => s.id === id,
  );
  assert.deepEqual([row?.paused, row?.spec], [true, 'every 2s']);

  // trigger runs it now, even paused; it copies nothing new.
  const trig = await h.run(['job', 'schedule', 'trigger', id]);
  assert.equal(trig.code, 0, trig.stderr);
  const triggered = await until('the triggered run to finish', async () => {
    const d = await sh.describe();
    if (d.info.numActionsTaken <= stopped.info.numActionsTaken) return undefined;
    const run = runsOf(d).at(-1)!;
    return (await reportOf(client, run)) ? run : undefined;
  });
  const r3 = (await reportOf(client, triggered))!;
  const taken = (await sh.describe()).info.numActionsTaken;
  assert.deepEqual([r3.totals.copied, r3.totals.skipped], [0, 7]);

  // backfill takes the runs due in a past range (here 2 s wide: at least one boundary).
  const bf = await h.run([
    'job',
    'schedule',
    'backfill',
    id,
    '--start',
    new Date(mark - 3 * EVERY_MS).toISOString(),
    '--end',
    new Date(mark - EVERY_MS).toISOString(),
  ]);
  assert.equal(bf.code, 0, bf.stderr);
  await until('a backfilled run', async () =>
    (await sh.describe()).info.numActionsTaken > taken ? true : undefined,
  );

  const del = await h.run(['job', 'schedule', 'delete', id]);
  assert.equal(del.code, 0, del.stderr);
  const gone = await h.run(['job', 'schedule', 'describe', id]);
  assert.equal(gone.code, 1);
  assert.equal(
    gone.stderr.trim(),
    `ferry: schedule ${id} not found (\`ferry job schedule list\` shows the schedules)`,
  );
});

test('schedule bad input: one line, exit 2 (1 for an unknown schedule), nothing created', async (t) => {
  const h = new FerryHarness(t, 'schedule-bad');
  const src = join(h.dir, 'src');
  makeDataset(src, { count: 1, name: () => 'x.bin', size: 10 });
  const { url } = await h.serve(src);
  const bucket = join(h.dir, 'bucket');
  const job = ['--', 'prefetch', `${url}/`, bucket];
  const cases: [string[], number, RegExp][] = [
    [['describe', 'no-such-schedule'], 1, /^ferry: schedule no-such-schedule not found/],
    [['pause', 'no-such-schedule'], 1, /^ferry: schedule no-such-schedule not found/],
    [['create', 'bad-every', '--every', '5x', ...job], 2, /^ferry: invalid --every "5x": use a duration/],
    [['create', 'short', '--every', '0s', ...job], 2, /^ferry: --every 0s is too short: at least 1s/],
    [
      ['create', 'no-spec', ...job],
      2,
      /^ferry: schedule create: give --every <duration> \(e\.g\. 1h\) or --cron/,
    ],
    [['create', 'no-job', '--every', '1h'], 2, /^ferry: schedule create: give the job after `--`/],
    [
      ['create', 'no-job', '--every', '1h', '--', 'copy', 'x'],
      2,
      /starts with download or prefetch, not "copy"/,
    ],
    [
      ['create', 'bad-opt', '--every', '1h', ...job, '--bogus'],
      2,
      /^ferry: schedule create: job arguments: unknown option '--bogus'/,
    ],
    [['create', 'wait', '--every', '1h', ...job, '--wait'], 2, /--wait is for `job start`/],
    [['create', 'bad/id', '--every', '1h', ...job], 2, /^ferry: invalid schedule ID "bad\/id"/],
    [
      ['create', 'bad-overlap', '--every', '1h', '--overlap', 'maybe', ...job],
      2,
      /^ferry: invalid --overlap "maybe": use one of skip, buffer-one/,
    ],
    [
      ['create', 'bad-cron', '--cron', '99 * * * *', ...job],
      2,
      /^ferry: schedule bad-cron refused by the server: .*Minute/,
    ],
    [
      ['create', 'bad-tpl', '--every', '1h', '--', 'download', `${url}/x-{1..`, bucket],
      2,
      /^ferry: invalid template/,
    ],
    [
      ['create', 'bad-origin', '--every', '1h', '--', 'prefetch', 'http://127.0.0.1:9/', bucket],
      2,
      /^ferry: /,
    ],
    [['backfill', 'x', '--start', 'yesterday', '--end', 'now'], 2, /^ferry: invalid --start "yesterday"/],
  ];
  for (const [args, code, re] of cases) {
    const r = await h.run(['job', 'schedule', ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${r.stderr}`);
    assert.match(lines[0]!, re, args.join(' '));
  }
  // A second create under an existing ID is refused; nothing of the failed creates exists.
  const client = await h.temporal();
  const id = `dup-${randomUUID().slice(0, 8)}`;
  t.after(() =>
    client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined),
  );
  assert.equal((await h.run(['job', 'schedule', 'create', id, '--every', '1h', '--paused', ...job])).code, 0);
  const dup = await h.run(['job', 'schedule', 'create', id, '--every', '1h', ...job]);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, new RegExp(`^ferry: schedule ${id} already exists`));
  for (const bad of ['bad-every', 'no-job', 'bad-cron', 'bad-tpl', 'bad-origin'])
    await assert.rejects(client.schedule.getHandle(bad).describe(), /not found/i, `${bad} not created`);
  assert.equal(existsSyncSafe(bucket), false, 'nothing written to the bucket');
});

// --- internal ---
/** A schedule with the same interval whose runs only prove that the server passed interval boundaries. */
async function startWitness(client: Client, id: string, taskQueue: string) {
  return client.schedule.create({
    scheduleId: `${id}-witness`,
    spec: { intervals: [{ every: EVERY_MS }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'witness',
      workflowId: `${id}-witness`,
      taskQueue: `${taskQueue}-nobody`,
      args: [],
      workflowExecutionTimeout: '5s',
    },
    policies: { overlap: 'ALLOW_ALL' },
  });
}

/** Every string reachable in a value, payload bytes decoded as UTF-8 (and kept as base64), as secrets.test. */
function flatten(v: unknown, out: string[]): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Uint8Array)
    out.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
  else if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out.push(k);
      flatten(x, out);
    }
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
}

function existsSyncSafe(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
