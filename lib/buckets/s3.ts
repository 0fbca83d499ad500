// s3://bucket[/prefix]: any S3 endpoint (AWS, MinIO, AIStore's S3 front end) through @aws-sdk/client-s3.
//
// Configuration (the standard AWS environment) and the SDK client: s3-client.ts.
//
// Writes are atomic: an object becomes visible only as a whole, never partially.
// - Small objects the copy received whole (≤ 256 KiB): one PutObject of a buffer with the copy's checksum as its
//   header (s3-small.ts).
// - Up to FERRY_S3_MULTIPART_THRESHOLD (64 MiB) with a known length: one streaming PutObject. The commit guard
//   (wire.ts) holds the last chunk back until beforeCommit (the length check) has passed, so a body that fails it
//   never completes on the server; the request is aborted and S3 discards it. The SDK computes a SHA-256 while
//   streaming and sends it as a trailer (ChecksumAlgorithm SHA256): the server validates what it received against
//   it before committing and keeps it, so ferry's sha256 is S3's own, read back with HeadObject ChecksumMode.
// - Larger, or of unknown length: a multipart upload (s3-multipart.ts), completed only after beforeCommit; the
//   whole object's sha256 is recorded as the object tag `ferry-sha256` right after completion (skipped on
//   AIStore, whose S3 API has no tagging).
//
// Retries: the SDK's standard retry (3 attempts) stays on for requests that can be replayed (HEAD, LIST, parts,
// whose bodies are buffers): S3 answers throttling with 503 SlowDown and expects the client to back off, and a
// part retried there is far cheaper than the whole object retried by Temporal. A streaming PutObject cannot be
// replayed; the SDK does not retry it, and the copy batch's retry policy does.
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ErrorType } from '../../common/errors.js';
import { FerryError, classifyError } from '../classify-error.js';
import {
  createS3Client,
  fullObjectSha256,
  isNotFound,
  s3SettingsFromEnv,
  type S3Settings,
} from './s3-client.js';
import { checksumMismatch, parseChecksum } from '../checksum.js';
import { s3Algorithm, storedChecksum, type StoredChecksums } from './s3-checksum.js';
import { S3_SMALL_MAX, wholePut, wireHeaders } from './s3-small.js';
import { DirectPut } from './s3-direct.js';
import { abortUploads, putMultipart, type MultipartUpload } from './s3-multipart.js';
import { openS3Ranged } from './s3-ranged.js';
import type {
  Bucket,
  ByteRange,
  ListOptions,
  CleanupOptions,
  ListPage,
  ObjectInfo,
  PutBytesOptions,
  PutOptions,
  RangedOptions,
  RangedWriter,
} from './types.js';
import { MetaKey, STATE_PREFIX, guardedUpload, httpRange, metaFromWire, metaToWire } from './wire.js';

// The driver's public surface stays in this module: index.ts imports it lazily, tests import partPlan.
export { s3SettingsFromEnv, type S3Settings } from './s3-client.js';
export { partPlan } from './s3-multipart.js';

/** Incomplete uploads initiated this long before the job's start still count as the job's (clock skew). */
const CLEANUP_SKEW_MS = 60_000;

export class S3Bucket implements Bucket {
  readonly uri: string;
  readonly client: S3Client;
  readonly putBytesMax = S3_SMALL_MAX;
  private readonly settings: S3Settings;
  /** AIStore's S3 front end keeps no user metadata and treats `?tagging` as a plain PUT (it would overwrite). */
  private isAis: Promise<boolean> | undefined;
  private directPut: DirectPut | undefined;

