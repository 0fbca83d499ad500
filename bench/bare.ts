// The `bare` contender: the least a Node program must do to copy the objects — concurrent undici GETs over
// one keep-alive pool, each body streamed into its destination file (or one S3 PutObject). No Temporal, no
// checksum, no temp file, no metadata: the practical limit ferry is held against.
//
//   node dist/bench/bare.js --list URLS.txt --dest DIR --concurrency N
//   node dist/bench/bare.js --list URLS.txt --s3 BUCKET --concurrency N   (AWS_* env, AWS_ENDPOINT_URL)
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    list: { type: 'string' },
    dest: { type: 'string' },
    s3: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
  },
});
if (!values.list || (!values.dest && !values.s3)) {
  console.error('usage: bare.js --list URLS.txt (--dest DIR | --s3 BUCKET) [--concurrency N]');
  process.exit(2);
}
const urls = readFileSync(values.list, 'utf8').split('\n').filter(Boolean);
const concurrency = Number(values.concurrency);
const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });

type Sink = (name: string, body: NodeJS.ReadableStream, size: number) => Promise<void>;
let sink: Sink;
if (values.s3) {
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  // No SDK-computed checksum: with it a streamed body goes out aws-chunked with a trailing checksum, and
  // 256 MiB bodies failed against MinIO ("non-retryable streaming request"); bare is the plain PutObject.
  const s3 = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const bucket = values.s3;
  sink = async (name, body, size) => {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: name, Body: body as never, ContentLength: size }),
    );
  };
} else {
  const dir = values.dest!;
  sink = (name, body) => pipeline(body, createWriteStream(join(dir, name)));
}

let next = 0;
const lane = async (): Promise<void> => {
  for (;;) {
    const url = urls[next++];
    if (url === undefined) return;
    const res = await request(url, { dispatcher });
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode}`);
    await sink(url.slice(url.lastIndexOf('/') + 1), res.body, Number(res.headers['content-length']));
  }
};
try {
  await Promise.all(Array.from({ length: Math.min(concurrency, urls.length) }, lane));
} finally {
  await dispatcher.close();
}
