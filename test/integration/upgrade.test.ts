// An upgrade mid-migration: a job started by a worker built from an earlier commit (default: where this
// branch left main, or HEAD~1 on main; FERRY_TEST_UPGRADE_FROM=<rev> for another) is finished by a worker of
// this build. The earlier build dies mid-batch (kill -9); the current one replays the history and copies the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { MigrationReport } from '../../common/schemas.js';
import { ferryBuildId } from '../../worker/index.js';
import { FerryHarness } from '../helpers/cli.js';
import { startGatedOrigin } from '../helpers/gated-origin.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OBJECTS = 48;

test('a job started by the previous build is finished by this one', async (t) => {
  const h = new FerryHarness(t, 'upgrade');
  const git = async (...args: string[]) => (await run('git', args, { cwd: ROOT })).stdout.trim();
  const head = await git('rev-parse', 'HEAD');
  const base = await git('merge-base', 'HEAD', 'main').catch(() => head);
  const rev =
    process.env.FERRY_TEST_UPGRADE_FROM ?? (base !== head ? base : await git('rev-parse', 'HEAD~1'));
  // The earlier build: its tree (git archive: no worktree registered), our node_modules, its own tsc.
  const old = join(h.dir, 'old');
  mkdirSync(old);
  let t0 = performance.now();
  await run('sh', ['-c', `git archive ${rev} | tar -x -C ${old}`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(old, 'node_modules'));
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: old,
    timeout: 300_000,
  });
  const buildSecs = (performance.now() - t0) / 1000;

  const src = join(h.dir, 'src');
  mkdirSync(src);
  const names = Array.from({ length: OBJECTS }, (_, i) => `u-${String(i).padStart(2, '0')}.bin`);
  for (const [i, n] of names.entries()) writeFileSync(join(src, n), randomBytes(2000 + i));
  const origin = await startGatedOrigin(src, { held: true });
  t.after(() => origin.close());
  const bucket = join(h.dir, 'bucket');

  const oldWorker = h.spawn('old-worker', ['worker'], { bin: join(old, 'bin', 'ferry.js') });
  await oldWorker.waitFor(/ferry worker: .* queue /, 120_000);
  const start = await h.run([
    'job',
    'start',
    'download',
    `${origin.url}u-{00..${OBJECTS - 1}}.bin`,
    bucket,
    '--batch-size',
    '8',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  // The old build has run the job's first workflow tasks and its batches wait at the origin: it dies there.
  await origin.waitUntil((s) => s.held > 0, 'a batch of the old build at the origin');
  await oldWorker.kill();
  origin.open();

  t0 = performance.now();
  await h.worker();
  const client = await h.temporal();
  const report = (await client.workflow.getHandle(id).result()) as MigrationReport;
  const finishSecs = (performance.now() - t0) / 1000;
  assert.equal(report.state, 'completed');
  assert.equal(report.totals.copied, OBJECTS);
  assert.deepEqual(
    readdirSync(bucket)
      .filter((n) => n.endsWith('.bin'))
      .sort(),
    names,
  );
  for (const n of names) assert.ok(readFileSync(join(bucket, n)).equals(readFileSync(join(src, n))), n);
  // This build completed workflow tasks of the job, after the earlier one (whose build ID equals ours when the
  // two commits' workflow code is the same).
  const history = await client.workflow.getHandle(id).fetchHistory();
  const builds = new Set(
    (history.events ?? []).flatMap((e) => {
      const b = e.workflowTaskCompletedEventAttributes?.workerVersion?.buildId;
      return b ? [b] : [];
    }),
  );
  assert.ok(builds.has(await ferryBuildId()), `builds in the history: ${[...builds].join(', ')}`);
  t.diagnostic(
    `from ${rev.slice(0, 7)}: build ${buildSecs.toFixed(1)} s, finished by this build in ${finishSecs.toFixed(1)} s; builds ${[...builds].join(', ')}`,
  );
});
