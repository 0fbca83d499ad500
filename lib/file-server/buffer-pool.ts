// Reused read buffers for small files: a buffer that was just sent is still mapped and in cache, while a fresh
// 64 KiB allocation each request made the kernel's copy from the page cache land on cold (often not yet
// faulted-in) memory — in a perf profile of 10,000 × 64 KiB that copy was the largest single cost.

/** Buffers kept for reuse; more than the concurrent small responses of a busy server rarely helps. */
const MAX_POOLED = 64;

/** A pool of equal-size buffers; `take` allocates when it is empty. */
export class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(readonly size: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Only once nothing refers to `buf` any more: after the socket has taken the bytes of a write. */
  give(buf: Buffer): void {
    if (this.free.length < MAX_POOLED && buf.length === this.size) this.free.push(buf);
  }
}
