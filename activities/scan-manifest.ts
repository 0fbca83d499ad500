// scanManifest: reads a manifest forward from a byte offset and returns only where its next batches end — the
// offset just past the last line of each run of `batchSize` objects, at most `maxBatches` of them — so the
// workflow's history holds two numbers per batch, never names. Lines skipped (blank, `#`) and filtered out
// count for nothing; a bad line counts as an object, which its copy batch fails with its line number.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../common/errors.js';
import { parseManifestLine } from '../common/manifest.js';
import {
  ScanManifestInputSchema,
  formatZodError,
  type ScanManifestInput,
  type ScanManifestOutput,
} from '../common/schemas.js';
import type { Bucket } from '../lib/buckets/index.js';
import { toApplicationFailure } from '../lib/classify-error.js';
import { keyFilter } from '../lib/listing/filter.js';
import { manifestLines, openManifest } from '../lib/manifest/read.js';

export function makeScanManifest(openBucket: (uri: string) => Promise<Bucket>) {
  return async function scanManifest(raw: ScanManifestInput): Promise<ScanManifestOutput> {
    const parsed = ScanManifestInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw ApplicationFailure.create({
        type: ErrorType.InvalidInput,
        message: formatZodError(parsed.error, 'scanManifest input'),
        nonRetryable: true,
      });
    }
    const { jobId, destination, ref, offset, batchSize, maxBatches, filter } = parsed.data;
    const ctx = Context.current();
    const accept = filter ? keyFilter(filter) : undefined;
    const batches: ScanManifestOutput['batches'] = [];
    let line = parsed.data.line;
    let count = 0;
    try {
      const body = await openManifest(
        ref,
        { destination, jobId, openBucket, signal: ctx.cancellationSignal },
        { start: offset },
      );
      let end = offset;
      for await (const l of manifestLines(body, offset)) {
        line++;
        end = l.end;
        if (line % 10_000 === 0) ctx.heartbeat();
        const parsedLine = parseManifestLine(l.text);
        if (parsedLine.kind === 'skip') continue;
        if (parsedLine.kind === 'entry' && accept && !accept(parsedLine.name)) continue;
        if (++count === batchSize) {
          batches.push({ end, line, count });
          count = 0;
          if (batches.length >= maxBatches) return { batches, done: false };
        }
      }
      if (count > 0) batches.push({ end, line, count });
      return { batches, done: true };
    } catch (err) {
      throw toApplicationFailure(err);
    }
  };
}
