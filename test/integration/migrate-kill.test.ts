// `ferry migrate` hosts the worker that serves the directory and copies. Kill it with -9 mid-copy: the job
// waits in Temporal; `ferry job resume ID` on the same host serves the directory again and finishes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryHarness } from '../helpers/cli.js';
import { filesUnder, sha256File } from '../helpers/exec.js';

test('kill -9 of `ferry migrate` mid-copy; `job resume` finishes the job', async (t) => {
  const h = new FerryHarness(t, 'mk');
  const src = join(h.dir, 'src');
  mkdirSync(src);
  const names = Array.from({ length: 300 }, (_, i) => `m-${String(i).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(32 * 1024));
  const bucket = join(h.dir, 'bucket');
  // ~9.4 MiB at ~1 MiB/s: ~10 s of copying at most speed; a slower machine only copies slower. The directory
  // is served by `migrate` itself, so no test-controlled origin can hold it: the limit keeps the kill mid-copy.
  const mig = h.spawn('migrate', [
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
  ]);
  const id = (await mig.waitFor(/^(mig-\S+)$/m, 120_000))[1]!;
  // Gate on state (objects landed), with a bound for a loaded machine rather than a pace.
  const present = () => (existsSync(bucket) ? filesUnder(bucket).length : 0);
  const deadline = Date.now() + 180_000;
  while (present() < 60 && Date.now() < deadline) await sleep(200);
  const before = present();
  await mig.kill();
  assert.ok(before >= 60 && before < 300, `killed mid-copy (${before}/300)`);

  const resumed = await h.run(['job', 'resume', id, '-q'], { timeoutMs: 240_000 });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stderr, /serving .* for job/);
  assert.match(resumed.stdout, /completed: \d+ copied/);
  assert.deepEqual(filesUnder(bucket), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
  assert.deepEqual(filesUnder(join(bucket, '.ferry', 'tmp')), []);
});
