// Writing a stream ferry made itself (a job file, a report) into a bucket through the driver's atomic put(): the
// bytes are counted and hashed on the way, so the commit records a sha256 like any object ferry writes.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { Bucket, ObjectMeta } from './types.js';

export async function putStream(
  bucket: Bucket,
  name: string,
  body: Buffer | Readable,
  opts: { contentType: string; meta: Omit<ObjectMeta, 'sha256'> },
): Promise<void> {
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const src = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  src.on('error', (err) => counted.destroy(err));
  src.pipe(counted);
  await bucket.put(name, counted, {
    size: Buffer.isBuffer(body) ? body.length : undefined,
    contentType: opts.contentType,
    meta: opts.meta,
    beforeCommit: () => ({ sha256: hash.digest('hex'), bytes }),
  });
}
