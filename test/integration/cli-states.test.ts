// Clear states, never a stack: what the CLI says when no worker polls a job's queue, when a worker appears,
// when Temporal refuses or cannot be reached, and when an object list is too large for one workflow input.
// "No worker" is a job started with `job start` (no --wait) on this test's own queue, which nobody polls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryHarness, makeDataset, type RunResult } from '../helpers/cli.js';

const noWorker = (q: string) =>
  `no worker is polling task queue \`${q}\` — start one with \`ferry worker --task-queue ${q}\``;

/** The whole of stderr is this one line. */
function oneLine(r: RunResult, line: string, what: string): void {
  assert.equal(r.stderr, `${line}\n`, `${what}: stderr\n${r.stdout}`);
  assert.ok(!r.stderr.includes('    at '), `${what}: no stack`);
}

test('no worker: start warns, show answers from the server, set refuses, signals are recorded; a worker then runs it', async (t) => {
  const h = new FerryHarness(t, 'states');
  const src = join(h.dir, 'src');
  makeDataset(src, { count: 40, name: (i) => `o-${String(i).padStart(2, '0')}.bin`, size: 1024 });
  const { url } = await h.serve(src);
  const bucket = join(h.dir, 'bucket');
  const q = h.taskQueue;

  const start = await h.run([
    'job',
    'start',
    'download',
    `${url}/o-{00..39}.bin`,
    bucket,
    '--batch-size',
    '5',
  ]);
  assert.equal(start.code, 0, start.stderr);
  const id = start.stdout.split('\n')[0]!.trim();
  assert.match(id, /^dnl-[0-9a-f]{10}$/);
  oneLine(start, `ferry: warning: ${noWorker(q)}`, 'job start');

  // show job: the server's view and the one line; no query was issued (it would need a worker).
  const shown = await h.run(['show', 'job', id]);
  assert.equal(shown.code, 0, shown.stderr);
  oneLine(shown, `ferry: ${noWorker(q)}`, 'show job');
  assert.match(shown.stdout, new RegExp(`job\\s+${id}`));
  assert.match(shown.stdout, /state\s+running \(last published\)/);
  assert.match(shown.stdout, /done\s+0\/40 in finished batches/);
  assert.match(shown.stdout, new RegExp(`task queue\\s+${q}`));

  const json = await h.run(['show', 'job', id, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const j = JSON.parse(json.stdout) as { worker: boolean; total: number; done: number; taskQueue: string };
  assert.equal(j.worker, false);
  assert.equal(j.total, 40);
  assert.equal(j.done, 0);
  assert.equal(j.taskQueue, q);

  const list = await h.run(['show', 'job']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${id}\\s+running\\s+no worker`));

  const set = await h.run(['job', 'set', id, '--max-conns', '4']);
  assert.equal(set.code, 1, set.stdout);
  oneLine(set, `ferry: job ${id} not changed: ${noWorker(q)}`, 'job set');

  const pause = await h.run(['job', 'pause', id]);
  assert.equal(pause.code, 0, pause.stderr);
  assert.equal(pause.stdout, `pause requested for job ${id}\n`);
  oneLine(pause, `ferry: warning: ${noWorker(q)}; the pause takes effect when one does`, 'job pause');

  // A live watch says the same in place of its bar, and keeps watching.
  const watch = h.spawn('watch', ['show', 'job', id, '--progress']);
  await watch.waitFor(/no worker is polling task queue `test-/);

  // A worker appears: the recorded pause applies, queries are answered, set works, nothing is said about workers.
  await h.worker();
  const paused = await h.waitForProgress(id, (p) => p.state === 'paused');
  assert.ok(paused.done < 40);
  const live = await h.run(['show', 'job', id, '--json']);
  assert.equal(live.code, 0, live.stderr);
  assert.equal(live.stderr, '');
  assert.equal((JSON.parse(live.stdout) as { state: string }).state, 'paused');
  const set2 = await h.run(['job', 'set', id, '--max-conns', '4']);
  assert.equal(set2.code, 0, set2.stderr);
  assert.equal(set2.stdout, `job ${id}: max-conns 4, limit none\n`);
  const resumed = await h.run(['job', 'resume', id]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stderr, '');
  assert.equal(await watch.exited, 0, watch.stderr());
  assert.match(watch.stdout(), /completed: 40 copied/);
});

test('one line and a documented exit code for errors from the server or the connection', async (t) => {
  const h = new FerryHarness(t, 'states-errors');
  const missing = await h.run(['show', 'job', 'dnl-0000000000']);
  assert.equal(missing.code, 1);
  oneLine(missing, 'ferry: job dnl-0000000000 not found', 'unknown job');
  for (const args of [
    ['job', 'pause', 'dnl-0000000000'],
    ['job', 'set', 'dnl-0000000000', '--max-conns', '2'],
    ['job', 'resume', 'dnl-0000000000'],
  ]) {
    const r = await h.run(args);
    assert.equal(r.code, 1, args.join(' '));
    oneLine(r, 'ferry: job dnl-0000000000 not found', args.join(' '));
  }
  // Nothing listens on port 1: the connection fails, in one line.
  const down = await h.run(['show', 'job', 'x'], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  assert.equal(down.code, 1, down.stdout);
  assert.equal(down.stderr.split('\n').length, 2, `one line:\n${down.stderr}`);
  assert.match(
    down.stderr,
    /^ferry: cannot reach the Temporal server at 127\.0\.0\.1:1 \(.+\): start one with `ferry server start`/,
  );
  // The worker connects natively (Rust): its refusal was a `tonic::transport::Error(…)` dump; now the same line.
  const worker = await h.run(['worker'], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
  assert.equal(worker.code, 1, worker.stdout);
  assert.equal(worker.stderr.split('\n').length, 2, `one line:\n${worker.stderr}`);
  assert.match(
    worker.stderr,
    /^ferry: cannot reach the Temporal server at 127\.0\.0\.1:1 \(connection refused\): start one with/,
  );
  // FERRY_DEBUG=1 adds the stack.
  const debug = await h.run(['show', 'job', 'dnl-0000000000'], { env: { FERRY_DEBUG: '1' } });
  assert.equal(debug.code, 1);
  assert.match(debug.stderr, /^ferry: job dnl-0000000000 not found\n.*\n\s+at /s);
});

test('a 90,000-name object list (~7 MB) is staged into the destination, not carried: the job starts with a small input', async (t) => {
  const h = new FerryHarness(t, 'states-large');
  const src = join(h.dir, 'src');
  makeDataset(src, { count: 1, name: () => 'x.bin', size: 1 });
  const { url } = await h.serve(src);
  // It printed a RESOURCE_EXHAUSTED stack after 41 s when the names travelled in the workflow input; now the
  // list is a manifest staged under the job's folder in the destination and read by the activities.
  const count = 90_000;
  const names = Array.from(
    { length: count },
    (_, i) => `dir-${'d'.repeat(60)}/obj-${String(i).padStart(6, '0')}.bin`,
  );
  const list = join(h.dir, `list-${count}.txt`);
  writeFileSync(list, names.join('\n'));
  const bucket = join(h.dir, `bucket-${count}`);
  // No worker polls this test's queue: the job is started and waits; the test ends it.
  const r = await h.run(['job', 'start', 'download', `${url}/`, bucket, '--object-list', list]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  const id = r.stdout.split('\n')[0]!.trim();
  const handle = (await h.temporal()).workflow.getHandle(id);
  t.after(() => handle.terminate('test over').catch(() => undefined));
  const history = JSON.stringify(await handle.fetchHistory());
  assert.ok(history.length < 20_000, `history of ${history.length} bytes`);
  assert.ok(!history.includes('obj-000001'), 'no name in history');
  assert.equal(readFileSync(join(bucket, '.ferry', 'jobs', id, 'manifest'), 'utf8'), names.join('\n'));
});
