// Where `ferry show job ID --report` writes the merged report: stdout (`-`), a local file (a path or
// `file:///abs/path`), or an object in a bucket (`s3://bucket/key`, `ais://bucket/key`). Streamed: rows are
// encoded as they come out of the merge, with backpressure, so millions of rows need no more memory than one.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { openBucket } from './buckets/index.js';
import { putStream } from './buckets/put-stream.js';
import { csvHeader, csvLine, jsonlLine, type ReportFormat, type ReportRow } from '../common/report.js';

export type ReportTarget =
  { kind: 'stdout' } | { kind: 'file'; path: string } | { kind: 'object'; bucket: string; key: string };

/** The target of a `--report` argument, or a one-line reason it is not one. */
export function parseReportTarget(arg: string): ReportTarget | string {
  if (arg === '-') return { kind: 'stdout' };
  const m = /^(s3|ais):\/\/([^/]+)\/(.+)$/.exec(arg);
  if (m) {
    if (m[3]!.endsWith('/')) return `--report ${arg}: name an object, not a folder (e.g. ${arg}report.jsonl)`;
    return { kind: 'object', bucket: `${m[1]}://${m[2]}`, key: m[3]! };
  }
  if (/^(s3|ais):\/\//.test(arg))
    return `--report ${arg}: name an object in the bucket, e.g. ${arg}/report.jsonl`;
  if (arg.startsWith('file://')) {
    try {
      return { kind: 'file', path: fileURLToPath(arg) };
    } catch {
      return `--report ${arg}: not a file URL (file:///abs/path)`;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) return `--report ${arg}: use a path, -, file://, s3:// or ais://`;
  return { kind: 'file', path: resolve(arg) };
}

/** Encode `rows` in `format` into `target`; resolves with the number of rows written. */
export async function writeReport(
  rows: AsyncIterable<ReportRow>,
  format: ReportFormat,
  target: ReportTarget,
): Promise<number> {
  let n = 0;
  const encode = format === 'csv' ? csvLine : jsonlLine;
  const body = Readable.from(
    (async function* () {
      if (format === 'csv') yield csvHeader();
      // Batched into strings of ~64 KiB: one stream chunk per row would cost more than the encoding.
      let buf = '';
      for await (const r of rows) {
        buf += encode(r);
        n++;
        if (buf.length >= 65536) {
          yield buf;
          buf = '';
        }
      }
      if (buf) yield buf;
    })(),
  );
  switch (target.kind) {
    case 'stdout':
      await pipeline(body, process.stdout, { end: false });
      break;
    case 'file': {
      // Atomic: a reader never sees half a report; an interrupted write leaves the old file or none.
      const tmp = `${target.path}.${randomUUID()}.tmp`;
      try {
        await pipeline(body, createWriteStream(tmp));
        await rename(tmp, target.path);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
      break;
    }
    case 'object': {
      await putStream(await openBucket(target.bucket), target.key, body, {
        contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        meta: { sourceUrl: 'ferry:report', jobId: 'ferry-report' },
      });
      break;
    }
  }
  return n;
}
