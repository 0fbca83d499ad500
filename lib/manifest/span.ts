// A copy batch's share of a manifest: its bytes [start, end), read and parsed by the batch itself (names never
// travel through history), with what each line expects of its object (size, checksum) and the problem of each
// bad line, reported with its line number as that object's failure.
import { ErrorType } from '../../common/errors.js';
import { parseManifestLine, type ManifestExpect } from '../../common/manifest.js';
import type { CopyBatchInput } from '../../common/schemas.js';
import type { Bucket } from '../buckets/index.js';
import { FerryError, toApplicationFailure } from '../classify-error.js';
import { keyFilter } from '../listing/filter.js';
import { manifestLines, openManifest } from './read.js';

export interface ManifestSpan {
  /** The batch's names in manifest order (a bad line's name as written, possibly empty). */
  names: string[];
  /** What a position's line expects of its object; undefined when it states nothing. */
  expect(p: number): ManifestExpect | undefined;
  /** Throws the typed failure of a bad line at position `p`. */
  check(p: number): void;
}

export async function readManifestSpan(
  input: CopyBatchInput,
  openBucket: (uri: string) => Promise<Bucket>,
  signal: AbortSignal,
): Promise<ManifestSpan> {
  const span = input.manifest!;
  const accept = span.filter ? keyFilter(span.filter) : undefined;
  const names: string[] = [];
  const expects = new Map<number, ManifestExpect>();
  const problems = new Map<number, { problem: string; name: boolean }>();
  let line = span.line;
  try {
    const body = await openManifest(
      span.ref,
      { destination: input.destination, jobId: input.jobId, openBucket, signal },
      { start: span.start, end: span.end },
    );
    for await (const l of manifestLines(body, span.start, span.end)) {
      line++;
      const parsed = parseManifestLine(l.text);
      if (parsed.kind === 'skip') continue;
      if (parsed.kind === 'entry' && accept && !accept(parsed.name)) continue;
      const p = names.push(parsed.name) - 1;
      if (parsed.kind === 'bad')
        problems.set(p, {
          problem: `manifest line ${line}: ${parsed.problem}`,
          name: parsed.what === 'name',
        });
      else if (parsed.expect) expects.set(p, parsed.expect);
    }
  } catch (err) {
    throw toApplicationFailure(err);
  }
  return {
    names,
    expect: (p) => expects.get(p),
    check(p) {
      const bad = problems.get(p);
      if (bad) throw new FerryError(bad.name ? ErrorType.InvalidName : ErrorType.InvalidInput, bad.problem);
    },
  };
}
