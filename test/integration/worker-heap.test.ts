// `ferry worker` runs its worker in a child process with a bounded V8 heap (worker/launcher.ts), and the
// launcher is invisible: kill -9 of it takes the worker with it (what every crash test and supervisor
// relies on), SIGTERM drains the worker and both exit 0, FERRY_WORKER_HEAP=0 or a heap flag of the user's own
// runs the worker in one process, and a bad value is one line, exit 2. All gated on process state: the
// banner, then /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FerryHarness } from '../helpers/cli.js';
import { isAlive, liveGroupMembers } from '../helpers/procs.js';

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

/** Wait until `pid` is gone: state, not time (the cap only stops a hung test). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 1200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(isAlive(pid), false, `process ${pid} is still running`);
}

test('the worker runs with a bounded heap in a child; kill -9 of the launcher takes it along', async (t) => {
  const w = await new FerryHarness(t, 'heap').worker();
  const others = liveGroupMembers(w.pid).filter((p) => p !== w.pid);
  assert.equal(others.length, 1, `one worker child expected, found ${others.join(', ')}`);
  const child = others[0]!;
  assert.ok(cmdline(child).includes('--max-old-space-size=192'), cmdline(child).join(' '));
  assert.ok(!cmdline(w.pid).some((a) => a.startsWith('--max-old-space-size')), 'the launcher is unbounded');
  // Two malloc arenas unless the user chose (launcher.ts: ~50 MiB of peak RSS at 300,000 walked files).
  assert.ok(environ(child).includes('MALLOC_ARENA_MAX=2'), 'the worker runs with MALLOC_ARENA_MAX=2');
  // The launcher alone: the harness kills the rest of its group only on 'close', which waits for the child
  // too (it holds the launcher's stdout), so the child must die of the launcher's death by itself.
  process.kill(w.pid, 'SIGKILL');
  await gone(child);
});

test('SIGTERM reaches the worker, which drains; both exit 0', async (t) => {
  const w = await new FerryHarness(t, 'heap').worker({
    env: { FERRY_WORKER_HEAP: '256MiB', MALLOC_ARENA_MAX: '4' },
  });
  const child = liveGroupMembers(w.pid).find((p) => p !== w.pid)!;
  assert.ok(cmdline(child).includes('--max-old-space-size=256'), cmdline(child).join(' '));
  assert.ok(environ(child).includes('MALLOC_ARENA_MAX=4'), "the user's MALLOC_ARENA_MAX wins");
  w.child.kill('SIGTERM'); // the launcher only: it passes the signal on
  assert.deepEqual(await w.exitStatus, [0, null], w.stderr());
  await gone(child);
});

test("FERRY_WORKER_HEAP=0, or the user's own heap flag: one process, as started", async (t) => {
  const h = new FerryHarness(t, 'heap');
  const [a, b] = await Promise.all([
    h.worker({ env: { FERRY_WORKER_HEAP: '0' } }),
    h.worker({ nodeArgs: ['--max-old-space-size=300'] }),
  ]);
  assert.deepEqual(liveGroupMembers(a.pid), [a.pid]);
  assert.deepEqual(liveGroupMembers(b.pid), [b.pid]);
});

test('FERRY_WORKER_HEAP below 64MiB or not a size: one line, exit 2, no worker', async (t) => {
  const h = new FerryHarness(t, 'heap');
  for (const v of ['1MiB', 'lots']) {
    const r = await h.run(['worker'], { env: { FERRY_WORKER_HEAP: v } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^ferry: FERRY_WORKER_HEAP="?\w+"? /);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('a worker that runs out of heap is restarted with twice the heap, with one line and no V8 report', async (t) => {
  // A JSON listing of 3,000,000 entries (~150 MB): the scan holds the body as one string, more than a 64 MiB
  // (or 128 MiB) heap can hold, so the worker runs out of heap for real.
  const origin = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let i = 0;
    const more = (): void => {
      while (i < 3_000_000) {
        const chunk: string[] = [];
        for (const end = i + 10_000; i < end; i++)
          chunk.push(`${i ? ',' : '{"entries":['}{"name":"f-${i}.bin","type":"file","size":1}`);
        if (!res.write(chunk.join(''))) return void res.once('drain', more);
      }
      res.end(']}');
    };
    more();
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  t.after(() => origin.closeAllConnections());
  t.after(() => origin.close());
  const h = new FerryHarness(t, 'heap', { FERRY_WORKER_HEAP: '64MiB' });
  const w = await h.worker();
  const port = (origin.address() as AddressInfo).port;
  const start = await h.run(['job', 'start', 'prefetch', `http://127.0.0.1:${port}/`, join(h.dir, 'b')]);
  assert.equal(start.code, 0, start.stderr);
  // Rejects if the worker exits first. The cap only stops a hung test: the scan takes what it takes.
  await w.waitFor(/restarting it with 128 MiB/, 600_000);
  assert.match(
    w.stderr(),
    /^ferry worker: the worker ran out of its 64 MiB heap; restarting it with 128 MiB/m,
  );
  assert.doesNotMatch(w.stderr(), /FATAL ERROR|Last few GCs|^\s*\d+: 0x[0-9a-f]+/m);
  await h.run(['job', 'stop', start.stdout.split('\n')[0]!.trim()]);
});
