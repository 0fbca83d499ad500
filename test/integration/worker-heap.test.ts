// `ferry worker` runs its worker in a child process with a bounded V8 heap (worker/launcher.ts), and the
// launcher is invisible: kill -9 of it takes the worker with it (what every crash test and supervisor
// relies on), SIGTERM drains the worker and both exit 0, FERRY_WORKER_HEAP=0 or a heap flag of the user's own
// runs the worker in one process, and a bad value is one line, exit 2. All gated on process state: the
// banner, then /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLI, cliEnv, ferry, scratch } from '../helpers/exec.js';
import { isAlive, liveGroupMembers } from '../helpers/procs.js';

function startWorker(
  t: { after: (fn: () => void) => void },
  env: Record<string, string>,
  node: string[] = [],
) {
  const p = spawn(process.execPath, [...node, CLI, 'worker'], { env, detached: true });
  let log = '';
  p.stderr.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    p.once('exit', (c, s) => r([c, s])),
  );
  t.after(() => {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const banner = async () => {
    while (!/ferry worker: .* queue /.test(log)) {
      const more = new Promise((r) => p.stderr.once('data', r));
      const end = exited.then(() => 'exit');
      if ((await Promise.race([more, end])) === 'exit') assert.fail(`the worker exited:\n${log}`);
    }
  };
  return { p, exited, banner, log: () => log };
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

/** Wait until `pid` is gone: state, not time (the cap only stops a hung test). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 1200 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(isAlive(pid), false, `process ${pid} is still running`);
}

test('the worker runs with a bounded heap in a child; kill -9 of the launcher takes it along', async (t) => {
  const w = startWorker(t, cliEnv());
  await w.banner();
  const others = liveGroupMembers(w.p.pid!).filter((p) => p !== w.p.pid);
  assert.equal(others.length, 1, `one worker child expected, found ${others.join(', ')}`);
  const child = others[0]!;
  assert.ok(cmdline(child).includes('--max-old-space-size=192'), cmdline(child).join(' '));
  assert.ok(
    !cmdline(w.p.pid!).some((a) => a.startsWith('--max-old-space-size')),
    'the launcher is unbounded',
  );
  process.kill(w.p.pid!, 'SIGKILL');
  await gone(child);
});

test('SIGTERM reaches the worker, which drains; both exit 0', async (t) => {
  const w = startWorker(t, cliEnv({ FERRY_WORKER_HEAP: '256MiB' }));
  await w.banner();
  const child = liveGroupMembers(w.p.pid!).find((p) => p !== w.p.pid)!;
  assert.ok(cmdline(child).includes('--max-old-space-size=256'), cmdline(child).join(' '));
  w.p.kill('SIGTERM');
  assert.deepEqual(await w.exited, [0, null], w.log());
  await gone(child);
});

test("FERRY_WORKER_HEAP=0, or the user's own heap flag: one process, as started", async (t) => {
  const a = startWorker(t, cliEnv({ FERRY_WORKER_HEAP: '0' }));
  const b = startWorker(t, cliEnv(), ['--max-old-space-size=300']);
  await Promise.all([a.banner(), b.banner()]);
  assert.deepEqual(liveGroupMembers(a.p.pid!), [a.p.pid]);
  assert.deepEqual(liveGroupMembers(b.p.pid!), [b.p.pid]);
});

test('FERRY_WORKER_HEAP below 64MiB or not a size: one line, exit 2, no worker', async () => {
  for (const v of ['1MiB', 'lots']) {
    const r = await ferry(['worker'], cliEnv({ FERRY_WORKER_HEAP: v }));
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
  const env = cliEnv({ FERRY_WORKER_HEAP: '64MiB' });
  const w = startWorker(t, env);
  const port = (origin.address() as AddressInfo).port;
  const [out] = scratch(t, 'heap-out');
  const start = await ferry(['job', 'start', 'prefetch', `http://127.0.0.1:${port}/`, join(out, 'b')], env);
  assert.equal(start.code, 0, start.stderr);
  while (!/restarting it with 128 MiB/.test(w.log())) {
    const more = new Promise((r) => w.p.stderr.once('data', r));
    if ((await Promise.race([more, w.exited.then(() => 'exit')])) === 'exit') assert.fail(w.log());
  }
  assert.match(w.log(), /^ferry worker: the worker ran out of its 64 MiB heap; restarting it with 128 MiB/m);
  assert.doesNotMatch(w.log(), /FATAL ERROR|Last few GCs|^\s*\d+: 0x[0-9a-f]+/m);
  await ferry(['job', 'stop', start.stdout.split('\n')[0]!.trim()], env);
});
