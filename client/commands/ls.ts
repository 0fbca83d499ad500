// `ferry ls BUCKET`: NAME SIZE, paginated.
import type { Command } from 'commander';
import { CLIError, EXIT } from '../errors.js';
import { humanBytes, parseIntOption, table } from '../format.js';
import { bucketArg } from '../validate.js';

export function register(program: Command): void {
  program
    .command('ls')
    .description('list objects of a bucket (NAME SIZE)')
    .argument('<bucket>', 'path, file:///abs, s3://bucket, ais://bucket')
    .option('--prefix <p>', 'only names starting with this')
    .option('--limit <n>', 'at most this many objects')
    .option('--json', 'JSON lines', false)
    .action(async (bucketText: string, o: { prefix?: string; limit?: string; json?: boolean }) => {
      const { openBucket } = await import('../../lib/buckets/index.js');
      const b = await openBucket(bucketArg(bucketText));
      if (!(await b.exists())) throw new CLIError(`bucket ${b.uri} does not exist`, EXIT.error);
      const limit = o.limit ? parseIntOption(o.limit, '--limit', 1, Number.MAX_SAFE_INTEGER) : Infinity;
      const rows: string[][] = [];
      let token: string | undefined;
      let n = 0;
      do {
        const page = await b.list({
          ...(o.prefix ? { prefix: o.prefix } : {}),
          ...(token ? { token } : {}),
          limit: 1000,
        });
        for (const it of page.items) {
          if (n++ >= limit) break;
          if (o.json) console.log(JSON.stringify({ name: it.name, size: it.size }));
          else rows.push([it.name, humanBytes(it.size)]);
        }
        token = page.next;
      } while (token && n < limit);
      if (!o.json) console.log(rows.length ? table(['NAME', 'SIZE'], rows) : 'no objects');
    });
}
