// The synchronous commit of a small object into the local bucket — temp file, write, fstat, close, sidecar,
// rename, in the order local.ts documents — shared by the commit thread (commit-worker.ts) and the event-loop
// fallback when that thread is gone (local.ts commitSmall). Kept free of heavier imports: the thread loads it.
import { closeSync, fstatSync, openSync, renameSync, unlinkSync, writeFileSync, writevSync } from 'node:fs';
import type { Sidecar } from './local.js';
import type { ObjectMeta } from './types.js';

export interface SyncCommit {
  tmp: string;
  final: string;
  sidecar: string;
  meta: ObjectMeta;
  chunks: Buffer[];
  bytes: number;
}

/** Commits the object and returns its file's mtime; on an error removes the temp file and throws the error. */
export function commitSync(c: SyncCommit): number {
  let fd: number | undefined;
  try {
    fd = openSync(c.tmp, 'w');
    writeAllSync(fd, c.chunks);
    const st = fstatSync(fd);
    closeSync(fd);
    fd = undefined;
    const sidecar: Sidecar = { ...c.meta, size: c.bytes, ino: st.ino, mtimeMs: st.mtimeMs };
    // Sidecar first, data rename last: the rename is the commit point.
    writeFileSync(c.sidecar, JSON.stringify(sidecar));
    renameSync(c.tmp, c.final);
    return st.mtimeMs;
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
