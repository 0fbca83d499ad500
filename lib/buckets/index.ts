// Bucket URI → Bucket implementation. Credentials come from the worker's environment, never from input.
import { parseBucketUri } from '../../common/bucket-uri.js';
import { LocalBucket } from './local.js';
import type { Bucket } from './types.js';

export type {
  Bucket,
  ByteRange,
  CleanupOptions,
  ObjectInfo,
  ObjectMeta,
  PutBytesOptions,
  PutOptions,
  ListOptions,
  ListPage,
  RangedOptions,
  RangedWriter,
} from './types.js';

const cache = new Map<string, Promise<Bucket>>();

/**
 * One Bucket per URI per process: implementations keep connection pools and directory caches. The s3 and ais
 * drivers are imported on first use: the AWS SDK alone took ~0.2 s of every CLI start and worker start,
 * also for jobs into a local bucket.
 */
export function openBucket(uri: string): Promise<Bucket> {
  const hit = cache.get(uri);
  if (hit) return hit;
  const parsed = parseBucketUri(uri);
  let bucket: Promise<Bucket>;
  switch (parsed.provider) {
    case 'file':
      bucket = Promise.resolve(new LocalBucket(parsed.path));
      break;
    case 's3':
      bucket = import('./s3.js').then(({ S3Bucket }) => new S3Bucket(parsed.bucket, parsed.prefix));
      break;
    case 'ais':
      bucket = import('./ais.js').then(({ AisBucket }) => new AisBucket(parsed.bucket, parsed.prefix));
      break;
  }
  // A failed construction (e.g. bad S3 settings) is not cached: the next call reports it again.
  bucket.catch(() => cache.delete(uri));
  cache.set(uri, bucket);
  return bucket;
}
