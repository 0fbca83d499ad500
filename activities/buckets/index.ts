// Bucket URI → Bucket implementation. Credentials come from the worker's environment, never from input.
import { parseBucketUri } from '../../common/bucket-uri.js';
import { LocalBucket } from './local.js';
import type { Bucket } from './types.js';

export type { Bucket, ObjectInfo, ObjectMeta, PutOptions, ListPage } from './types.js';

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
    default:
      throw new Error(`bucket provider '${parsed.provider}' is not supported yet`);
  }
  cache.set(uri, bucket);
  return bucket;
}
