// worker/reclaim.ts decides from a worker identity alone whether an attempt belongs to a dead local worker:
// getting that wrong would fail live attempts, so the rule is tested on real processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { deadLocalPid } from '../../worker/reclaim.js';

describe('deadLocalPid', () => {
  it('names the pid of an exited process on this host', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    assert.equal(deadLocalPid(`${pid}@${hostname()}`), pid);
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
