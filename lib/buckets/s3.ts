// s3://bucket[/prefix]: any S3 endpoint (AWS, MinIO, AIStore's S3 front end) through @aws-sdk/client-s3.
//
// Configuration is the standard AWS environment, read by the worker that writes: credentials from the SDK's
// default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws files, SSO, web identity,
// container/instance roles), AWS_REGION (default us-east-1), AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for
// another endpoint, which also switches to path-style addressing (FERRY_S3_FORCE_PATH_STYLE=0|1 overrides).
//
// Writes are atomic: an object becomes visible only as a whole, never partially.
// - Up to FERRY_S3_MULTIPART_THRESHOLD (64 MiB) with a known length: one streaming PutObject. The commit guard
//   (wire.ts) holds the last chunk back until beforeCommit (the length check) has passed, so a body that fails it
//   never completes on the server; the request is aborted and S3 discards it. The SDK computes a SHA-256 while
//   streaming and sends it as a trailer (ChecksumAlgorithm SHA256): the server validates what it received against
//   it before committing and keeps it, so ferry's sha256 is S3's own, read back with HeadObject ChecksumMode.
// - Larger, or of unknown length: a multipart upload driven here, not by lib-storage, because lib-storage
//   completes the upload itself and beforeCommit must run BEFORE CompleteMultipartUpload. Each part carries its
//   own SHA-256 (validated by the server); the whole object's sha256 is known only after the last part, when the
//   metadata can no longer change, so it is recorded as the object tag `ferry-sha256` right after completion
//   (skipped on AIStore, whose S3 API has no tagging). Any failure, including beforeCommit throwing, aborts the
//   upload; what a killed worker leaves behind is aborted by cleanupJob at the end of the job.
//
// Memory per object is bounded: parts are read into at most FERRY_S3_QUEUE_SIZE (4) buffers of
// FERRY_S3_PART_SIZE (16 MiB) — 64 MiB — of which all but the one being filled are uploading. Why 64 MiB: a
// worker runs up to 16 transfers by default, so 16 large objects at once stay around 1 GiB, and four parts in
// flight already cover the ~100 MB/s a single S3 connection gets, four times over.
//
// Retries: the SDK's standard retry (3 attempts) stays on for requests that can be replayed (HEAD, LIST, parts,
// whose bodies are buffers): S3 answers throttling with 503 SlowDown and expects the client to back off, and a
// part retried there is far cheaper than the whole object retried by Temporal. A streaming PutObject cannot be
// replayed; the SDK does not retry it, and the copy batch's retry policy does.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { ErrorType } from '../../common/errors.js';
import { FerryError, classifyError } from '../classify-error.js';
import type { Bucket, CleanupOptions, ListPage, ObjectInfo, PutOptions } from './types.js';
import { ferryEnv, type Env } from '../env.js';
import { MetaKey, anySignal, guardedUpload, metaFromWire, metaToWire } from './wire.js';

const MiB = 1024 * 1024;
/** S3's limits: at most 10,000 parts, each at least 5 MiB except the last (FERRY_S3_PART_SIZE's minimum). */
const MAX_PARTS = 10_000;
/** Incomplete uploads initiated this long before the job's start still count as the job's (clock skew). */
const CLEANUP_SKEW_MS = 60_000;

export interface S3Settings {
  /** Custom endpoint (MinIO, AIStore's `/s3`, ...); undefined = AWS. */
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** Objects above this size, or of unknown size, go multipart. @default 64 MiB */
  multipartThreshold: number;
  /** @default 16 MiB */
  partSize: number;
  /** Part buffers per object, the one being filled included. @default 4 */
  queueSize: number;
}

/** The S3 settings of an environment (this process's by default). Throws ConfigError on a malformed knob. */
export function s3SettingsFromEnv(env: Env = process.env): S3Settings {
  const e = ferryEnv(env);
  return {
    endpoint: e.s3Endpoint(),
    region: e.awsRegion(),
    forcePathStyle: e.s3ForcePathStyle(),
    multipartThreshold: e.s3MultipartThreshold(),
    partSize: e.s3PartSize(),
    queueSize: e.s3QueueSize(),
  };
}

