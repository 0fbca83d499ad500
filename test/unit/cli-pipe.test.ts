// `ferry … | head`: a reader that closes the pipe early must not make ferry print a stack (EPIPE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../devserver/paths.js';

for (const args of [['--help'], ['template', 'x-{000000..999999}']]) {
  test(`ferry ${args.join(' ')} with its stdout closed by the reader: no stack, exit 0`, async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ferry.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Close our end before the child can have written anything (it is still starting node when spawn returns):
    // its first write meets a closed pipe, as `ferry --help | head -1` does once head has exited.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(stderr, '', 'nothing on stderr');
    assert.equal(code, 0);
  });
}
