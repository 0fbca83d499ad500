// Bucket URI → Bucket implementation. Credentials come from the worker's environment, never from input.
import { parseBucketUri } from '../../common/bucket-uri.js';
import { AisBucket } from './ais.js';
import { LocalBucket } from './local.js';
import { S3Bucket } from './s3.js';
import type { Bucket } from './types.js';

export type { Bucket, CleanupOptions, ObjectInfo, ObjectMeta, PutOptions, ListPage } from './types.js';

const cache = new Map<string, Bucket>();

/** One Bucket per URI per process: implementations keep connection pools and directory caches. */
export function openBucket(uri: string): Bucket {
  const hit = cache.get(uri);
  if (hit) return hit;
  const parsed = parseBucketUri(uri);
  let bucket: Bucket;
  switch (parsed.provider) {
    case 'file':
      bucket = new LocalBucket(parsed.path);
      break;
    case 's3':
      bucket = new S3Bucket(parsed.bucket, parsed.prefix);
      break;
    case 'ais':
      bucket = new AisBucket(parsed.bucket, parsed.prefix);
      break;
  }
  cache.set(uri, bucket);
  return bucket;
}
