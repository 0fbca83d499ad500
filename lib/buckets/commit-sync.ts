// The synchronous commit of a small object into the local bucket — temp file, write, fstat, close, metadata
// (attribute or sidecar: local-meta.ts), rename, in the order local.ts documents — shared by the commit thread
// (commit-worker.ts) and the event-loop fallback when that thread is gone (local.ts commitSmall). Kept free of
// heavier imports: the thread loads it.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writevSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { metaText, setMetaXattrSync } from './local-meta.js';
import type { ObjectMeta } from './types.js';

export interface SyncCommit {
  tmp: string;
  final: string;
  sidecar: string;
  meta: ObjectMeta;
  chunks: Buffer[];
  bytes: number;
  /** Try the metadata attribute first (false once the bucket's filesystem said it has none). */
  xattr: boolean;
}

export interface SyncCommitted {
  mtimeMs: number;
  /** The filesystem has no user attributes: the sidecar was written, and later commits should go there. */
  noXattr: boolean;
}

/** Commits the object; on an error removes the temp file and throws the error. */
export function commitSync(c: SyncCommit): SyncCommitted {
  let fd: number | undefined;
  try {
    fd = openSync(c.tmp, 'w');
    writeAllSync(fd, c.chunks);
    const st = fstatSync(fd);
    closeSync(fd);
    fd = undefined;
    const text = metaText(c.meta, c.bytes, st);
    // Metadata first, data rename last: the rename is the commit point.
    const xattr = c.xattr ? setMetaXattrSync(c.tmp, text) : 'unsupported';
    if (xattr !== 'set') writeSidecarSync(c.sidecar, text);
    renameSync(c.tmp, c.final);
    return { mtimeMs: st.mtimeMs, noXattr: c.xattr && xattr === 'unsupported' };
  } catch (err) {
    // Cleanup never throws: the error being reported is the one that matters (and on the thread an exception
    // here would kill it, failing every pending commit with it).
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already reporting an error
    }
    try {
      unlinkSync(c.tmp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
}

/** The sidecar's folder is made only when a sidecar is needed: with attributes, `.ferry/meta/` stays empty. */
function writeSidecarSync(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

export function writeAllSync(fd: number, chunks: Buffer[]): void {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    // Regular files take the whole write; a short one (a full disk raises ENOSPC instead) is continued.
    pending = unwritten(pending, writevSync(fd, pending));
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
