// The S3 driver's settings and SDK client: what the environment configures, and how the client talks.
//
// Configuration is the standard AWS environment, read by the worker that writes: credentials from the SDK's
// default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws files, SSO, web identity,
// container/instance roles), AWS_REGION (default us-east-1), AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for
// another endpoint, which also switches to path-style addressing (FERRY_S3_FORCE_PATH_STYLE=0|1 overrides).
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { ferryEnv, type Env } from '../env.js';
import { FastCrc32c } from './s3-checksum.js';

export const MiB = 1024 * 1024;

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
  // S3's limits (at most 10,000 parts, each at least 5 MiB but the last) are FERRY_S3_PART_SIZE's bounds there.
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

/** The SDK client for these settings; credentials come from the SDK's default chain. */
export function createS3Client(settings: S3Settings): S3Client {
  // The SDK warns on every Node < 22 that its future releases will need 22; ferry supports Node 20 and pins the
  // SDK, so the warning is addressed to ferry's maintainers, not to the user whose terminal it would clutter.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const agentOptions = { keepAlive: true, maxSockets: 1024 };
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    // A bucket in another region answers 301; let the SDK retry there instead of failing.
    followRegionRedirects: true,
    // The SDK's own CRC32C is JavaScript at ~70 MiB/s; this one is SSE4.2 at ~5,600 (s3-checksum.ts).
    checksumAlgorithms: { CRC32C: FastCrc32c },
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

/** Whether an S3 error means that the bucket, object or upload does not exist. */
export function isNotFound(err: unknown): boolean {
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
export function fullObjectSha256(b64: string | undefined, type: string | undefined): string | undefined {
  if (!b64 || b64.includes('-') || type === 'COMPOSITE') return undefined;
  const buf = Buffer.from(b64, 'base64');
  return buf.length === 32 ? buf.toString('hex') : undefined;
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
