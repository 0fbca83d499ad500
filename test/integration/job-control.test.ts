// pause / unpause / set (validated update) / stop / resume on a running job, through the CLI, with the copy
// done by a `ferry worker` in its own process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, cliEnv, ferry, filesUnder, sha256File, scratch } from '../helpers/exec.js';

interface Progress {
  state: string;
  done: number;
  total: number;
  maxConns: number;
}

test('pause holds the job, unpause and set change it, stop then resume finishes it', async (t) => {
  const [src, out] = scratch(t, 'ctl-src', 'ctl-out');
  const names = Array.from({ length: 400 }, (_, i) => `o-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(32 * 1024));
  const env = cliEnv();
  const bucket = join(out, 'bucket');

  const server = spawn(process.execPath, [CLI, 'serve', src, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.after(() => server.kill('SIGKILL'));
  const [chunk] = (await once(server.stdout, 'data')) as [Buffer];
  const url = /at (http:\/\/\S+)/.exec(chunk.toString())![1]!;
  const worker = spawn(process.execPath, [CLI, 'worker'], { env, stdio: 'ignore' });
  t.after(() => worker.kill('SIGKILL'));

  // ~12.8 MiB at 1 MiB/s ≈ 13 s: slow enough to act on, fast enough for CI.
  const start = await ferry(
    [
      'job',
      'start',
      'download',
      `${url}o-{000..399}.bin`,
      bucket,
      '--batch-size',
      '10',
      '--limit-bph',
      '3600MiB',
    ],
    env,
  );
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  assert.match(start.stdout, new RegExp(`Run \`ferry show job ${id} --progress\` to monitor the progress.`));
  const progress = async (): Promise<Progress> =>
    JSON.parse((await ferry(['show', 'job', id, '--json'], env)).stdout) as Progress;

  assert.equal((await ferry(['job', 'pause', id], env)).code, 0);
  // In-flight batches finish; then nothing moves.
  let p = await progress();
  for (let i = 0; i < 50 && p.state !== 'paused'; i++) p = await progress();
  assert.equal(p.state, 'paused');
  await sleep(1500);
  const held = await progress();
  await sleep(1500);
  const still = await progress();
  assert.equal(still.done, held.done, 'no progress while paused');
  assert.ok(still.done < 400, `paused before the end (${still.done})`);

  const bad = await ferry(['job', 'set', id, '--max-conns', '0'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-conns 0/);
  const set = await ferry(['job', 'set', id, '--max-conns', '4'], env);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /max-conns 4/);
  assert.equal((await progress()).maxConns, 4);

  assert.equal((await ferry(['job', 'unpause', id], env)).code, 0);
  await sleep(800);
  const stop = await ferry(['job', 'stop', id], env);
  assert.equal(stop.code, 0, stop.stderr);
  const stopped = await ferry(['show', 'job', id, '--progress'], env);
  assert.equal(stopped.code, 4, `exit 4 = stopped\n${stopped.stdout}${stopped.stderr}`);
  assert.match(stopped.stdout, /stopped: \d+ copied/);
  assert.deepEqual(filesUnder(join(bucket, '.ferry', 'tmp')), [], 'no temp files after stop');

  const resumed = await ferry(['job', 'resume', id, '--wait', '-q'], env);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, /skip-existing/);
  assert.deepEqual(filesUnder(bucket), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
});
