// A command in a real terminal: a tmux server on a private socket (never the user's), one pane of a fixed size,
// read back with `capture-pane` — what a person would see on that screen. The server is killed in t.after, and
// by a watchdog when this process dies however it dies (its panes' processes get SIGHUP with their terminal).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { watchGroup } from '../../devserver/process.js';

const run = promisify(execFile);

export interface TmuxPane {
  /** The visible screen, wrapped lines joined (`capture-pane -p -J`), trailing blank lines dropped. */
  capture(opts?: { history?: boolean }): Promise<string>;
  /** Resolve with the screen once `predicate` holds for it; reject after `timeoutMs` with the last screen. */
  waitForScreen(predicate: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** The exit status of the pane's command once it ended (the pane's screen stays), else undefined. */
  exitStatus(): Promise<number | undefined>;
  /** Resolve with the exit status once the pane's command ended; reject after `timeoutMs` with the screen. */
  waitForExit(what: string, timeoutMs?: number): Promise<number>;
}

/**
 * Run `argv` in a new tmux pane of `width` x `height` cells, with `env` as its environment; `dir` holds the
 * file its exit status is written to.
 */
export async function startPane(
  t: TestContext,
  argv: string[],
  opts: { env: NodeJS.ProcessEnv; dir: string; width?: number; height?: number },
): Promise<TmuxPane> {
  const socket = `ferry-test-${randomUUID()}`;
  // The status through a file a shell around the command writes: tmux's own #{pane_dead_status} stayed empty
  // for minutes in some runs on a loaded machine (the pane dead, its command's exit never recorded).
  const statusFile = join(opts.dir, `${socket}.status`);
  // -f /dev/null: none of the machine's tmux configuration; the server's environment is `env` (the first
  // client's), which the pane's command inherits.
  const tmux = (...args: string[]) =>
    run('tmux', ['-L', socket, '-f', '/dev/null', ...args], { env: opts.env, encoding: 'utf8' });
  await tmux(
    'new-session',
    '-d',
    '-s',
    'ferry',
    '-x',
    String(opts.width ?? 160),
    '-y',
    String(opts.height ?? 40),
    '--',
    'sh',
    '-c',
    '"$@"; echo $? > "$0"',
    statusFile,
    ...argv,
    ';',
    'set-option',
    '-t',
    'ferry',
    'remain-on-exit',
    'on',
  );
  const pid = Number((await tmux('display-message', '-p', '-t', 'ferry', '#{pid}')).stdout.trim());
  const watchdog = Number.isInteger(pid) && pid > 0 ? watchGroup(pid) : undefined;
  t.after(async () => {
    await tmux('kill-server').catch(() => undefined);
    watchdog?.retire();
  });

  const capture = async (o: { history?: boolean } = {}) =>
    (
      await tmux('capture-pane', '-p', '-J', '-t', 'ferry', ...(o.history ? ['-S', '-'] : []))
    ).stdout.trimEnd();
  const exitStatus = async (): Promise<number | undefined> => {
    const text = await readFile(statusFile, 'utf8').catch(() => '');
    // Written by `echo`, so complete once it ends in a newline.
    return /^\d+\n$/.test(text) ? Number(text) : undefined;
  };
  return {
    capture,
    async waitForScreen(predicate, what, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = await capture();
        if (predicate(screen)) return screen;
        if (Date.now() > deadline) {
          const pane = await tmux(
            'display-message',
            '-p',
            '-t',
            'ferry',
            'pid #{pane_pid}, dead #{pane_dead}',
          )
            .then((r) => r.stdout.trim())
            .catch((err: Error) => `no pane (${err.message.split('\n')[0]})`);
          throw new Error(
            `tmux: ${what} not on the screen in ${timeoutMs} ms (${pane}); the screen:\n${screen}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async waitForExit(what, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await exitStatus();
        if (status !== undefined) return status;
        if (Date.now() > deadline)
          throw new Error(
            `tmux: ${what}: still running after ${timeoutMs} ms; the screen:\n${await capture()}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    exitStatus,
  };
}
