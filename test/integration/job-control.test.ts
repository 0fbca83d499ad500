// pause / unpause / set (validated update) / stop / resume on a running job, through the CLI, with the copy
// done by a `ferry worker` in its own process.
//
// Deterministic by construction: the origin parks every GET at a gate the test controls, so each control is
// sent while batches are provably in flight and unable to finish ("a batch has started" is read off the
// origin, the job's state off the workflow's progress query). No step depends on how fast the machine copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryHarness, listFiles } from '../helpers/cli.js';
import { sha256File } from '../helpers/exec.js';
import { startGatedOrigin } from '../helpers/gated-origin.js';

const OBJECTS = 400;

test('pause holds the job, unpause and set change it, stop then resume finishes it', async (t) => {
  const h = new FerryHarness(t, 'ctl');
  const src = join(h.dir, 'src');
  mkdirSync(src);
  const names = Array.from({ length: OBJECTS }, (_, i) => `o-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(4 * 1024));
  const bucket = join(h.dir, 'bucket');
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  await h.worker();

  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}o-{000..399}.bin`,
    bucket,
    '--batch-size',
    '10',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  assert.match(start.stdout, new RegExp(`Run \`ferry show job ${id} --progress\` to monitor the progress.`));

  // Pause while the first batches are parked at the origin: the job cannot have finished.
  await origin.waitUntil((s) => s.held > 0, 'a batch waiting at the origin');
  assert.equal((await h.run(['job', 'pause', id])).code, 0);
  await h.waitForProgress(id, (p) => p.state === 'paused');
  // In-flight batches finish once the origin answers; then nothing is dispatched.
  origin.open();
  const held = await h.waitForProgress(id, (p) => p.state === 'paused' && p.inFlightBatches === 0);
  const gets = origin.gets();
  assert.ok(held.done < OBJECTS, `paused before the end (${held.done})`);

  const bad = await h.run(['job', 'set', id, '--max-conns', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-conns 0/);
  const set = await h.run(['job', 'set', id, '--max-conns', '4']);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /max-conns 4/);
  const shown = JSON.parse((await h.run(['show', 'job', id, '--json'])).stdout) as { maxConns: number };
  assert.equal(shown.maxConns, 4);
  // A negative can only be observed over some time; a slow machine makes this check weaker, never red.
  await sleep(1000);
  const still = await h.waitForProgress(id, () => true);
  assert.equal(still.done, held.done, 'no progress while paused');
  assert.equal(still.inFlightBatches, 0, 'nothing dispatched while paused');
  assert.equal(origin.gets(), gets, 'no origin request while paused');

  // Unpause with the gate held again: stop reaches a job whose new batches have started and cannot finish.
  origin.hold();
  assert.equal((await h.run(['job', 'unpause', id])).code, 0);
  await origin.waitUntil((s) => s.held > 0, 'a batch started after unpause');
  const stop = await h.run(['job', 'stop', id]);
  assert.equal(stop.code, 0, stop.stderr);
  // 'stopped' too: the job may close at once if cancellation aborts the parked requests.
  await h.waitForProgress(id, (p) => p.state === 'stopping' || p.state === 'stopped');
  origin.open();
  const stopped = await h.run(['show', 'job', id, '--progress']);
  assert.equal(stopped.code, 4, `exit 4 = stopped\n${stopped.stdout}${stopped.stderr}`);
  assert.match(stopped.stdout, /stopped: \d+ copied/);
  assert.deepEqual(await listFiles(join(bucket, '.ferry', 'tmp')), [], 'no temp files after stop');

  const resumed = await h.run(['job', 'resume', id, '--wait', '-q']);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, /skip-existing/);
  assert.deepEqual((await listFiles(bucket, { skip: ['.ferry'] })).sort(), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
});
