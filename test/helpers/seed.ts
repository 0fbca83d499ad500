// The seed scenario's data and origin, shared by the destination tests: hello-world plus shard-001..100.tar of
// varied sizes, served by the real `ferry serve`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { CLI, ferry, type CliResult } from './exec.js';

export const SHARDS = Array.from({ length: 100 }, (_, i) => `shard-${String(i + 1).padStart(3, '0')}.tar`);
export const SEED_NAMES = ['hello-world', ...SHARDS];

/** Writes the seed into `dir`; returns name → { size, sha256 }. */
export function makeSeed(dir: string): Map<string, { size: number; sha256: string }> {
  const out = new Map<string, { size: number; sha256: string }>();
  const put = (name: string, data: Buffer): void => {
    writeFileSync(join(dir, name), data);
    out.set(name, { size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  };
  put('hello-world', Buffer.from('hello world\n'));
  SHARDS.forEach((n, i) => {
    // Varied sizes: 0 bytes, tiny, up to ~600 KiB (as in e2e-cli), and every tenth one 5-8 MiB so that
    // AIStore's streamed path (above FERRY_AIS_VERIFY_MAX) is part of the scenario too.
    const k = i + 1;
    const size = k === 1 ? 0 : k % 10 === 0 ? 5 * 1024 * 1024 + k * 31_337 : (k * 104_729) % 600_000;
    put(n, randomBytes(size));
  });
  return out;
}

/** `ferry serve dir --port 0` as a subprocess; resolves to its base URL (with a trailing slash). */
export async function serve(t: TestContext, dir: string, env: Record<string, string>): Promise<string> {
  const server: ChildProcess = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => server.kill('SIGKILL'));
  const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
  const url = /at (http:\/\/\S+)/.exec(chunk.toString())?.[1];
  if (!url) throw new Error(`ferry serve printed no URL: ${chunk.toString()}`);
  return url.endsWith('/') ? url : `${url}/`;
}

/** The report line's counters: "completed: 100 copied, 0 skipped, 0 failed of 100". */
export function counts(r: CliResult): { copied: number; skipped: number; failed: number; total: number } {
  const m = /(\d+) copied, (\d+) skipped, (\d+) failed of (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no report in:\n${r.stdout}\n${r.stderr}`);
  return { copied: Number(m[1]), skipped: Number(m[2]), failed: Number(m[3]), total: Number(m[4]) };
}

/** Runs the seed's two downloads (hello-world, then the shards) into `bucket` and waits for each. */
export async function downloadSeed(
  url: string,
  bucket: string,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<{ hello: CliResult; shards: CliResult }> {
  const hello = await ferry(
    ['job', 'start', 'download', `${url}hello-world`, bucket, '--wait', '-q', ...extra],
    env,
  );
  const shards = await ferry(
    ['job', 'start', 'download', `${url}shard-{001..100}.tar`, bucket, '--wait', '-q', ...extra],
    env,
  );
  return { hello, shards };
}

/** `ferry ls BUCKET --json` as name → size. */
export async function lsJson(bucket: string, env: Record<string, string>): Promise<Map<string, number>> {
  const ls = await ferry(['ls', bucket, '--json'], env);
  if (ls.code !== 0) throw new Error(`ferry ls ${bucket}: ${ls.code}\n${ls.stderr}`);
  const out = new Map<string, number>();
  for (const line of ls.stdout.trim().split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { name: string; size: number };
    out.set(o.name, o.size);
  }
  return out;
}

export function sha256Of(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256FileOf(path: string): string {
  return sha256Of(readFileSync(path));
}

/** Peak resident set size of a live process (Linux), in bytes. */
export function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
