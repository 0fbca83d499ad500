// Small objects of the local bucket committed on a thread of their own.
//
// Why: the synchronous commit (local.ts commitSmall) is 5–6 system calls per object, and on the main thread they
// are the largest single cost of a small-object copy: profiled on 10,000 × 64 KiB (`npm run bench -- --workload
// small --profile`), writev, the sidecar's write, open and rename took ~1.7 s of a 5.6 s job's event loop,
// which meanwhile parsed no response. The asynchronous fs calls were measured slower still (each call a round
// trip through libuv's pool: 845 against 1,042 objects/s). A worker thread runs the same synchronous sequence
// on the second core, and the event loop pays one message out and one back per object.
//
// The thread starts on first use and never keeps the process alive by itself (unref'd while nothing is
// pending). Should it die (it cannot throw: every error is answered), the pending commits fail with a
// retryable error and later ones take the synchronous path again.
import { Worker } from 'node:worker_threads';
import type { ObjectMeta } from './types.js';

export interface CommitRequest {
  id: number;
  tmp: string;
  final: string;
  sidecar: string;
  xattr: boolean;
  meta: ObjectMeta;
  /** The whole body, transferred (not copied) to the thread. */
  data: ArrayBuffer;
}

export interface CommitReply {
  id: number;
  /** The committed file's mtime (the metadata records it). */
  mtimeMs?: number;
  noXattr?: boolean;
  /** Wall time of the commit on the thread (lib/buckets/slow-commits.ts). */
  ms: number;
  error?: { message: string; code?: string; syscall?: string; path?: string };
}

export interface Committed {
  mtimeMs: number;
  noXattr: boolean;
  ms: number;
}

type Pending = { resolve: (c: Committed) => void; reject: (e: Error) => void };

class CommitThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;

  constructor() {
    // A bound, not a tuning: its garbage is all short-lived (a message, a stat, a JSON string per object), so a
    // small young generation collects it as well, and a thread that somehow filled 64 MiB dies (handled below)
    // instead of growing the worker. Measured: the thread adds ~9 MiB to the process's RSS; the limits changed
    // neither the speed nor the peak RSS of 300,000 objects measurably (README › Scale, run D).
    this.worker = new Worker(new URL('./commit-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
    });
    this.worker.unref();
    this.worker.on('message', (r: CommitReply) => this.settle(r));
    this.worker.on('error', (err) => this.fail(`failed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`exited with code ${code}`));
  }

  commit(req: Omit<CommitRequest, 'id'>): Promise<Committed> {
    const id = this.nextId++;
    return new Promise<Committed>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, [req.data]);
    });
  }

  /** Stops the thread (tests; a host that wants it gone): pending commits fail, later ones run synchronously. */
  async terminate(): Promise<void> {
    this.fail('was stopped');
    await this.worker.terminate();
  }

  private fail(why: string): void {
    this.dead = true;
    // No code: classify-error takes it for a transient destination error, so the object is retried (a commit
    // the thread finished before it died is then made again, which a rename makes harmless).
    for (const p of this.pending.values()) p.reject(new Error(`local bucket's commit thread ${why}`));
    this.pending.clear();
  }

  private settle(r: CommitReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
    if (r.error) p.reject(Object.assign(new Error(r.error.message), r.error));
    else p.resolve({ mtimeMs: r.mtimeMs!, noXattr: r.noXattr ?? false, ms: r.ms });
  }
}

let thread: CommitThread | undefined;

/** The process's commit thread, or undefined when it died (callers then commit synchronously). */
export function commitThread(): CommitThread | undefined {
  if (!thread) thread = new CommitThread();
  return thread.dead ? undefined : thread;
}

/** The chunks as one buffer that owns its memory, so it can be transferred (a pooled Buffer cannot). */
export function ownedCopy(chunks: Buffer[], bytes: number): ArrayBuffer {
  const out = Buffer.allocUnsafeSlow(bytes);
  let off = 0;
  for (const c of chunks) off += c.copy(out, off);
  return out.buffer;
}
