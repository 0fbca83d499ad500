// Checkpoints of large objects fetched in ranges (lib/ranged-get.ts), so that a crash mid-object resumes it
// instead of fetching a 100 GiB object again from byte 0.
//
// What is checkpointed, per object being copied in ranges: its position in the batch, its length, the validator
// every range is pinned to (strong ETag or Last-Modified), the checksum algorithm, the writer's token (the local
// temp file's id, or the S3 multipart upload id) and, per range, how many bytes from its start are stored and
// the CRC of those bytes. At most one entry per lane and `--streams` ranges each: a few hundred bytes per object,
// no name, no data. It travels in copyBatch's heartbeat details, beside the checkpoint of common/checkpoint.ts,
// but is not part of that schema: the workflow (which parses those details from cancellations and failures)
// strips it, so it never reaches the workflow's state or its continue-as-new input.
//
// Bytes count as stored in whole pieces: the writer's alignment (an S3 part) or PIECE on a local file. A piece
// is checkpointed only once the writer has it (written at its offsets, or its part uploaded), so a retried
// attempt that finds the same temp file or upload — and the same validator at the origin — fetches only the
// rest of each range. Anything else (another ETag, a missing upload, a temp file of another length or with other
// bytes) starts the object over.
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ChecksumAlgoSchema, type ChecksumAlgo } from '../common/schemas.js';
import { combineCrc, createHasher, type Hasher } from './checksum.js';
import type { OriginHead } from './origin.js';
import { pinOf, rangeable } from './ranged-get.js';

/** Checkpoint granularity of ranges into a writer that takes any alignment (a local file): 8 MiB. */
export const PIECE = 8 * 1024 * 1024;

const RangeProgressSchema = z.object({
  start: z.number().int().min(0),
  /** Inclusive, as in a Range header. */
  end: z.number().int().min(0),
  /** Bytes from `start` that are stored. */
  done: z.number().int().min(0),
  /** Hex CRC of those bytes ('' for `none`, or while `done` is 0). */
  crc: z.string(),
});
export type RangeProgress = z.infer<typeof RangeProgressSchema>;

export const RangedProgressSchema = z.object({
  /** The object's position in its batch. */
  p: z.number().int().min(0),
  size: z.number().int().min(0),
  /** The validator every range was pinned to. */
  pin: z.string(),
  algo: ChecksumAlgoSchema,
  /** The writer's handle on what it stored (RangedWriter.token). */
  token: z.string().min(1).max(1024),
  ranges: z.array(RangeProgressSchema).min(1),
});
export type RangedProgress = z.infer<typeof RangedProgressSchema>;

/** The ranged objects a previous attempt checkpointed, by position; none when absent or malformed. */
export function readRangedProgress(details: unknown): Map<number, RangedProgress> {
  const r = z.object({ ranged: z.array(RangedProgressSchema) }).safeParse(details);
  return new Map(r.success ? r.data.ranged.map((x) => [x.p, x]) : []);
}

/** crc(A‖B); '' stays '' for `none`, and an empty A is B. */
export function appendCrc(algo: ChecksumAlgo, a: string, b: string, lenB: number, lenA: number): string {
  if (algo !== 'crc32c' && algo !== 'crc64nvme') return '';
  return lenA === 0 ? b : combineCrc(algo, a, b, lenB);
}

/**
 * Hashes a range's bytes piece by piece (boundaries every `piece` bytes from `origin`), so that the CRC of any
 * stored prefix that ends on a boundary is known without hashing again: `stored(pos)` folds the finished pieces
 * up to `pos` into `prefix`.
 */
export class PieceHasher {
  private hasher: Hasher | undefined;
  private pos: number;
  private readonly finished: { end: number; crc: string; len: number }[] = [];

  constructor(
    private readonly algo: ChecksumAlgo,
    private readonly origin: number,
    private readonly end: number,
    private readonly piece: number,
    /** Stored bytes from `origin` and their CRC (a resumed range starts with what it had). */
    public progress: { done: number; crc: string },
  ) {
    this.pos = origin + progress.done;
  }

  async update(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      this.hasher ??= await createHasher(this.algo);
      const boundary = Math.min(
        this.end,
        this.origin + (Math.floor((this.pos - this.origin) / this.piece) + 1) * this.piece,
      );
      const k = Math.min(chunk.length - off, boundary - this.pos);
      this.hasher.update(off === 0 && k === chunk.length ? chunk : chunk.subarray(off, off + k));
      if (k === 0) break; // past the end: counted() never hands such a chunk on
      off += k;
      this.pos += k;
      if (this.pos === boundary) {
        const len = boundary - (this.finished.at(-1)?.end ?? this.origin + this.progress.done);
        this.finished.push({ end: boundary, crc: this.hasher.digest(), len });
        this.hasher = undefined;
      }
    }
  }

  /** Bytes up to `pos` (absolute) are stored: fold the pieces that end there or before into the progress. */
  stored(pos: number): void {
    while (this.finished.length > 0 && this.finished[0]!.end <= pos) {
      const f = this.finished.shift()!;
      const { done, crc } = this.progress;
      this.progress = { done: done + f.len, crc: appendCrc(this.algo, crc, f.crc, f.len, done) };
    }
  }
}

/** The arguments of copyBatch's ranged copy: position, index, name, URL, head, resume, first body, stale token. */
export type RangedArgs = [
  p: number,
  index: number,
  name: string,
  url: string,
  head: OriginHead & { size: number },
  prior?: RangedProgress,
  body?: Readable,
  stale?: string,
];

/**
 * Whether a checkpointed ranged object can be resumed against what the origin says now: still served in ranges,
 * the same length and validator, the same checksum algorithm (the stored CRCs are of that one).
 */
export function resumes(
  prior: RangedProgress,
  head: OriginHead,
  streams: number,
  algo: ChecksumAlgo,
  threshold: number,
): head is OriginHead & { size: number } {
  return (
    rangeable(head, streams, algo, threshold) &&
    head.size === prior.size &&
    pinOf(head) === prior.pin &&
    algo === prior.algo
  );
}

/** A checkpoint as it may reach history (cancellation details): without the ranged objects. */
export function withoutRanged<T extends { ranged?: unknown }>(cp: T): Omit<T, 'ranged'> {
  const { ranged: _, ...rest } = cp;
  return rest;
}
