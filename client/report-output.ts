// Where a per-object report goes: `-` (stdout), a local file (written to a temp file beside it and renamed, so a
// reader never sees half a report), or an object in a bucket (`s3://b/key.jsonl`, `ais://…`, `file:///…/key`),
// written through the bucket driver's atomic put. Rows stream through: millions of rows need no memory.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvHeader, csvLine, jsonlLine, type ReportFormat, type ReportRow } from '../common/report.js';

export async function writeReport(
  to: string,
  format: ReportFormat,
  rows: AsyncIterable<ReportRow>,
): Promise<{ rows: number }> {
  let n = 0;
  const lines = async function* () {
    if (format === 'csv') yield csvHeader();
    for await (const r of rows) {
      n++;
      yield format === 'csv' ? csvLine(r) : jsonlLine(r);
    }
  };
  if (to === '-') {
    await pipeline(Readable.from(lines()), process.stdout, { end: false });
    return { rows: n };
  }
  const object = /^(s3|ais|file):\/\/[^/]*\/.+/.exec(to);
  if (object) {
    const [{ parseBucketUri, formatBucketUri }, { openBucket }] = await Promise.all([
      import('../common/bucket-uri.js'),
      import('../lib/buckets/index.js'),
    ]);
    // The last path segment is the object; what precedes it is the bucket URI it goes into.
    const cut = to.lastIndexOf('/');
    const bucket = await openBucket(formatBucketUri(parseBucketUri(to.slice(0, cut))));
    const hash = createHash('sha256');
    let bytes = 0;
    const body = Readable.from(
      (async function* () {
        for await (const l of lines()) {
          const b = Buffer.from(l);
          hash.update(b);
          bytes += b.length;
          yield b;
        }
      })(),
    );
    await bucket.put(to.slice(cut + 1), body, {
      size: undefined,
      contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      meta: { sourceUrl: 'ferry:report', jobId: 'report' },
      beforeCommit: () => ({ sha256: hash.digest('hex'), bytes }),
    });
    return { rows: n };
  }
  const tmp = `${to}.${randomUUID()}.tmp`;
  try {
    await pipeline(Readable.from(lines()), createWriteStream(tmp));
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { rows: n };
}
