/**
 * Throughput of the step-1 file server, measured with an undici client in a separate process (client and
 * server sharing one event loop would measure neither).
 *
 *   node dist/bench/file-server.js [--files 2000] [--size 65536] [--concurrency 16]
 *                                  [--large-mib 256] [--large-count 4] [--large-concurrency 4] [--runs 3]
 *
 * Data goes to bench/data/ (git-ignored) and is reused between runs. Reports wall time, files/s or MiB/s,
 * and the server process's CPU time, which matters here: client, server and kernel share the cores.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

import { startFileServer } from '../lib/file-server/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.resolve(here, '..', '..', 'bench', 'data', 'file-server');

async function serve(root: string): Promise<void> {
  const server = await startFileServer({ root });
  const before = process.cpuUsage();
  process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
  // The parent asks for CPU time (a line on stdin) and then closes stdin to stop us.
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', () => {
    const cpu = process.cpuUsage(before);
    process.stdout.write(JSON.stringify({ userMs: cpu.user / 1000, systemMs: cpu.system / 1000 }) + '\n');
  });
  process.stdin.on('end', () => void server.close());
}

async function ensureFiles(
  dir: string,
  count: number,
  size: number,
  name: (i: number) => string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const payload = Buffer.alloc(size, 0x61);
  for (let i = 0; i < count; i++) {
    const p = path.join(dir, name(i));
    const st = await stat(p).catch(() => undefined);
    if (st?.size !== size) await writeFile(p, payload);
  }
}

async function download(pool: Pool, paths: string[], concurrency: number): Promise<number> {
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const p = paths[next++] ?? '';
      const res = await pool.request({ path: p, method: 'GET' });
      if (res.statusCode !== 200) throw new Error(`${p}: HTTP ${res.statusCode}`);
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return bytes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      files: { type: 'string', default: '2000' },
      size: { type: 'string', default: '65536' },
      concurrency: { type: 'string', default: '16' },
      'large-mib': { type: 'string', default: '256' },
      'large-count': { type: 'string', default: '4' },
      'large-concurrency': { type: 'string', default: '4' },
      runs: { type: 'string', default: '3' },
    },
  });
  if (values.serve !== undefined) return serve(values.serve);

  const files = Number(values.files);
  const size = Number(values.size);
  const concurrency = Number(values.concurrency);
  const largeBytes = Number(values['large-mib']) * 1024 * 1024;
  const largeCount = Number(values['large-count']);
  const largeConcurrency = Number(values['large-concurrency']);
  const runs = Number(values.runs);

  const smallName = (i: number): string => `f-${String(i).padStart(6, '0')}.bin`;
  const largeName = (i: number): string => `large-${i}.bin`;
  await ensureFiles(path.join(dataDir, 'small'), files, size, smallName);
  await ensureFiles(path.join(dataDir, 'large'), largeCount, largeBytes, largeName);

  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', dataDir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = (async function* () {
    let buf = '';
    for await (const chunk of child.stdout) {
      buf += (chunk as Buffer).toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
      }
    }
  })();
  const first = await lines.next();
  const { url } = JSON.parse(String(first.value)) as { url: string };
  const cpu = async (): Promise<number> => {
    child.stdin.write('\n');
    const r = JSON.parse(String((await lines.next()).value)) as { userMs: number; systemMs: number };
    return r.userMs + r.systemMs;
  };

  const pool = new Pool(url.replace(/\/$/, ''), { connections: Math.max(concurrency, largeConcurrency) });
  try {
    const small = Array.from({ length: files }, (_, i) => `/small/${smallName(i)}`);
    const large = Array.from({ length: largeCount }, (_, i) => `/large/${largeName(i)}`);
    await download(pool, small.slice(0, 200), concurrency); // warm up page cache, JIT and connections
    await download(pool, large, largeConcurrency);
    for (let run = 1; run <= runs; run++) {
      let c0 = await cpu();
      let t0 = performance.now();
      await download(pool, small, concurrency);
      let wall = (performance.now() - t0) / 1000;
      let c1 = await cpu();
      console.log(
        `small run ${run}: ${files} x ${size / 1024} KiB, ${concurrency} concurrent: ${(files / wall).toFixed(0)} files/s ` +
          `(${wall.toFixed(2)} s wall, server CPU ${((c1 - c0) / 1000).toFixed(2)} s)`,
      );
      c0 = c1;
      t0 = performance.now();
      const bytes = await download(pool, large, largeConcurrency);
      wall = (performance.now() - t0) / 1000;
      c1 = await cpu();
      console.log(
        `large run ${run}: ${largeCount} x ${largeBytes / 2 ** 20} MiB, ${largeConcurrency} concurrent: ` +
          `${(bytes / 2 ** 20 / wall).toFixed(0)} MiB/s (${wall.toFixed(2)} s wall, server CPU ${((c1 - c0) / 1000).toFixed(2)} s)`,
      );
    }
  } finally {
    await pool.close();
    child.stdin.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
