// Run the real `ferry` CLI as a subprocess against the suite's dev server.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchGroup } from '../../devserver/process.js';
import { testAddress } from './temporal.js';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'client', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for one test: the suite's server, its own task queue and state directory. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const state = join(process.env.FERRY_TEST_WORKDIR ?? tmpdir(), `state-${randomUUID()}`);
  mkdirSync(state, { recursive: true });
  return {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: testAddress(),
    FERRY_TASK_QUEUE: `test-${randomUUID()}`,
    FERRY_STATE_DIR: state,
    ...extra,
  };
}

export function ferry(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ferry ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(process.env.FERRY_TEST_WORKDIR ?? tmpdir(), `${prefix}-`));
}

/**
 * Best effort. `t.after` hooks run in the order they were registered, so a server that a later hook stops (a
 * MinIO writing into its data directory) may still be writing here: retries cover a writer that is stopping,
 * and what is left goes with the suite's work directory (test/run.ts removes it). A cleanup never fails a test.
 */
export function rmrf(p: string): void {
  try {
    rmSync(p, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch (err) {
    console.log(
      `# cleanup: ${p} not removed (${(err as Error).message}); the suite's work directory takes it`,
    );
  }
}

export function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

/** `crc32c:<hex>` of a file: the checksum ferry records by default (--checksum crc32c). */
export function crc32cFile(p: string): string {
  return `crc32c:${(crc32c(readFileSync(p)) >>> 0).toString(16).padStart(8, '0')}`;
}

/** Every regular file under dir, as relative paths, skipping ferry's .ferry state. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (d === dir && e.name === '.ferry') continue;
        walk(p);
      } else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function fileSize(p: string): number {
  return statSync(p).size;
}

/** Fresh temp directories for one test, removed when it ends (pass or fail). */
export function scratch<const P extends readonly string[]>(
  t: { after: (fn: () => void) => void },
  ...prefixes: P
): { [K in keyof P]: string } {
  const dirs = prefixes.map(tempDir);
  t.after(() => dirs.forEach(rmrf));
  return dirs as { [K in keyof P]: string };
}

/**
 * `ferry serve DIR` and a `ferry worker`, each in its own process group, killed when the test ends.
 * Resolves with the origin URL the server printed.
 */
export async function serveAndWork(
  t: { after: (fn: () => void) => void },
  dir: string,
  env: Record<string, string>,
): Promise<string> {
  const origin = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  const worker = spawn(process.execPath, [CLI, 'worker'], { env, stdio: 'ignore', detached: true });
  // Their own process groups outlive this process: watchdogs kill them if it dies before t.after runs.
  const watchdogs = [origin, worker].map((p) => watchGroup(p.pid!));
  t.after(() => {
    watchdogs.forEach((w) => w.retire());
    for (const p of [origin, worker]) {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return new Promise<string>((resolve) =>
    origin.stdout.once('data', (d: Buffer) => resolve(/at (\S+)/.exec(d.toString())![1]!)),
  );
}
