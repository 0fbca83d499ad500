// `ferry job verify`: after a real job, one stored object is corrupted by a byte behind ferry's back, one is
// deleted and one truncated; verify names exactly those three (and nothing else), its report says so per
// object, and the exit code is 3. A clean job verifies with exit 0, with the origin re-read too (--source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, ferry, scratch } from '../helpers/exec.js';
import { serve } from '../helpers/seed.js';

interface Row {
  index: number;
  name: string;
  outcome: string;
  size?: number;
  message?: string;
}

function rows(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

test('verify names exactly the corrupted, deleted and truncated objects', async (t) => {
  const [src, out] = scratch(t, 'verify-src', 'verify-out');
  const env = cliEnv();
  const bucket = join(out, 'bucket');
  const files = Array.from({ length: 40 }, (_, i) => `file-${String(i).padStart(2, '0')}.bin`);
  for (const [i, n] of files.entries()) writeFileSync(join(src, n), randomBytes(1000 + i * 97));
  const url = await serve(t, src, env);
  const job = await ferry(
    ['job', 'start', 'download', `${url}file-{00..39}.bin`, bucket, '--wait', '-q', '--batch-size', '8'],
    env,
  );
  assert.equal(job.code, 0, job.stderr + job.stdout);
  const id = job.stdout.split('\n')[0]!.trim();

  // A clean job verifies, against the origin too.
  const clean = await ferry(['job', 'verify', id, '--source'], env);
  assert.equal(clean.code, 0, clean.stderr + clean.stdout);
  assert.match(clean.stdout, /40 verified, 0 mismatch, 0 missing/);

  // Behind ferry's back: one byte flipped, one object deleted, one truncated.
  const flip = openSync(join(bucket, 'file-07.bin'), 'r+');
  writeSync(flip, Buffer.from([readFileSync(join(bucket, 'file-07.bin'))[500]! ^ 0xff]), 0, 1, 500);
  closeSync(flip);
  rmSync(join(bucket, 'file-21.bin'));
  truncateSync(join(bucket, 'file-33.bin'), 100);

  const report = join(out, 'verify.jsonl');
  const bad = await ferry(['job', 'verify', id, '--report', report], env);
  t.diagnostic(bad.stdout);
  assert.equal(bad.code, 3, bad.stderr + bad.stdout);
  assert.match(bad.stdout, /37 verified, 2 mismatch, 1 missing/);
  const problems = rows(report).filter((r) => r.outcome !== 'verified');
  assert.deepEqual(
    problems.map((r) => [r.name, r.outcome]),
    [
      ['file-07.bin', 'mismatch'],
      ['file-21.bin', 'missing'],
      ['file-33.bin', 'mismatch'],
    ],
  );
  assert.match(problems[0]!.message ?? '', /checksum/);
  assert.match(problems[2]!.message ?? '', /size 100, recorded/);
  assert.equal(rows(report).length, 40);
  // The terminal lists the same three.
  for (const n of ['file-07.bin', 'file-21.bin', 'file-33.bin']) assert.match(bad.stdout, new RegExp(n));
});

test('verify of an unknown job: one line, exit 2', async () => {
  const r = await ferry(['job', 'verify', 'no-such-job-123'], cliEnv());
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^ferry: job no-such-job-123 not found/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('--verify transferred runs the verification as the job last phase', async (t) => {
  const [src, out] = scratch(t, 'verify2-src', 'verify2-out');
  for (let i = 0; i < 12; i++) writeFileSync(join(src, `g-${i}.bin`), randomBytes(3000 + i));
  const env = cliEnv();
  const url = await serve(t, src, env);
  const job = await ferry(
    [
      'job',
      'start',
      'download',
      `${url}g-{0..11}.bin`,
      join(out, 'bucket'),
      '--wait',
      '--verify',
      'transferred',
    ],
    env,
  );
  assert.equal(job.code, 0, job.stderr + job.stdout);
  assert.match(job.stdout, /verify: 12 verified, 0 mismatch, 0 missing/);
  const bad = await ferry(
    ['job', 'start', 'download', `${url}g-{0..11}.bin`, join(out, 'b2'), '--verify', 'some'],
    env,
  );
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^ferry: invalid --verify "some": use none, transferred or all$/m);
});
