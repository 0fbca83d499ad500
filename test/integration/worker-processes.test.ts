// `ferry worker --processes 2`: two processes poll the copy queue and share one job's batches. Proved on state,
// not speed: each process takes one activity at a time (--max-activities 1), the origin parks every GET, and
// two GETs parked at once can only come from two batches in two processes. A copy process killed with
// SIGKILL is restarted, and the job still completes with every object byte-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cliEnv, ferry, scratch, sha256File } from '../helpers/exec.js';
import { startGatedOrigin } from '../helpers/gated-origin.js';
import { isAlive, liveGroupMembers } from '../helpers/procs.js';

test('worker --processes 2: both processes copy; a killed copy process is restarted', async (t) => {
  const [src, out] = scratch(t, 'procs-src', 'procs-out');
  const names = Array.from({ length: 8 }, (_, i) => `f-${i}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(20_000));
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  const env = cliEnv({ FERRY_TASK_QUEUE: `procs-${process.pid}` });
  const worker = spawn(process.execPath, [CLI, 'worker', '--processes', '2', '--max-activities', '1'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  worker.stderr.on('data', (b: Buffer) => (log += b.toString()));
  t.after(() => {
    try {
      process.kill(-worker.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const bucket = join(out, 'bucket');
  const start = await ferry(
    [
      'job',
      'start',
      'download',
      `${origin.url}f-{0..7}.bin`,
      bucket,
      '--batch-size',
      '2',
      '--window',
      '2',
      '--max-conns',
      '2',
    ],
    env,
  );
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  await origin.waitUntil((s) => s.held >= 2, 'two batches parked at once (one per process)', 120_000);
  const pids = /copy-only pids (\d+)/.exec(log)?.[1];
  assert.ok(pids, `no copy process announced:\n${log}`);
  const copyPid = Number(pids);
  assert.ok(liveGroupMembers(worker.pid!).includes(copyPid), 'the copy process runs in the worker group');

  // Kill the copy process mid-batch: it is restarted, and its batch is retried.
  process.kill(copyPid, 'SIGKILL');
  while (!/restarting/.test(log)) await new Promise((r) => worker.stderr.once('data', r));
  assert.equal(isAlive(copyPid), false);
  origin.open();
  const done = await ferry(['show', 'job', id, '--progress'], env);
  assert.equal(done.code, 0, done.stderr + done.stdout);
  for (const n of names)
    assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)), `${n} differs from the source`);
});
