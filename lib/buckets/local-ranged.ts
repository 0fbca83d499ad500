// Parallel ranges into a local bucket: every range writes at its own offsets of one temp file (positional writes,
// no reassembly), and the object is committed as put() commits it — metadata first, then the rename — once all
// ranges are in and the caller's checks passed. A failure or a crash leaves only the temp file, which the job's
// cleanup removes; a release (crash-safe checkpoint, lib/range-resume.ts) keeps it for a retry to resume.
import { randomUUID } from 'node:crypto';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHasher } from '../checksum.js';
import type { RangedProgress } from '../range-resume.js';
import { unwritten } from './commit-sync.js';
import type { LocalBucket } from './local.js';
import { metaText } from './local-meta.js';
import type { Committed, ObjectInfo, RangedOptions, RangedWriter } from './types.js';

export async function openLocalRanged(
  bucket: LocalBucket,
  name: string,
  opts: RangedOptions,
): Promise<RangedWriter> {
  const tmpDir = bucket.tmpDirOf(opts.meta.jobId);
  await bucket.mkdirOnce(tmpDir);
  if (opts.stale && UUID.test(opts.stale)) await unlink(join(tmpDir, opts.stale)).catch(() => undefined);
  const kept = opts.resume
    ? await reopen(join(tmpDir, opts.resume.token), opts.resume, opts.size)
    : undefined;
  const resumed = kept !== undefined;
  const token = resumed ? opts.resume!.token : randomUUID();
  const tmp = join(tmpDir, token);
  let fh: FileHandle | undefined = kept;
  if (!fh) {
    fh = await open(tmp, 'w');
    // The full length up front: ranges then fill a file of the right size, and a short one cannot pass commit.
    await fh.truncate(opts.size);
  }
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
    token,
    resumed,
    async writeRange(
      start: number,
      body: AsyncIterable<Buffer>,
      stored?: (pos: number) => void,
    ): Promise<void> {
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
          const to = pos + batchBytes;
          inflight = writeAllAt(file(), batch, pos).then(() => stored?.(to));
          pos = to;
          batch = [];
          batchBytes = 0;
        }
        await inflight;
        if (batchBytes > 0) await writeAllAt(file(), batch, pos);
        stored?.(pos + batchBytes);
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
        await bucket.mkdirOnce(dirname(final));
        await bucket.recordMeta(tmp, name, metaText({ ...opts.meta, ...sums }, bytes, st));
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
    async release(): Promise<void> {
      await closeFile().catch(() => undefined);
    },
  };
}

// --- internal ---

const WRITE_BATCH = 1 << 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The temp file an earlier attempt left, opened for writing again if it still holds what its checkpoint says:
 * the object's length and, for every range, the CRC of the bytes stored from its start (read back: local reads
 * cost far less than fetching again, and a file another process touched must not pass). Otherwise it is removed.
 */
async function reopen(tmp: string, r: RangedProgress, size: number): Promise<FileHandle | undefined> {
  if (!UUID.test(r.token)) return undefined; // ours are; anything else is not a file name to open
  const fh = await open(tmp, 'r+').catch(() => undefined);
  if (!fh) return undefined;
  try {
    if (r.size === size && (await fh.stat()).size === size && (await prefixesMatch(fh, r))) return fh;
  } catch {
    // unreadable: start over
  }
  await fh.close().catch(() => undefined);
  await unlink(tmp).catch(() => undefined);
  return undefined;
}

async function prefixesMatch(fh: FileHandle, r: RangedProgress): Promise<boolean> {
  if (r.algo !== 'crc32c' && r.algo !== 'crc64nvme') return true; // nothing to compare with: the length must do
  const buf = Buffer.allocUnsafe(WRITE_BATCH);
  for (const range of r.ranges) {
    if (range.done === 0) continue;
    const h = await createHasher(r.algo);
    for (let pos = range.start, end = range.start + range.done; pos < end;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) return false;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    if (h.digest() !== range.crc) return false;
  }
  return true;
}

/** writev at `pos` until every byte is written (a regular file takes it whole; a short write is continued). */
async function writeAllAt(fh: FileHandle, chunks: Buffer[], pos: number): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending, pos);
    pos += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}
