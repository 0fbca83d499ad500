// Parallel ranges into a local bucket: every range writes at its own offsets of one temp file (positional writes,
// no reassembly), and the object is committed as put() commits it — sidecar first, then the rename — once all
// ranges are in and the caller's checks passed. A failure or a crash leaves only the temp file, which the job's
// cleanup removes.
import { randomUUID } from 'node:crypto';
import { open, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LocalBucket, Sidecar } from './local.js';
import type { Committed, ObjectInfo, RangedOptions, RangedWriter } from './types.js';

export async function openLocalRanged(
  bucket: LocalBucket,
  name: string,
  opts: RangedOptions,
): Promise<RangedWriter> {
  const tmpDir = bucket.tmpDirOf(opts.meta.jobId);
  await bucket.mkdirOnce(tmpDir);
  const tmp = join(tmpDir, randomUUID());
  let fh: FileHandle | undefined = await open(tmp, 'w');
  // The full length up front: ranges then fill a file of the right size, and a short one cannot pass commit.
  await fh.truncate(opts.size);
  const closeFile = async () => {
    const f = fh;
    fh = undefined;
    await f?.close();
  };
  const file = (): FileHandle => {
    if (!fh) throw new Error('range written after the object was closed');
    return fh;
  };
  return {
    align: 1,
    async writeRange(start: number, body: AsyncIterable<Buffer>): Promise<void> {
      // Chunks (~64 KiB from the socket) are gathered into ~1 MiB writev calls, one in flight while the next
      // gathers, as fs.WriteStream does for put(): a threadpool round trip per chunk would cost 16× the calls.
      let pos = start;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      let inflight: Promise<void> | undefined;
      try {
        for await (const chunk of body) {
          batch.push(chunk);
          batchBytes += chunk.length;
          if (batchBytes < WRITE_BATCH) continue;
          await inflight;
          inflight = writeAllAt(file(), batch, pos);
          pos += batchBytes;
          batch = [];
          batchBytes = 0;
        }
        await inflight;
        if (batchBytes > 0) await writeAllAt(file(), batch, pos);
      } catch (err) {
        await inflight?.catch(() => undefined);
        throw err;
      }
    },
    async commit(committed: Committed): Promise<ObjectInfo> {
      try {
        await closeFile();
        const { bytes, ...sums } = committed;
        const st = await stat(tmp);
        const final = bucket.path(name);
        const scPath = bucket.sidecarPath(name);
        await bucket.mkdirOnce(dirname(final));
        await bucket.mkdirOnce(dirname(scPath));
        const sidecar: Sidecar = { ...opts.meta, ...sums, size: bytes, ino: st.ino, mtimeMs: st.mtimeMs };
        await writeFile(scPath, JSON.stringify(sidecar));
        await rename(tmp, final);
        return { name, size: bytes, mtimeMs: st.mtimeMs, meta: { ...opts.meta, ...sums } };
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    },
    async abort(): Promise<void> {
      await closeFile().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    },
  };
}

// --- internal ---

const WRITE_BATCH = 1 << 20;

/** writev at `pos` until every byte is written (a regular file takes it whole; a short write is continued). */
async function writeAllAt(fh: FileHandle, chunks: Buffer[], pos: number): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, pos);
    pos += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}

/** What is left of `chunks` after a (possibly short) vectored write of `n` bytes took their start. */
export function unwritten(chunks: Buffer[], n: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const c of chunks) {
    if (n >= c.length) n -= c.length;
    else {
      rest.push(n > 0 ? c.subarray(n) : c);
      n = 0;
    }
  }
  return rest;
}
