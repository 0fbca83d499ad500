// Quick-start demo: a real migration on the embedded default. Makes a small dataset (hello-world and
// shard-001.tar ... shard-100.tar of varied sizes), runs `ferry migrate` into a local bucket (the CLI starts
// the pinned Temporal dev server itself when none is configured), lists the bucket and checks every object.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ferryEnv } from '../lib/env.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'main.js');
const root = ferryEnv().demoDir();
const src = join(root, 'src');
const bucket = join(root, 'bucket');

function ferry(...args: string[]): void {
  console.log(`\n$ ferry ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`ferry ${args[0]} exited with ${r.status}`);
}

rmSync(root, { recursive: true, force: true });
mkdirSync(src, { recursive: true });
writeFileSync(join(src, 'hello-world'), 'hello world\n');
for (let i = 1; i <= 100; i++) {
  // 1 KiB .. ~1 MiB, varied
  writeFileSync(
    join(src, `shard-${String(i).padStart(3, '0')}.tar`),
    randomBytes(1024 + ((i * 7919) % 1024) * 1024),
  );
}
console.log(`dataset: ${src} (hello-world + 100 shards)`);
ferry('migrate', src, bucket, '--template', 'shard-{001..100}.tar', '--desc', 'ferry quick-start demo');
ferry('ls', bucket, '--limit', '5');
let same = 0;
for (let i = 1; i <= 100; i++) {
  const n = `shard-${String(i).padStart(3, '0')}.tar`;
  const h = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
  if (h(join(src, n)) === h(join(bucket, n))) same++;
}
console.log(`\nverified: ${same}/100 objects byte-identical (sha256) in ${bucket}`);
console.log(
  'The dev server keeps running for the Web UI (`ferry server status`); `ferry server stop` stops it.',
);
if (same !== 100) process.exit(1);
