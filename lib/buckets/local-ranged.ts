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
  return {
    align: 1,
    async writeRange(start: number, body: AsyncIterable<Buffer>): Promise<void> {
      let pos = start;
      for await (const chunk of body) {
        if (!fh) throw new Error('range written after the object was closed');
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off, pos);
          off += bytesWritten;
          pos += bytesWritten;
        }
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
