// `ferry migrate` hosts the worker that serves the directory and copies. Kill it with -9 mid-copy: the job
// waits in Temporal; `ferry job resume ID` on the same host serves the directory again and finishes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, cliEnv, ferry, filesUnder, sha256File, scratch } from '../helpers/exec.js';

test('kill -9 of `ferry migrate` mid-copy; `job resume` finishes the job', async (t) => {
  const [src, out] = scratch(t, 'mk-src', 'mk-out');
  const names = Array.from({ length: 300 }, (_, i) => `m-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(32 * 1024));
  const env = cliEnv();
  const bucket = join(out, 'bucket');
  // ~9.4 MiB at ~1 MiB/s: ~10 s of copying.
  const mig = spawn(
    process.execPath,
    [
      CLI,
      'migrate',
      src,
      bucket,
      '--template',
      'm-{000..299}.bin',
      '--batch-size',
      '10',
      '--limit-bph',
      '3600MiB',
      '-q',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  t.after(() => {
    try {
      process.kill(-mig.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  const id = await new Promise<string>((r) =>
    mig.stdout.once('data', (d: Buffer) => r(d.toString().split('\n')[0]!.trim())),
  );
  assert.match(id, /^mig-/);
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    const present = existsSync(bucket) ? filesUnder(bucket).length : 0;
    if (present >= 60) break;
  }
  const before = filesUnder(bucket).length;
  process.kill(-mig.pid!, 'SIGKILL');
  assert.ok(before > 0 && before < 300, `killed mid-copy (${before}/300)`);
  await sleep(500);

  const resumed = await ferry(['job', 'resume', id, '-q'], env, 240_000);
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stderr, /serving .* for job/);
  assert.match(resumed.stdout, /completed: \d+ copied/);
  assert.deepEqual(filesUnder(bucket), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
  assert.deepEqual(filesUnder(join(bucket, '.ferry', 'tmp')), []);
});
