// The benchmark origin, seen from the harness: spawns bench/origin-process.js and asks it for its CPU time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Origin {
  /** Base URL with a trailing slash. */
  url: string;
  pid: number;
  /** CPU seconds (user+sys) the origin process has used so far, and what it served. */
  sample(): Promise<{ cpuS: number; requests: number; bytes: number }>;
  stop(): Promise<void>;
}

export async function startOrigin(root: string): Promise<Origin> {
  const entry = fileURLToPath(new URL('./origin-process.js', import.meta.url));
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [entry, root], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.pipe(process.stderr);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('benchmark origin exited');
    return String(r.value);
  };
  const { url, pid } = JSON.parse(await next()) as { url: string; pid: number };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid,
    async sample() {
      child.stdin.write('\n');
      return JSON.parse(await next()) as { cpuS: number; requests: number; bytes: number };
    },
    async stop() {
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}
