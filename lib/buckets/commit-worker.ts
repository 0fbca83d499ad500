// The thread side of commit-thread.ts: commits small objects of the local bucket with the synchronous sequence of
// commit-sync.ts, off the event loop that parses the HTTP responses. One message per object in, one reply per
// object out.
import { parentPort } from 'node:worker_threads';
import { commitSync } from './commit-sync.js';
import type { CommitReply, CommitRequest } from './commit-thread.js';

function commit(req: CommitRequest): CommitReply {
  const t0 = performance.now();
  try {
    const { data, id: _id, ...where } = req;
    const { mtimeMs, noXattr } = commitSync({
      ...where,
      chunks: [Buffer.from(data)],
      bytes: data.byteLength,
    });
    return { id: req.id, mtimeMs, ...(noXattr ? { noXattr } : {}), ms: performance.now() - t0 };
  } catch (err) {
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
