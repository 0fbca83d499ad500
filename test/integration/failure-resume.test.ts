// Permanent failures end the job with exactly those objects reported (not retried forever); after the files
// appear, `job resume` copies only them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cliEnv, ferry, filesUnder, sha256File, scratch } from '../helpers/exec.js';

interface Report {
  state: string;
  total: number;
  totals: { copied: number; skipped: number; failed: number };
  failures: { name: string; type: string; retryable: boolean }[];
}

test('404s are reported as failed without endless retries; resume copies only them', async (t) => {
  const [src, out] = scratch(t, 'fail-src', 'fail-out');
  const names = Array.from({ length: 100 }, (_, i) => `shard-${String(i + 1).padStart(3, '0')}.tar`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(4096));
  const missing = ['shard-013.tar', 'shard-014.tar', 'shard-050.tar', 'shard-099.tar', 'shard-100.tar'];
  const hold = join(out, 'hold');
  mkdirSync(hold);
  for (const n of missing) renameSync(join(src, n), join(hold, n));
  const env = cliEnv();
  const bucket = join(out, 'bucket');

  const started = Date.now();
  const run = await ferry(
    ['migrate', src, bucket, '--template', 'shard-{001..100}.tar', '--batch-size', '16', '-q'],
    env,
  );
  const secs = (Date.now() - started) / 1000;
  assert.equal(run.code, 3, `exit 3 = finished with failures\n${run.stderr}\n${run.stdout}`);
  const jobId = run.stdout.split('\n')[0]!.trim();
  // Permanent errors are not retried with backoff: the job takes seconds; retried, it would take ~15 minutes
  // (20 attempts, backoff 1 s → 60 s). The bound is far from both, for a loaded machine.
  assert.ok(secs < 180, `job took ${secs}s`);

  const show = await ferry(['show', 'job', jobId, '--json'], env);
  const report = JSON.parse(show.stdout) as Report;
  assert.equal(report.state, 'completed-with-failures');
  assert.equal(report.totals.copied, 95);
  assert.equal(report.totals.failed, 5);
  assert.deepEqual(report.failures.map((f) => f.name).sort(), missing);
  for (const f of report.failures) {
    assert.equal(f.type, 'SourceNotFound');
    assert.equal(f.retryable, false);
  }
  assert.deepEqual(
    filesUnder(bucket),
    names.filter((n) => !missing.includes(n)),
  );

  for (const n of missing) renameSync(join(hold, n), join(src, n));
  const resumed = await ferry(['job', 'resume', jobId, '--wait', '-q'], env);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stderr, /retrying the 5 failed objects/);
  const after = JSON.parse((await ferry(['show', 'job', jobId, '--json'], env)).stdout) as Report;
  assert.equal(after.state, 'completed');
  assert.equal(after.total, 5, 'the resumed run covered only the failed objects');
  assert.equal(after.totals.copied, 5);
  assert.deepEqual(filesUnder(bucket), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
});

test('an object-list job: 404s reported, resume fetches exactly those names', async (t) => {
  const [src, out] = scratch(t, 'lfail-src', 'lfail-out');
  // Scattered names (not a template), some in subdirectories.
  const names = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? `d${i % 4}/f-${i}.dat` : `f-${i}.dat`));
  for (const n of names) {
    mkdirSync(join(src, n, '..'), { recursive: true });
    writeFileSync(join(src, n), randomBytes(1000 + i(n)));
  }
  const missing = [names[7]!, names[30]!, names[59]!];
  const hold = join(out, 'hold');
  mkdirSync(hold);
  missing.forEach((n, k) => renameSync(join(src, n), join(hold, String(k))));
  const list = join(out, 'list.txt');
  writeFileSync(list, `# a comment\n${names.join('\n')}\n`);
  const env = cliEnv();
  const bucket = join(out, 'bucket');
  const server = await ferryServe(src, env, t);

  const run = await ferry(
    ['job', 'start', 'download', server, bucket, '--object-list', list, '--batch-size', '7', '--wait', '-q'],
    env,
  );
  assert.equal(run.code, 3, run.stderr + run.stdout);
  const jobId = run.stdout.split('\n')[0]!.trim();
  const report = JSON.parse((await ferry(['show', 'job', jobId, '--json'], env)).stdout) as Report;
  assert.deepEqual(report.failures.map((f) => f.name).sort(), [...missing].sort());

  missing.forEach((n, k) => renameSync(join(hold, String(k)), join(src, n)));
  const resumed = await ferry(['job', 'resume', jobId, '--wait', '-q'], env);
  assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
  const after = JSON.parse((await ferry(['show', 'job', jobId, '--json'], env)).stdout) as Report;
  // A manifest job resumes by reading its manifest again with skip-existing: the 57 copied are skipped.
  assert.equal(after.total, names.length);
  assert.equal(after.totals.copied, 3);
  assert.equal(after.totals.skipped, names.length - 3);
  assert.deepEqual(filesUnder(bucket), [...names].sort());
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
});

function i(n: string): number {
  return Number(/\d+(?=\.dat$)/.exec(n)?.[0] ?? 0);
}

async function ferryServe(
  dir: string,
  env: Record<string, string>,
  t: { after: (fn: () => void) => void },
): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.after(() => child.kill('SIGKILL'));
  return new Promise((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(/at (\S+)/.exec(d.toString())![1]!)),
  );
}
