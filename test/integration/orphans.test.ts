// An aborted test run leaves no ferry process behind. The harness starts ferry processes in process groups of
// their own (so a test can kill -9 one with its children); such a group outlives the test process unless
// something kills it. Here a runner-like parent starts, through the harness, a `ferry worker`, a `ferry serve`
// and a one-shot command that never ends, and is then killed with SIGKILL: no t.after runs, so only the
// watchdogs (test/helpers/cli.ts, devserver/process.ts) can clean up. Every process that carries the
// parent's task queue in its environment must be gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir, rmrf } from '../helpers/exec.js';
import { liveGroupMembers, processesWithEnv } from '../helpers/procs.js';

test('SIGKILL of a test process takes its ferry worker, serve and one-shot commands with it', async (t) => {
  const dir = tempDir('orphans');
  t.after(() => rmrf(dir));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'a.bin'), 'a');
  const helpers = JSON.stringify(new URL('../helpers/cli.js', import.meta.url).href);
  const script = `const { FerryHarness, runFerry } = await import(${helpers});
    const h = new FerryHarness({ after() {} }, 'orphan-parent');
    const worker = await h.worker();
    const { proc: serve } = await h.serve(${JSON.stringify(join(dir, 'src'))});
    // A one-shot command (the path \`ferry migrate\` takes in tests) that does not end by itself.
    void runFerry(['serve', ${JSON.stringify(join(dir, 'src'))}, '--port', '0'], { env: h.env, timeoutMs: 3_600_000 });
    process.stdout.write(JSON.stringify({ queue: h.taskQueue, pids: [worker.pid, serve.pid] }) + '\\n');
    setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => parent.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    parent.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
  });
  const { queue, pids } = JSON.parse(line) as { queue: string; pids: number[] };
  // Gate on state: all three ferry processes exist (the one-shot one has no banner to wait for).
  const ferrys = () => processesWithEnv(`FERRY_TASK_QUEUE=${queue}`).filter((p) => p !== parent.pid);
  await until(
    () => ferrys().length >= 3,
    60_000,
    () => `3 ferry processes (have ${ferrys().join(', ')})`,
  );
  for (const pid of pids) assert.ok(ferrys().includes(pid), `harness pid ${pid} is among them`);
  const before = ferrys();

  parent.kill('SIGKILL');
  // The watchdogs send SIGTERM at once and SIGKILL 3 s later; the bound is for a loaded machine.
  const left = () => [...ferrys(), ...before.flatMap(liveGroupMembers)];
  await until(
    () => left().length === 0,
    60_000,
    () => `ferry processes gone (left: ${left().join(', ')})`,
  );
});

// --- internal ---

async function until(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`not reached in ${timeoutMs} ms: ${what()}`);
    await sleep(100);
  }
}
