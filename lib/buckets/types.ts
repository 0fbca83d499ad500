// What a destination bucket must offer ferry. Implementations: local filesystem (local.ts), S3, AIStore.
import type { Readable } from 'node:stream';
import type { ChecksumAlgo } from '../../common/schemas.js';
import type { RangedProgress } from '../range-resume.js';

/** Metadata ferry records with every object it writes. */
export interface ObjectMeta {
  sourceUrl: string;
  /**
   * Hex sha256 of the bytes written, computed while streaming: set when the job's checksum is sha256 (the
   * default before --checksum, so objects written by older releases have it).
   */
  sha256?: string;
  /** `<algo>:<hex>` of the bytes written, computed while streaming (lib/checksum.ts); absent with `none`. */
  checksum?: string;
  /** Origin's ETag and Last-Modified, for --skip-existing on plain HTTP origins. */
  sourceEtag?: string;
  sourceLastModified?: string;
  jobId: string;
}

export interface ObjectInfo {
  name: string;
  size: number;
  mtimeMs?: number;
  meta?: Partial<ObjectMeta>;
  /**
   * The store keeps no user metadata for this object (AIStore's S3 front end drops `x-amz-meta-*`): `meta` can
   * never say where it came from, and --skip-existing falls back to size + modification time.
   */
  noMetadata?: boolean;
}

export interface PutOptions {
  /** Expected length (the origin's Content-Length), when known. */
  size: number | undefined;
  contentType?: string;
  /** Metadata known before the body (everything but the checksums). */
  meta: Omit<ObjectMeta, 'sha256' | 'checksum'>;
  /**
   * The checksum the caller computes while streaming (what beforeCommit will return), so that a store that
   * verifies checksums can ask for the same one up front (S3 ChecksumAlgorithm). @default none
   */
  checksum?: ChecksumAlgo;
  /**
   * Called after the whole body has been consumed and BEFORE the object becomes visible; throws if the body
   * is not what the origin promised (length). Returns the checksum to record.
   */
  beforeCommit: () => Committed;
  signal?: AbortSignal;
}

/** What beforeCommit vouches for: the length and the checksums to record (see ObjectMeta). */
export interface Committed {
  bytes: number;
  sha256?: string;
  checksum?: string;
}

/** putBytes(): a small object already received whole and checked, with its checksum. */
export interface PutBytesOptions {
  contentType?: string;
  meta: ObjectMeta;
  /** Total length of the chunks. */
  bytes: number;
  signal?: AbortSignal;
}

/** Bytes [start, end) of an object; `end` omitted: to its end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ListOptions {
  prefix?: string;
  token?: string;
  limit?: number;
  /** Include ferry's own files under `.ferry/` (S3 and AIStore; a local bucket keeps them outside list()). */
  state?: boolean;
  /**
   * Only names after this one (a full name, as `prefix`), on the first page: S3's StartAfter. A driver may ignore it
   * (AIStore's is not used: not checked against the pinned release); callers filter as well.
   */
  startAfter?: string;
}

export interface ListPage {
  items: ObjectInfo[];
  /** Pass back as `token` for the next page; undefined at the end. */
  next?: string;
}

export interface Bucket {
  /** Canonical URI, e.g. file:///data/abc or s3://abc. */
  readonly uri: string;
  /** Create the bucket iff it is missing. */
  ensure(): Promise<{ created: boolean }>;
  exists(): Promise<boolean>;
  head(name: string): Promise<ObjectInfo | null>;
  put(name: string, body: Readable, opts: PutOptions): Promise<ObjectInfo>;
  /**
   * Optional: commit a small object (≤ putBytesMax) the caller received whole, hashed and length-checked. A
   * bucket whose put() would buffer such a body anyway offers this, so the copy needs no stream per object.
   */
  readonly putBytesMax?: number;
  putBytes?(name: string, chunks: Buffer[], opts: PutBytesOptions): Promise<ObjectInfo>;
  /**
   * Optional: write one object as byte ranges that arrive in parallel, each in order from its start (parallel
   * Range GETs, lib/ranged-get.ts). Atomic like put(): nothing is visible before commit().
   */
  openRanged?(name: string, opts: RangedOptions): Promise<RangedWriter>;
  /**
   * The object's bytes, or with `range` bytes [start, end) of it (`end` omitted: to the end). Ranged reads let a
   * manifest or report of millions of lines be read from where a batch starts instead of from byte 0.
   */
  get(name: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }>;
  /** Objects in name order. `.ferry/` (job files, lib/job-files.ts) is hidden unless `state` asks for it. */
  list(opts: ListOptions): Promise<ListPage>;
  delete(name: string): Promise<void>;
  /** Remove what a job may have left half-done (temp files, incomplete multipart uploads). */
  cleanupJob(jobId: string, opts?: CleanupOptions): Promise<{ removed: number }>;
  /**
   * Cheap read-only check that the store is reachable and the credentials work (the CLI runs it before starting
   * a job). Throws a classified error (FerryError) with a message a user can act on.
   */
  preflight(): Promise<void>;
}

export interface CleanupOptions {
  /**
   * When the job started (epoch ms). Stores that cannot tag an incomplete upload with its job (S3) abort only
   * uploads initiated since then (minus a clock-skew margin).
   */
  startedAtMs?: number;
  /** Only leftovers under names of this job (object names, relative to the bucket URI's prefix). */
  isName?: (name: string) => boolean;
}

/** openRanged(): the object's length is known (ranges need it). */
export interface RangedOptions {
  size: number;
  contentType?: string;
  meta: Omit<ObjectMeta, 'sha256' | 'checksum'>;
  checksum?: ChecksumAlgo;
  signal?: AbortSignal;
  /**
   * What an earlier attempt stored (lib/range-resume.ts): the writer takes it up again if its temp file or upload
   * is still there and matches (`resumed`), else discards it and starts empty.
   */
  resume?: RangedProgress;
  /** The token of an earlier attempt's writer that cannot be resumed (the source changed): discarded. */
  stale?: string;
}

export interface RangedWriter {
  /** The handle on what this writer stores (temp file id, upload id), checkpointed to resume it. */
  readonly token: string;
  /** Whether it took up `resume`: the ranges' stored prefixes are in place. */
  readonly resumed: boolean;
  /** Range boundaries must fall on multiples of this (S3: the part size); 1 when any will do. */
  readonly align: number;
  /**
   * Writes the bytes of one range, which arrive in order from `start`; resolves once they are stored. Calls
   * `stored(pos)` as bytes [start, pos) become stored, in order (a crash after it loses none of them).
   */
  writeRange(start: number, body: AsyncIterable<Buffer>, stored?: (pos: number) => void): Promise<void>;
  /** Makes the object visible with these checksums, once every range is written. */
  commit(committed: Committed): Promise<ObjectInfo>;
  /** Discards what was written (idempotent). */
  abort(): Promise<void>;
  /** Stops, keeping what was stored for a later attempt to resume (idempotent). */
  release(): Promise<void>;
}
