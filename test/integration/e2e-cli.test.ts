// The seed scenario through the real CLI, worker and dev server: serve a directory, read one object,
// download a template into a local bucket, list it, compare every byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  CLI,
  cliEnv,
  ferry,
  fileSize,
  filesUnder,
  rmrf,
  sha256File,
  tempDir,
  scratch,
} from '../helpers/exec.js';

function makeSeed(dir: string): string[] {
  writeFileSync(join(dir, 'hello-world'), 'hello world\n');
  const names: string[] = [];
  for (let i = 1; i <= 100; i++) {
    const n = `shard-${String(i).padStart(3, '0')}.tar`;
    // Varied sizes: 0 bytes, tiny, and up to ~600 KiB.
    const size = i === 1 ? 0 : (i * 104_729) % 600_000;
    writeFileSync(join(dir, n), randomBytes(size));
    names.push(n);
  }
  return names;
}

test('serve → object get → job start download --wait → ls → sha256 of every object', async (t) => {
  const src = tempDir('seed-src');
  const out = tempDir('seed-out');
  const bucket = join(out, 'bucket');
  t.after(() => {
    rmrf(src);
    rmrf(out);
  });
  const names = makeSeed(src);
  const env = cliEnv();

  const server = spawn(process.execPath, [CLI, 'serve', src, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => server.kill('SIGKILL'));
  const [chunk] = (await once(server.stdout, 'data')) as [Buffer];
  const url = /at (http:\/\/\S+)/.exec(chunk.toString())?.[1];
  assert.ok(url, `serve printed its URL: ${chunk.toString()}`);

  const got = await ferry(['object', 'get', `${url}hello-world`, join(out, 'hello')], env);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(readFileSync(join(out, 'hello'), 'utf8'), 'hello world\n');

  const job = await ferry(
    ['job', 'start', 'download', `${url}shard-{001..100}.tar`, bucket, '--wait', '-q'],
    env,
  );
  assert.equal(job.code, 0, job.stderr + job.stdout);
  const jobId = job.stdout.split('\n')[0]!.trim();
  assert.match(jobId, /^dnl-[0-9a-f]{10}$/);
  assert.match(job.stdout, /completed: 100 copied, 0 skipped, 0 failed of 100/);

  const ls = await ferry(['ls', bucket, '--json'], env);
  assert.equal(ls.code, 0, ls.stderr);
  const listed = ls.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; size: number });
  assert.equal(listed.length, 100);
  assert.deepEqual(
    listed.map((o) => o.name),
    names,
  );
  for (const o of listed) assert.equal(o.size, fileSize(join(src, o.name)), `size of ${o.name}`);
  for (const n of names)
    assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)), `sha256 of ${n}`);
  // The human table has the same rows.
  const table = await ferry(['ls', bucket], env);
  assert.match(table.stdout, /^NAME\s+SIZE$/m);
  assert.equal(table.stdout.trim().split('\n').length, 101);

  // Visible as a finished job, with its report.
  const show = await ferry(['show', 'job', jobId, '--json'], env);
  const report = JSON.parse(show.stdout) as { state: string; totals: { copied: number; bytes: number } };
  assert.equal(report.state, 'completed');
  assert.equal(report.totals.copied, 100);
  assert.equal(
    report.totals.bytes,
    names.reduce((a, n) => a + fileSize(join(src, n)), 0),
  );
  const all = await ferry(['show', 'job', '--all'], env);
  assert.match(all.stdout, new RegExp(`^${jobId}\\s+completed`, 'm'));
});

test('migrate runs both steps in one workflow; --dry-run writes nothing; template prints names', async (t) => {
  const [src, out] = scratch(t, 'mig-src', 'mig-out');
  const names = makeSeed(src);
  const env = cliEnv();

  const dry = await ferry(
    ['migrate', src, join(out, 'dry'), '--template', 'shard-{001..100}.tar', '--dry-run'],
    env,
  );
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /objects\s+100/);
  assert.match(dry.stdout, /first\s+shard-001\.tar/);
  assert.match(dry.stdout, /last\s+shard-100\.tar/);
  assert.ok(!existsSync(join(out, 'dry')), 'dry run created nothing');

  const bucket = join(out, 'bucket');
  const mig = await ferry(['migrate', src, bucket, '--template', 'shard-{001..100}.tar', '-q'], env);
  assert.equal(mig.code, 0, mig.stderr + mig.stdout);
  assert.match(mig.stdout, /completed: 100 copied/);
  assert.deepEqual(filesUnder(bucket), names);
  for (const n of names) assert.equal(sha256File(join(bucket, n)), sha256File(join(src, n)));
  assert.deepEqual(filesUnder(join(bucket, '.ferry', 'tmp')), [], 'no temp files left');

  const tpl = await ferry(['template', 'shard-{0010..0014..2}-{a,b}.tar'], env);
  assert.equal(
    tpl.stdout,
    ['0010-a', '0010-b', '0012-a', '0012-b', '0014-a', '0014-b'].map((s) => `shard-${s}.tar\n`).join(''),
  );
  const count = await ferry(['template', 'shard-{000000..999999}.tar', '--count'], env);
  assert.equal(count.stdout.trim(), '1000000');
});
