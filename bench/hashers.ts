/**
 * Throughput of the checksum implementations --checksum could use, on this machine: 256 MiB of random bytes fed
 * in 1 MiB chunks (what a stream delivers), best of 3. The figures behind lib/checksum.ts's choice.
 *
 *   node dist/bench/hashers.js
 */
import { createHash, randomBytes } from 'node:crypto';
import { Crc32cJs, Crc64NvmeJs } from '@aws-sdk/checksums/crc';
import { crc32c } from '@node-rs/crc32';
import { createCRC32, createCRC64 } from 'hash-wasm';

const SIZE = 256 * 1024 * 1024;
const CHUNK = 1 << 20;

interface Incremental {
  update(b: Uint8Array): unknown;
  digest(): unknown;
}

async function measure(name: string, make: () => Promise<Incremental> | Incremental, data: Buffer) {
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const h = await make();
    const t0 = performance.now();
    for (let o = 0; o < data.length; o += CHUNK) h.update(data.subarray(o, o + CHUNK));
    await h.digest();
    best = Math.max(best, SIZE / 2 ** 20 / ((performance.now() - t0) / 1000));
  }
  console.log(`${name.padEnd(44)} ${best.toFixed(0).padStart(6)} MiB/s`);
}

async function main(): Promise<void> {
  const data = randomBytes(SIZE);
  const wasm = async (p: ReturnType<typeof createCRC32>) => {
    const h = await p;
    h.init();
    return { update: (b: Uint8Array) => h.update(b), digest: () => h.digest() };
  };
  await measure(
    'crc32c    @node-rs/crc32 (SSE4.2)',
    () => {
      let s = 0;
      return { update: (b) => (s = crc32c(b, s)), digest: () => s };
    },
    data,
  );
  await measure('crc32c    hash-wasm (WASM)', () => wasm(createCRC32(0x82f63b78)), data);
  await measure('crc32c    AWS SDK Crc32cJs (JS)', () => new Crc32cJs(), data);
  await measure('crc64nvme hash-wasm (WASM)', () => wasm(createCRC64('9a6c9329ac4bc9b5')), data);
  await measure('crc64nvme AWS SDK Crc64NvmeJs (JS)', () => new Crc64NvmeJs(), data);
  await measure('sha256    node:crypto (OpenSSL)', () => createHash('sha256'), data);
  await measure('md5       node:crypto (OpenSSL)', () => createHash('md5'), data);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
