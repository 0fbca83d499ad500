// Deterministic benchmark datasets under bench/data/ (git-ignored). Contents are an AES-256-CTR keystream
// keyed by the workload name and the file index: the same bytes on every machine and every invocation,
// incompressible (no tool gains from compression), and generated at ~1 GB/s instead of the ~100 MB/s of a
// JS PRNG. A manifest records what was generated; a directory that matches it is reused as is.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../devserver/paths.js';

export interface Dataset {
  /** Workload name, also its directory under bench/data/ and its URL path on the origin. */
  name: string;
  count: number;
  size: number;
  /** AIStore template of the file names; zero-padded so names sort like their indexes. */
  template: string;
  /** Name of file i (must agree with template). */
  fileName(i: number): string;
}

export const DATA_ROOT = join(repoRoot, 'bench', 'data');

/** Bump when the generator's output changes, so stale datasets are rebuilt. */
const GENERATOR_VERSION = 1;

export function dataset(name: string, count: number, size: number, prefix: string): Dataset {
  const width = String(count - 1).length;
  const pad = (i: number) => String(i).padStart(width, '0');
  return {
    name,
    count,
    size,
    template: `${prefix}-{${pad(0)}..${pad(count - 1)}}.bin`,
    fileName: (i) => `${prefix}-${pad(i)}.bin`,
  };
}

export function datasetDir(d: Dataset): string {
  return join(DATA_ROOT, d.name);
}

/** Make sure `d` exists on disk; returns seconds spent generating (0 when reused). */
export async function ensureDataset(d: Dataset, log: (m: string) => void): Promise<number> {
  const dir = datasetDir(d);
  const manifestPath = join(dir, '.manifest.json');
  const manifest = JSON.stringify({ version: GENERATOR_VERSION, count: d.count, size: d.size });
  if (readText(manifestPath) === manifest && looksComplete(dir, d)) return 0;
  const t0 = performance.now();
  log(`generating ${d.name}: ${d.count} x ${humanSize(d.size)} into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const chunk = Math.min(d.size, 4 << 20);
  const zeros = Buffer.alloc(chunk);
  let next = 0;
  // A few files at once: generation is CPU-bound, writes overlap with it.
  const lane = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= d.count) return;
      const cipher = keystream(d.name, i);
      const fh = await open(join(dir, d.fileName(i)), 'w');
      try {
        for (let off = 0; off < d.size; off += chunk) {
          const n = Math.min(chunk, d.size - off);
          await fh.write(cipher.update(n === chunk ? zeros : zeros.subarray(0, n)));
        }
      } finally {
        await fh.close();
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
  writeFileSync(manifestPath, manifest);
  return (performance.now() - t0) / 1000;
}

/** Expected sha256 of file i, for spot checks of what a contender wrote. */
export function expectedSha256(d: Dataset, i: number): string {
  const cipher = keystream(d.name, i);
  const h = createHash('sha256');
  const chunk = Math.min(d.size, 4 << 20);
  const zeros = Buffer.alloc(chunk);
  for (let off = 0; off < d.size; off += chunk) {
    const n = Math.min(chunk, d.size - off);
    h.update(cipher.update(n === chunk ? zeros : zeros.subarray(0, n)));
  }
  return h.digest('hex');
}

export function humanSize(n: number): string {
  if (n >= 1 << 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

// --- internal ---

function keystream(name: string, i: number) {
  const key = createHash('sha256').update(`ferry-bench/${name}`).digest();
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(i, 0);
  return createCipheriv('aes-256-ctr', key, iv);
}

function readText(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** Count and spot-check sizes (first, middle, last): cheap enough to run on every invocation. */
function looksComplete(dir: string, d: Dataset): boolean {
  try {
    if (readdirSync(dir).filter((n) => !n.startsWith('.')).length !== d.count) return false;
    for (const i of [0, Math.floor(d.count / 2), d.count - 1])
      if (statSync(join(dir, d.fileName(i))).size !== d.size) return false;
    return true;
  } catch {
    return false;
  }
}
