// Small PutObjects without the SDK's request pipeline: signed by the SDK's own SigV4 signer
// (@smithy/signature-v4) and sent with undici, for S3-compatible endpoints set with AWS_ENDPOINT_URL.
//
// Why: per request the SDK builds a middleware stack, evaluates the endpoint rules, runs its schema serializer
// and hashes the payload for the signature. A scratch measurement against the MinIO we build (3,000 × 64 KiB
// PUTs, 16 at a time, the same body, checksum header and metadata, 2 alternated rounds, 2026-12-01): the SDK's
// PutObject cost 1,678–2,101 µs of CPU per request in the client process, this path 550–763 µs; in
// `npm run bench -- --workload s3-small` the SDK was ~60% of the ferry process's samples. The body is in memory,
// its checksum header (which S3 verifies, s3-small.ts) is signed, so the payload itself is sent as
// UNSIGNED-PAYLOAD, as the SDK does for its streamed uploads.
//
// Only for endpoints given explicitly (MinIO, Ceph and other S3-compatible stores) and not for AIStore's S3 front
// end (s3.ts decides): AWS itself keeps the SDK, with its regional and virtual-host addressing and its region
// redirects. Errors carry the S3 error code as `name` and the status as `$metadata.httpStatusCode`, like the
// SDK's, so classify-error.ts types them the same way; what it calls transient (throttling, 5xx, a broken
// connection, MinIO's ClientDisconnected) is retried here (the body can be replayed) with backoff, 3 attempts, as
// the SDK's standard retry does.
import { createHash, createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request } from 'undici';
import { classifyError } from '../classify-error.js';
import { headerOf } from '../origin-head.js';
import type { StoredChecksums } from './s3-checksum.js';

export interface DirectTarget {
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
}

const ATTEMPTS = 3;

export class DirectPut {
  private readonly signer: SignatureV4;
  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    // As the SDK's handler (s3-client.ts): unreachable endpoints fail in seconds, a dead upload in 2 minutes.
    connect: { timeout: 10_000 },
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  private readonly base: URL;
  private readonly basePath: string;

  constructor(private readonly t: DirectTarget) {
    this.signer = new SignatureV4({
      credentials: t.credentials,
      region: t.region,
      service: 's3',
      sha256: NodeSha256,
      // S3 signs the path as sent, not escaped a second time.
      uriEscapePath: false,
    });
    this.base = new URL(t.endpoint);
    this.basePath = this.base.pathname.replace(/\/+$/, '');
  }

  /** PUTs the object; returns the checksums S3 answered with (as the SDK's PutObject output names them). */
  async put(
    key: string,
    body: Buffer,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<StoredChecksums> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(key, body, headers, signal);
      } catch (err) {
        if (attempt >= ATTEMPTS || signal?.aborted || !replayable(err)) throw err;
        // Full jitter over 100 ms × 2^n, as the SDK's standard retry strategy.
        await sleep(Math.random() * 100 * 2 ** attempt, undefined, signal ? { signal } : {});
      }
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async once(
    key: string,
    body: Buffer,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<StoredChecksums> {
    const host = this.t.forcePathStyle ? this.base.host : `${this.t.bucket}.${this.base.host}`;
    const path = `${this.basePath}${this.t.forcePathStyle ? `/${this.t.bucket}` : ''}/${encodeKey(key)}`;
    const signed = await this.signer.sign({
      method: 'PUT',
      protocol: this.base.protocol,
      hostname: this.t.forcePathStyle ? this.base.hostname : `${this.t.bucket}.${this.base.hostname}`,
      ...(this.base.port ? { port: Number(this.base.port) } : {}),
      path,
      query: {},
      headers: {
        ...headers,
        host,
        'content-length': String(body.length),
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
      body,
    });
    const res = await request(`${this.base.protocol}//${host}${path}`, {
      method: 'PUT',
      headers: signed.headers,
      body,
      dispatcher: this.agent,
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode >= 300) {
      const text = await res.body.text().catch(() => '');
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
      throw Object.assign(new Error(message || `HTTP ${res.statusCode}`), {
        name: code ?? `Http${res.statusCode}`,
        $metadata: { httpStatusCode: res.statusCode },
      });
    }
    await res.body.dump();
    const h = (n: string) => headerOf(res.headers, n);
    return {
      ChecksumCRC32C: h('x-amz-checksum-crc32c'),
      ChecksumCRC64NVME: h('x-amz-checksum-crc64nvme'),
      ChecksumSHA256: h('x-amz-checksum-sha256'),
      ChecksumType: h('x-amz-checksum-type'),
    };
  }
}

// --- internal ---

/** SigV4's canonical URI: every byte but the unreserved characters percent-encoded, '/' kept. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/** What is worth sending again: what classify-error.ts calls transient, so both retry layers agree. */
function replayable(err: unknown): boolean {
  return classifyError(err).retryable;
}

/** The signer's hash (Node's crypto): a plain SHA-256, or an HMAC when given a key. */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(d: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(d));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

function bytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === 'string') return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}
