/**
 * What a filesystem charges per file as it fills, for the ways a copier can commit a small object — the
 * filesystem alone: no HTTP, no Temporal, one thread, synchronous calls. N objects of 64 B into √N directories
 * on a fresh ext4 image (bench/dest-fs.ts, as root; `--dest-dir DIR` elsewhere), objects/s per tenth and CPU per
 * object (mostly kernel).
 *
 *   node dist/bench/commit-pattern.js [--files 1000000] [--patterns plain,samedir,tmpdir,sidecar,ferry,ferry-sidecar] [--dest-dir DIR]
 *
 * plain     open, write, close at the final name (what a copier without atomic commits does)
 * samedir   a temp file beside the final one, renamed onto it (rclone's `.partial`)
 * tmpdir    a temp file in one shared folder, renamed into the final folder
 * sidecar   samedir plus a metadata file per object in a parallel tree
 * ferry     the local bucket's commit (lib/buckets/commit-sync.ts): tmpdir plus the metadata as an extended
 *           attribute of the temp file (lib/buckets/local-meta.ts)
 * ferry-sidecar  the same commit where the filesystem has no attributes, and every release before 2026-12-01's:
 *           tmpdir plus the metadata sidecar
 *
 * Why (issue 11, 2026-12-01): the 1,000,000-line manifest case of bench/scale.ts fell from ~2,600 to ~1,300
 * objects/s on ext4 and stayed level on tmpfs; this separates the filesystem's share from ferry's.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../devserver/paths.js';
import { commitSync } from '../lib/buckets/commit-sync.js';
import { prepareDestFs } from './dest-fs.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000000' },
    patterns: { type: 'string', default: 'plain,samedir,tmpdir,sidecar,ferry,ferry-sidecar' },
    'dest-dir': { type: 'string' },
  },
});
const N = Number(values.files);
const DIRS = Math.max(1, Math.round(Math.sqrt(N)));
const PATTERNS = ['plain', 'samedir', 'tmpdir', 'sidecar', 'ferry', 'ferry-sidecar'] as const;
type Pattern = (typeof PATTERNS)[number];
const chosen = values.patterns.split(',') as Pattern[];
for (const p of chosen)
  if (!PATTERNS.includes(p)) throw new Error(`--patterns: unknown "${p}" (${PATTERNS.join(',')})`);

const body = Buffer.alloc(64, 7);
const dir = (i: number) => `d${String(i % DIRS).padStart(4, '0')}`;
const name = (i: number) => `${dir(i)}/f-${String(i).padStart(7, '0')}.bin`;
const meta = {
  sourceUrl: 'http://127.0.0.1:8080/d0000/f-0000000.bin',
  jobId: 'job-1',
  checksum: 'crc32c:AAAAAA==',
};
const sidecarText = JSON.stringify({ ...meta, size: 64, ino: 1234567, mtimeMs: 1764500000000.123 });

function once(pattern: Pattern): string {
  const fs = prepareDestFs(
    join(repoRoot, 'bench', 'data'),
    values['dest-dir'],
    (m) => console.error(`[commit-pattern] ${m}`),
    ['-b', '1024', '-i', '4096'],
  );
  try {
    const root = join(fs.root, 'b');
    const metaRoot = join(root, '.ferry', 'meta');
    const tmpRoot = join(root, '.ferry', 'tmp', 'job-1');
    mkdirSync(tmpRoot, { recursive: true });
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(root, dir(d)), { recursive: true });
      mkdirSync(join(metaRoot, dir(d)), { recursive: true });
    }
    const tenth = Math.max(1, Math.floor(N / 10));
    const rates: number[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let tPrev = t0;
    for (let i = 0; i < N; i++) {
      const final = join(root, name(i));
      if (pattern === 'plain') writeFileSync(final, body);
      else if (pattern === 'samedir' || pattern === 'sidecar') {
        const tmp = `${final}.partial`;
        writeFileSync(tmp, body);
        if (pattern === 'sidecar') writeFileSync(join(metaRoot, name(i)), sidecarText);
        renameSync(tmp, final);
      } else if (pattern === 'tmpdir') {
        const tmp = join(tmpRoot, `${i}.tmp`);
        writeFileSync(tmp, body);
        renameSync(tmp, final);
      } else {
        commitSync({
          tmp: join(tmpRoot, `${i}.tmp`),
          final,
          sidecar: join(metaRoot, name(i)),
          meta,
          chunks: [body],
          bytes: 64,
          xattr: pattern === 'ferry',
        });
      }
      if ((i + 1) % tenth === 0) {
        const t = performance.now();
        rates.push(Math.round(tenth / ((t - tPrev) / 1000)));
        tPrev = t;
      }
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return (
      `${pattern.padEnd(8)} ${N} in ${wall.toFixed(0)} s; CPU ${((cpu.user + cpu.system) / N).toFixed(0)} µs/object ` +
      `(kernel ${(cpu.system / N).toFixed(0)}); objects/s by tenth ${rates.join(', ')}; last ÷ first ` +
      `×${(rates[rates.length - 1]! / rates[0]!).toFixed(2)}`
    );
  } finally {
    fs.release();
  }
}

for (const p of chosen) console.log(once(p));
console.log(
  `filesystem: ${values['dest-dir'] ? values['dest-dir'] : 'fresh journaled ext4 per pattern (bench/dest-fs.ts)'}`,
);