  constructor(
    readonly bucket: string,
    /** Prepended to every object name: key = prefix + name. */
    readonly prefix: string,
    settings: S3Settings = s3SettingsFromEnv(),
  ) {
    this.uri = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.settings = settings;
    this.client = createS3Client(settings);
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
    const stored = storedChecksum(res);
    // The server's whole-object checksum is the record, unless ferry recorded another algorithm (md5) in a tag.
    if ((!meta.sha256 || !meta.checksum) && (res.TagCount ?? 0) > 0 && !(await this.aisFrontEnd()))
      Object.assign(meta, { ...(await this.taggedChecksums(name)), ...(sha ? { sha256: sha } : {}) });
    if (!meta.checksum && stored) meta.checksum = stored;
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

  async get(name: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }> {
    const res = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key(name),
        ...(range ? { Range: httpRange(range) } : {}),
      }),
    );
    const info: ObjectInfo = { name, size: res.ContentLength ?? 0 };
    if (res.LastModified) info.mtimeMs = res.LastModified.getTime();
    const meta = metaFromWire(res.Metadata ?? {});
    if (Object.keys(meta).length) info.meta = meta;
    // In Node the SDK's body is the http.IncomingMessage itself.
    return { body: res.Body as Readable, info };
  }

  async list(opts: ListOptions): Promise<ListPage> {
    const res = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: this.prefix + (opts.prefix ?? ''),
        ...(opts.token ? { ContinuationToken: opts.token } : {}),
        ...(opts.startAfter && !opts.token ? { StartAfter: this.prefix + opts.startAfter } : {}),
        MaxKeys: Math.min(opts.limit ?? 1000, 1000),
      }),
    );
    const items: ObjectInfo[] = [];
    for (const o of res.Contents ?? []) {
      if (
        !o.Key?.startsWith(this.prefix) ||
        (!opts.state && o.Key.startsWith(STATE_PREFIX, this.prefix.length))
      )
        continue;
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
    const removed = await abortUploads(
      this.client,
      this.bucket,
      this.prefix,
      opts.startedAtMs - CLEANUP_SKEW_MS,
      opts.isName,
    );
    return { removed };
  }

  // --- internal ---

  private key(name: string): string {
    return this.prefix + name;
  }

  private async putSingle(name: string, body: Readable, opts: PutOptions, size: number): Promise<ObjectInfo> {
    const algo = opts.checksum ?? 'none';
    const { algorithm, own } = s3Algorithm(algo);
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
          // The SDK computes it while streaming and sends it as a trailer; the server verifies it (s3-checksum.ts).
          ChecksumAlgorithm: algorithm,
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      guarded.destroy();
      throw state.failure ?? err;
    }
    const checked = state.checked;
    if (!checked) throw new Error(`internal: ${this.uri}/${name} committed before its length check ran`);
    const { bytes, ...sums } = checked;
    await this.afterSinglePut(name, res, own, sums);
    return { name, size: bytes, meta: { ...opts.meta, ...sums } };
  }

  /** A small object received whole and hashed by the copy: one PutObject of a buffer (s3-small.ts). */
  async putBytes(name: string, chunks: Buffer[], opts: PutBytesOptions): Promise<ObjectInfo> {
    const { input, own, sums } = wholePut(this.bucket, this.key(name), chunks, opts);
    const direct = await this.direct();
    const res = direct
      ? await direct.put(input.Key!, input.Body as Buffer, wireHeaders(input), opts.signal)
      : await this.client.send(new PutObjectCommand(input), { abortSignal: opts.signal });
    await this.afterSinglePut(name, res, own, sums);
    return { name, size: opts.bytes, meta: { ...opts.meta } };
  }

  private async afterSinglePut(
    name: string,
    res: StoredChecksums,
    own: boolean,
    sums: { sha256?: string; checksum?: string },
  ): Promise<void> {
    const stored = storedChecksum(res);
    if (own && stored && sums.checksum && stored !== sums.checksum) {
      // The server validated the checksum it was sent, so the bytes S3 has are the bytes the SDK read; a
      // different digest here means they are not the bytes ferry hashed. Never leave such an object behind.
      await this.delete(name).catch(() => undefined);
      throw checksumMismatch(`${this.uri}/${name}: S3 stored it (object removed)`, sums.checksum, stored);
    }
    // md5 is not an S3 checksum of a streamed object: recorded as a tag, like a multipart object's sha256.
    if (!own && sums.checksum) await this.tagChecksums(name, sums);
  }

  private putMultipart(name: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    return putMultipart(this.upload(name), body, opts);
  }

  /** Parallel ranges (--streams): one multipart upload, a run of parts per range (s3-ranged.ts). */
  openRanged(name: string, opts: RangedOptions): Promise<RangedWriter> {
    return openS3Ranged(this.upload(name), opts);
  }

  private upload(name: string): MultipartUpload {
    return {
      client: this.client,
      bucket: this.bucket,
      uri: this.uri,
      key: this.key(name),
      name,
      settings: this.settings,
      afterComplete: (sums) => this.tagChecksums(name, sums),
    };
  }

  /**
   * Records checksums the object's own S3 checksum does not carry (a multipart object's sha256, an md5) as tags.
   * Best effort: the object is complete and valid without them.
   */
  private async tagChecksums(name: string, sums: { sha256?: string; checksum?: string }): Promise<void> {
    if (await this.aisFrontEnd()) return;
    const TagSet = [
      ...(sums.sha256 ? [{ Key: MetaKey.sha256, Value: sums.sha256 }] : []),
      ...(sums.checksum ? [{ Key: MetaKey.checksum, Value: sums.checksum }] : []),
    ];
    if (TagSet.length === 0) return;
    await this.client
      .send(new PutObjectTaggingCommand({ Bucket: this.bucket, Key: this.key(name), Tagging: { TagSet } }))
      .catch(() => undefined); // no s3:PutObjectTagging, or an S3 clone without tagging
  }

  private async taggedChecksums(name: string): Promise<{ sha256?: string; checksum?: string }> {
    try {
      const t = await this.client.send(
        new GetObjectTaggingCommand({ Bucket: this.bucket, Key: this.key(name) }),
      );
      const out: { sha256?: string; checksum?: string } = {};
      const sha = t.TagSet?.find((x) => x.Key === MetaKey.sha256)?.Value;
      if (sha && /^[0-9a-f]{64}$/.test(sha)) out.sha256 = sha;
      const sum = parseChecksum(t.TagSet?.find((x) => x.Key === MetaKey.checksum)?.Value);
      if (sum) out.checksum = `${sum.algo}:${sum.hex}`;
      return out;
    } catch {
      return {};
    }
  }

  /** Whether the endpoint is AIStore's S3 front end: its HeadBucket names the region `ais`. */
  /** The SDK-free PUT (s3-direct.ts), for an endpoint given explicitly that is not AIStore's front end. */
  private async direct(): Promise<DirectPut | undefined> {
    // A failed check (isAis reset, asked again next time) is no answer: the SDK meanwhile.
    if (!this.settings.endpoint || (await this.aisFrontEnd()) || this.isAis === undefined) return undefined;
    return (this.directPut ??= new DirectPut({
      endpoint: this.settings.endpoint,
      bucket: this.bucket,
      region: this.settings.region,
      forcePathStyle: this.settings.forcePathStyle,
      credentials: () => this.client.config.credentials(),
    }));
  }

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