export class S3Bucket implements Bucket {
  readonly uri: string;
  readonly client: S3Client;
  private readonly settings: S3Settings;
  /** AIStore's S3 front end keeps no user metadata and treats `?tagging` as a plain PUT (it would overwrite). */
  private isAis: Promise<boolean> | undefined;

  constructor(
    readonly bucket: string,
    /** Prepended to every object name: key = prefix + name. */
    readonly prefix: string,
    settings: S3Settings = s3SettingsFromEnv(),
  ) {
    this.uri = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.settings = settings;
    // The SDK warns on every Node < 22 that its future releases will need 22; ferry supports Node 20 and pins the
    // SDK, so the warning is addressed to ferry's maintainers, not to the user whose terminal it would clutter.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const agentOptions = { keepAlive: true, maxSockets: 1024 };
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      // A bucket in another region answers 301; let the SDK retry there instead of failing.
      followRegionRedirects: true,
      logger: sdkLogger,
      requestHandler: {
        // Unreachable endpoints fail in seconds, not after the OS's connect timeout; an upload whose socket has
        // been idle for 2 minutes (the origin stalled longer than its own 60 s body timeout) is dead.
        connectionTimeout: 10_000,
        socketTimeout: 120_000,
        // 16 transfers × 4 parts by default, up to 1024 transfers: the SDK's default of 50 sockets would queue.
        httpAgent: new HttpAgent(agentOptions),
        httpsAgent: new HttpsAgent(agentOptions),
      },
    });
  }

  async exists(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async ensure(): Promise<{ created: boolean }> {
    if (await this.exists()) return { created: false };
    const { region, endpoint } = this.settings;
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // AWS wants the region spelled out everywhere but us-east-1; other endpoints do not care.
          ...(!endpoint && region !== 'us-east-1'
            ? { CreateBucketConfiguration: { LocationConstraint: region as never } }
            : {}),
        }),
      );
      return { created: true };
    } catch (err) {
      // Created meanwhile by a concurrent job (or an earlier attempt of this one).
      if ((err as { name?: string }).name === 'BucketAlreadyOwnedByYou') return { created: false };
      if ((err as { name?: string }).name === 'BucketAlreadyExists')
        throw new FerryError(
          ErrorType.DestinationForbidden,
          `${this.uri}: the bucket name is taken by another account (S3 bucket names are global)`,
        );
      throw err;
    }
  }

  async preflight(): Promise<void> {
    const where = this.settings.endpoint ?? `AWS S3 (${this.settings.region})`;
    try {
      await this.client.config.credentials();
    } catch (err) {
      throw new FerryError(
        ErrorType.DestinationForbidden,
        `${this.uri}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, ` +
          `in the environment of the workers): ${(err as Error).message}`,
      );
    }
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(20_000),
      });
    } catch (err) {
      if (isNotFound(err)) return; // created by the job
      const c = classifyError(err);
      const what =
        c.type === ErrorType.NetworkError || (err as { name?: string }).name === 'AbortError'
          ? `cannot reach the S3 endpoint ${where}`
          : c.type === ErrorType.DestinationForbidden
            ? `the S3 endpoint ${where} refused the credentials`
            : `the S3 endpoint ${where} failed`;
      throw new FerryError(
        c.type === ErrorType.DestinationUnavailable && (err as { name?: string }).name === 'AbortError'
          ? ErrorType.NetworkError
          : c.type,
        `${this.uri}: ${what}: ${c.message || (err as { name?: string }).name}`,
      );
    }
  }

  async head(name: string): Promise<ObjectInfo | null> {
    let res;
    try {
      res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name), ChecksumMode: 'ENABLED' }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const wire = res.Metadata ?? {};
    const meta = metaFromWire(wire);
    const sha = fullObjectSha256(res.ChecksumSHA256, res.ChecksumType);
    if (sha) meta.sha256 = sha;
    else if (!meta.sha256 && (res.TagCount ?? 0) > 0 && !(await this.aisFrontEnd()))
      meta.sha256 = await this.taggedSha256(name);
    const info: ObjectInfo = { name, size: res.ContentLength ?? 0 };
    if (res.LastModified) info.mtimeMs = res.LastModified.getTime();
    if (Object.keys(meta).length) info.meta = meta;
    // AIStore answers with its own checksum as x-amz-meta-ais-cksum-* and drops everything a client sent.
    if ('ais-cksum-type' in wire && meta.jobId === undefined) info.noMetadata = true;
    return info;
  }

  async put(name: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    if (opts.size !== undefined && opts.size <= this.settings.multipartThreshold)
      return this.putSingle(name, body, opts, opts.size);
    return this.putMultipart(name, body, opts);
  }

  async get(name: string): Promise<{ body: Readable; info: ObjectInfo }> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    const info: ObjectInfo = { name, size: res.ContentLength ?? 0 };
    if (res.LastModified) info.mtimeMs = res.LastModified.getTime();
    const meta = metaFromWire(res.Metadata ?? {});
    if (Object.keys(meta).length) info.meta = meta;
    // In Node the SDK's body is the http.IncomingMessage itself.
    return { body: res.Body as Readable, info };
  }

  async list(opts: { prefix?: string; token?: string; limit?: number }): Promise<ListPage> {
    const res = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix + (opts.prefix ?? ''),
        ...(opts.token ? { ContinuationToken: opts.token } : {}),
        MaxKeys: Math.min(opts.limit ?? 1000, 1000),
      }),
    );
    const items: ObjectInfo[] = [];
    for (const o of res.Contents ?? []) {
      if (!o.Key?.startsWith(this.prefix)) continue;
      const it: ObjectInfo = { name: o.Key.slice(this.prefix.length), size: o.Size ?? 0 };
      if (o.LastModified) it.mtimeMs = o.LastModified.getTime();
      items.push(it);
    }
    return res.IsTruncated && res.NextContinuationToken
      ? { items, next: res.NextContinuationToken }
      : { items };
  }

  async delete(name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
  }

  /**
   * Aborts incomplete multipart uploads the job left (a worker killed mid-upload). S3 cannot label an upload
   * with its job, so "the job's" means: under this bucket URI's prefix, initiated since the job started (minus a
   * minute of clock skew), and, when given, under one of the job's names. Without a start time nothing is
   * aborted: all incomplete uploads under a prefix may belong to someone else.
   */
  async cleanupJob(_jobId: string, opts: CleanupOptions = {}): Promise<{ removed: number }> {
    if (opts.startedAtMs === undefined) return { removed: 0 };
    const since = opts.startedAtMs - CLEANUP_SKEW_MS;
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          ...(this.prefix ? { Prefix: this.prefix } : {}),
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      for (const u of page.Uploads ?? []) {
        if (!u.Key?.startsWith(this.prefix) || !u.UploadId) continue;
        if (u.Initiated && u.Initiated.getTime() < since) continue;
        if (opts.isName && !opts.isName(u.Key.slice(this.prefix.length))) continue;
        try {
          await this.client.send(
            new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }),
          );
          removed++;
        } catch (err) {
          if (!isNotFound(err)) throw err; // completed or aborted meanwhile
        }
      }
      if (!page.IsTruncated || !(page.NextKeyMarker || page.NextUploadIdMarker)) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    return { removed };
  }

  // --- internal ---

  private key(name: string): string {
    return this.prefix + name;
  }

  private async putSingle(name: string, body: Readable, opts: PutOptions, size: number): Promise<ObjectInfo> {
    const { stream: guarded, signal, state } = guardedUpload(body, opts);
    let res;
    try {
      res = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(name),
          Body: guarded,
          ContentLength: size,
          ...(opts.contentType ? { ContentType: opts.contentType } : {}),
          Metadata: metaToWire(opts.meta),
          ChecksumAlgorithm: 'SHA256',
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      guarded.destroy();
      throw state.failure ?? err;
    }
    const checked = state.checked;
    if (!checked) throw new Error(`internal: ${this.uri}/${name} committed before its length check ran`);
    const stored = fullObjectSha256(res.ChecksumSHA256, res.ChecksumType);
    if (stored && stored !== checked.sha256) {
      // The server validated the SDK's checksum, so the bytes S3 has are the bytes the SDK read; a different
      // digest here means they are not the bytes ferry hashed. Never leave such an object behind.
      await this.delete(name).catch(() => undefined);
      throw new FerryError(
        ErrorType.DestinationUnavailable,
        `${this.uri}/${name}: S3 stored sha256 ${stored}, ferry streamed ${checked.sha256}; object removed`,
      );
    }
    return {
      name,
      size: checked.bytes,
      meta: { ...opts.meta, sha256: checked.sha256 },
    };
  }

  private async putMultipart(name: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    const key = this.key(name);
    const { partSize, queueSize } = partPlan(opts.size, this.settings);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ...(opts.contentType ? { ContentType: opts.contentType } : {}),
        Metadata: metaToWire(opts.meta),
        ChecksumAlgorithm: 'SHA256',
      }),
      opts.signal ? { abortSignal: opts.signal } : {},
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new FerryError(ErrorType.DestinationUnavailable, `${this.uri}: no UploadId`);

    const ac = new AbortController();
    const signal = anySignal([ac.signal, opts.signal]);
    const parts: CompletedPart[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    const fail = (err: unknown): void => {
      failure ??= err;
      ac.abort(err);
    };
    const pool = partPool(partSize);
    try {
      let partNumber = 0;
      for await (const part of readParts(body, partSize, pool.take)) {
        if (failure !== undefined) {
          pool.give(part.buffer);
          break;
        }
        partNumber++;
        if (partNumber > MAX_PARTS) {
          pool.give(part.buffer);
          throw new FerryError(
            ErrorType.DestinationRejected,
            `${this.uri}/${name}: more than ${MAX_PARTS} parts of ${partSize} bytes (object larger than announced?)`,
          );
        }
        const n = partNumber;
        const data = part.buffer.subarray(0, part.length);
        const p = this.client
          .send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: data,
              ContentLength: data.length,
              ChecksumAlgorithm: 'SHA256',
            }),
            { abortSignal: signal },
          )
          .then((r) => {
            parts.push({
              PartNumber: n,
              ...(r.ETag ? { ETag: r.ETag } : {}),
              ...(r.ChecksumSHA256 ? { ChecksumSHA256: r.ChecksumSHA256 } : {}),
            });
          }, fail)
          .finally(() => {
            inflight.delete(p);
            pool.give(part.buffer);
          });
        inflight.add(p);
        // The one buffer the next read fills is the queueSize-th.
        while (inflight.size >= queueSize) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      if (failure !== undefined) throw failure as Error;
      const { sha256, bytes } = opts.beforeCommit();
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
      await this.tagSha256(name, sha256);
      return { name, size: bytes, meta: { ...opts.meta, sha256 } };
    } catch (err) {
      fail(err);
      body.destroy();
      await Promise.allSettled(inflight);
      // Best effort: whatever stays behind (worker killed right here, endpoint down) cleanupJob aborts later.
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
        .catch(() => undefined);
      throw failure ?? err;
    }
  }

  /** Records a multipart object's sha256 as a tag. Best effort: the object is complete and valid without it. */
  private async tagSha256(name: string, sha256: string): Promise<void> {
    if (await this.aisFrontEnd()) return;
    await this.client
      .send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: this.key(name),
          Tagging: { TagSet: [{ Key: MetaKey.sha256, Value: sha256 }] },
        }),
      )
      .catch(() => undefined); // no s3:PutObjectTagging, or an S3 clone without tagging
  }

  private async taggedSha256(name: string): Promise<string | undefined> {
    try {
      const t = await this.client.send(
        new GetObjectTaggingCommand({ Bucket: this.bucket, Key: this.key(name) }),
      );
      const v = t.TagSet?.find((x) => x.Key === MetaKey.sha256)?.Value;
      return v && /^[0-9a-f]{64}$/.test(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether the endpoint is AIStore's S3 front end: its HeadBucket names the region `ais`. */
  private aisFrontEnd(): Promise<boolean> {
    this.isAis ??= this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).then(
      (r) => r.BucketRegion === 'ais',
      () => {
        this.isAis = undefined; // ask again next time
        return false;
      },
    );
    return this.isAis;
  }
}

// --- internal ---

/**
 * Without a logger the SDK warns on the console whenever a streaming upload fails ("An error was encountered
 * in a non-retryable streaming request"), which ferry does on purpose (length check) and reports itself; with
 * one, it also logs every failed command at `error` level — a HEAD answering 404 included. Errors are thrown
 * and classified by ferry, so only the SDK's other warnings are kept.
 */
const sdkLogger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (...args: unknown[]): void => {
    if (!String(args[0]).includes('non-retryable streaming request')) console.warn(...args);
  },
  error: (): void => undefined,
};

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e?.name === 'NotFound' ||
    e?.name === 'NoSuchKey' ||
    e?.name === 'NoSuchBucket' ||
    e?.name === 'NoSuchUpload' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/** Hex sha256 of the whole object from S3's checksum, when it is one (not a composite of parts). */
