// A command in a real terminal: a tmux server on a private socket (never the user's), one pane of a fixed size,
// read back with `capture-pane` — what a person would see on that screen. The server is killed in t.after, and
// by a watchdog when this process dies however it dies (its panes' processes get SIGHUP with their terminal).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { watchGroup } from '../../devserver/process.js';

const run = promisify(execFile);

export interface TmuxPane {
  /** The visible screen, wrapped lines joined (`capture-pane -p -J`), trailing blank lines dropped. */
  capture(opts?: { history?: boolean }): Promise<string>;
  /** Resolve with the screen once `predicate` holds for it; reject after `timeoutMs` with the last screen. */
  waitForScreen(predicate: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** The exit status of the pane's command once it ended (the pane stays, remain-on-exit), else undefined. */
  exitStatus(): Promise<number | undefined>;
}

/** Run `argv` in a new tmux pane of `width` x `height` cells, with `env` as its environment. */
export async function startPane(
  t: TestContext,
  argv: string[],
  opts: { env: NodeJS.ProcessEnv; width?: number; height?: number },
): Promise<TmuxPane> {
  const socket = `ferry-test-${randomUUID()}`;
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
    async exitStatus() {
      const out = (await tmux('display-message', '-p', '-t', 'ferry', '#{pane_dead} #{pane_dead_status}'))
        .stdout;
      const [dead, status] = out.trim().split(' ');
      return dead === '1' ? Number(status) : undefined;
    },
  };
}
