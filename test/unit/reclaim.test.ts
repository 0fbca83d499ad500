// worker/reclaim.ts decides from a worker identity alone whether an attempt belongs to a dead local worker:
// getting that wrong would fail live attempts, so the rule is tested on real processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { deadLocalPid } from '../../worker/reclaim.js';
import { isAlive } from '../helpers/procs.js';

describe('deadLocalPid', () => {
  it('names the pid of an exited process on this host', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    assert.equal(deadLocalPid(`${pid}@${hostname()}`), pid);
  });

  it('names a zombie: exited, not yet reaped (an orphaned worker waiting for init)', async () => {
    // The background `sleep 0` exits at once; its parent exec's into `sleep 10` and never waits for it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 10'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))),
      );
      // isAlive (test/helpers/procs.ts) is false for a zombie; kill(pid, 0) then proves it is one, not gone.
      while (isAlive(pid)) await new Promise((r) => setTimeout(r, 10));
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) succeeds on a zombie');
      assert.equal(deadLocalPid(`${pid}@${hostname()}`), pid);
    } finally {
      parent.kill();
    }
  });

  it('never names a live process, this process, another host or a foreign identity form', () => {
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      assert.equal(deadLocalPid(`${live.pid}@${hostname()}`), undefined);
      assert.equal(deadLocalPid(`${process.pid}@${hostname()}`), undefined);
      assert.equal(deadLocalPid(`1@${hostname()}`), undefined); // init is alive
      assert.equal(deadLocalPid(`999999999@another-host`), undefined);
      assert.equal(deadLocalPid(`my-worker@${hostname()}`), undefined);
      assert.equal(deadLocalPid(''), undefined);
      assert.equal(deadLocalPid(`0@${hostname()}`), undefined);
    } finally {
      live.kill();
    }
  });
});