function fullObjectSha256(b64: string | undefined, type: string | undefined): string | undefined {
  if (!b64 || b64.includes('-') || type === 'COMPOSITE') return undefined;
  const buf = Buffer.from(b64, 'base64');
  return buf.length === 32 ? buf.toString('hex') : undefined;
}

/**
 * Part size and buffers for an object: the configured size, grown (in whole MiB) so that the object fits in
 * 10,000 parts; fewer buffers when parts grow, so that memory stays at the configured budget where it can.
 */
export function partPlan(
  size: number | undefined,
  s: Pick<S3Settings, 'partSize' | 'queueSize'>,
): { partSize: number; queueSize: number } {
  let partSize = s.partSize;
  if (size !== undefined && Math.ceil(size / partSize) > MAX_PARTS)
    partSize = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  const budget = s.partSize * s.queueSize;
  return { partSize, queueSize: Math.max(1, Math.min(s.queueSize, Math.floor(budget / partSize))) };
}

/**
 * Cuts a stream into parts of `partSize` bytes, copying into buffers from `take` (one copy per byte; the
 * buffers are recycled). The last part may be shorter; an empty stream yields one empty part.
 */
async function* readParts(
  src: AsyncIterable<Buffer>,
  partSize: number,
  take: () => Buffer,
): AsyncGenerator<{ buffer: Buffer; length: number }> {
  let buf: Buffer | undefined;
  let fill = 0;
  let yielded = false;
  for await (const chunk of src) {
    let off = 0;
    while (off < chunk.length) {
      buf ??= take();
      const n = Math.min(partSize - fill, chunk.length - off);
      chunk.copy(buf, fill, off, off + n);
      fill += n;
      off += n;
      if (fill === partSize) {
        const full = buf;
        buf = undefined;
        fill = 0;
        yielded = true;
        yield { buffer: full, length: partSize };
      }
    }
  }
  if (fill > 0 || !yielded) yield { buffer: buf ?? take(), length: fill };
}

/**
 * Part buffers are big (16 MiB) and short-lived; allocating one per part leaves freeing them to the GC, which
 * lets RSS climb. A small per-size free list keeps a steady copy job at a steady footprint.
 */
const freeBuffers = new Map<number, Buffer[]>();
const MAX_FREE_PER_SIZE = 8;
function partPool(size: number): { take: () => Buffer; give: (b: Buffer) => void } {
  return {
    take: () => freeBuffers.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size),
    give: (b) => {
      let list = freeBuffers.get(size);
      if (!list) freeBuffers.set(size, (list = []));
      if (list.length < MAX_FREE_PER_SIZE && !list.includes(b)) list.push(b);
    },
  };
}
