// `ferry object get`: read one object from an http(s) origin or a bucket.
import { createReadStream, createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { CLIError, EXIT } from '../errors.js';

export function register(program: Command): void {
  const object = program.command('object').description('object operations');
  object
    .command('get')
    .description('read an object: an http(s) URL or BUCKET/OBJECT; to OUT, or stdout')
    .argument('<src>', 'http(s)://host/path, s3://bucket/obj, ais://bucket/obj, or a local bucket path')
    .argument('[out]', 'output file (default: stdout)')
    .action(async (src: string, out?: string) => {
      const sink = out ? createWriteStream(out) : process.stdout;
      if (/^https?:\/\//i.test(src)) {
        const [{ request }, { originAuth }] = await Promise.all([
          import('undici'),
          import('../../lib/origin-auth.js'),
        ]);
        const res = await request(src, { headers: originAuth(src) });
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new CLIError(`GET ${src}: ${res.statusCode}`, EXIT.error);
        }
        await pipeline(res.body, sink);
      } else {
        const m = /^(s3|ais):\/\/([^/]+)\/(.+)$/.exec(src);
        if (m) {
          const { openBucket } = await import('../../lib/buckets/index.js');
          const { body } = await (await openBucket(`${m[1]}://${m[2]}`)).get(m[3]!);
          await pipeline(body, sink);
        } else {
          await pipeline(createReadStream(resolve(src.replace(/^file:\/\//, ''))), sink);
        }
      }
      if (out) console.error(`wrote ${out}`);
    });
}
