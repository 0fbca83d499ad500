// The thread side of commit-thread.ts: commits small objects of the local bucket with synchronous calls — temp
// file, write, fstat, close, sidecar, rename, in the order local.ts documents — off the event loop that parses
// the HTTP responses. One message per object in, one reply per object out.
import { closeSync, fstatSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { CommitReply, CommitRequest } from './commit-thread.js';

function commit(req: CommitRequest): CommitReply {
  const t0 = performance.now();
  let fd: number | undefined;
  try {
    fd = openSync(req.tmp, 'w');
    const data = new Uint8Array(req.data);
    // Regular files take the whole write; a short one (a full disk raises ENOSPC instead) is continued.
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
    const st = fstatSync(fd);
    closeSync(fd);
    fd = undefined;
    // Sidecar first, data rename last: the rename is the commit point.
    writeFileSync(
      req.sidecar,
      JSON.stringify({ ...req.meta, size: data.length, ino: st.ino, mtimeMs: st.mtimeMs }),
    );
    renameSync(req.tmp, req.final);
    return { id: req.id, mtimeMs: st.mtimeMs, ms: performance.now() - t0 };
  } catch (err) {
    // Cleanup must not throw: an exception here would kill the thread and fail every pending commit with it.
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // the error being answered is the one that matters
    }
    try {
      unlinkSync(req.tmp);
    } catch {
      // never created, or already renamed
    }
    const e = err as NodeJS.ErrnoException;
    return {
      id: req.id,
      ms: performance.now() - t0,
      error: {
        message: e.message,
        ...(e.code ? { code: e.code } : {}),
        ...(e.syscall ? { syscall: e.syscall } : {}),
        ...(e.path ? { path: e.path } : {}),
      },
    };
  }
}

parentPort!.on('message', (req: CommitRequest) => parentPort!.postMessage(commit(req)));
