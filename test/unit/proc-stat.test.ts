// lib/proc-stat.ts on real processes (no fake /proc): a command name with spaces and parentheses, which a
// parser that splits on the first ')' or on spaces would misread, and a zombie, which must read as exited.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { hasExited, readProcStat } from '../../lib/proc-stat.js';

/** A shell that renames itself (comm, 15 bytes at most) to `comm`, says so, and waits on its stdin. */
function renamed(comm: string) {
  const sh = spawn('sh', ['-c', 'printf %s "$1" > /proc/$$/comm && echo ready && read x', 'sh', comm], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  const ready = new Promise<void>((resolve, reject) => {
    sh.stdout.once('data', () => resolve());
    sh.once('exit', (code) => reject(new Error(`sh exited (${code}) before renaming itself`)));
  });
  return { sh, ready };
}

describe('readProcStat', () => {
  it('reads the fields after a command name with spaces and parentheses in it', async () => {
    const comm = 'a) b (c) d 1 2';
    const { sh, ready } = renamed(comm);
    try {
      await ready;
      const pid = sh.pid!;
      assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd(), comm, 'the kernel took the name');
      const s = readProcStat(pid);
      assert.ok(s);
      assert.equal(s.comm, comm);
      assert.match(s.state, /^[RS]$/);
      assert.equal(s.ppid, process.pid);
      assert.equal(s.pgrp, pid, 'detached: leader of a group of its own');
      // Field 22 is the start time: later than this process's own (both in clock ticks since boot).
      assert.ok(Number.isSafeInteger(s.startTime) && s.startTime >= readProcStat(process.pid)!.startTime);
      assert.equal(hasExited(s), false);
    } finally {
      sh.kill('SIGKILL');
    }
  });

  it('reads a zombie as exited, and a reaped process as undefined', async () => {
    // Node reaps its own children at once, so the zombie is a grandchild: a subshell that renames itself and
    // exits under a parent that exec's into `sleep` and never reaps it. The subshell exits only once the test
    // has seen its parent become `sleep` (it waits for a file): had it exited before the exec, `sh` would have
    // reaped it (seen once in 5 runs).
    const go = join(mkdtempSync(join(tmpdir(), 'ferry-proc-stat-')), 'go');
    const parent = spawn(
      'sh',
      [
        '-c',
        `(while [ ! -e '${go}' ]; do sleep 0.01; done; printf %s "x) (y z" > /proc/self/comm; exit 0) & echo $!; exec sleep 30`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const pid = Number(
        await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))),
      );
      while (readProcStat(parent.pid!)?.comm !== 'sleep') await new Promise((r) => setTimeout(r, 10));
      writeFileSync(go, '');
      // State, not time: the child renames itself and exits; its parent (now `sleep`) never reaps it.
      let s = readProcStat(pid);
      while (s && !hasExited(s)) {
        await new Promise((r) => setTimeout(r, 10));
        s = readProcStat(pid);
      }
      assert.ok(s, 'a zombie keeps its /proc entry until it is reaped');
      assert.equal(s.state, 'Z');
      assert.equal(s.comm, 'x) (y z');
      assert.equal(s.ppid, parent.pid);
      assert.doesNotThrow(() => process.kill(pid, 0), 'kill(pid, 0) succeeds on a zombie');
    } finally {
      parent.kill('SIGKILL');
      rmSync(dirname(go), { recursive: true, force: true });
    }
    const done = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => done.once('exit', r));
    assert.equal(readProcStat(done.pid!), undefined);
  });
});
