// Rows for failed objects that no batch wrote a row for: a batch that failed as a whole (its retries ran out on
// an untyped error, or its worker never got far enough to write) or one out of retries with objects it never
// started. The ledger keeps their indexes as failed ranges (the finished job's report); the report names them
// from the source where the names can be computed (templates, object lists) and as `#<index>` otherwise (a
// listing's names are known only to a walk of its span).
import type { MigrationInput } from '../common/schemas.js';
import type { ReportRow } from '../common/report.js';
import { parseTemplate } from '../common/template.js';
import { ErrorType } from '../common/errors.js';

/** index → name for the job's source, when names follow from the input alone. */
export function sourceNamer(input: MigrationInput): (i: number) => string {
  const s = input.source;
  try {
    if (s.kind === 'list') return (i) => s.names[i] ?? `#${i}`;
    if (s.kind === 'template' || s.kind === 'directory') {
      const t = parseTemplate(s.template, {
        ...(input.options?.maxNames ? { maxNames: input.options.maxNames } : {}),
        ...(s.fmt ? { fmt: { start: s.fmt.start ?? 0, end: s.fmt.end, step: s.fmt.step ?? 1 } } : {}),
      });
      return (i) => (i < t.count ? t.nameAt(i) : `#${i}`);
    }
  } catch {
    // an input this release cannot parse: indexes only
  }
  return (i) => `#${i}`;
}

/**
 * `rows` (in index order) with a failed row added for every index of `ranges` (sorted, merged) that has none.
 * Memory: the ranges only.
 */
export async function* fillGaps(
  rows: AsyncIterable<ReportRow>,
  ranges: readonly (readonly [number, number])[],
  nameOf: (i: number) => string,
): AsyncGenerator<ReportRow> {
  let k = 0;
  let next = ranges[0]?.[0] ?? Infinity;
  const gap = (i: number): ReportRow => ({
    index: i,
    name: nameOf(i),
    outcome: 'failed',
    errorType: ErrorType.BatchFailed,
    retryable: true,
    message: 'its batch ended without a row for it (failed as a whole, or out of retries before starting it)',
  });
  // Emit gap rows for indexes below `upTo`, skipping `skip` (an index that has its own row).
  const emitBelow = function* (upTo: number, skip: number): Generator<ReportRow> {
    while (k < ranges.length && next < upTo) {
      const end = ranges[k]![1];
      if (next !== skip) yield gap(next);
      next++;
      if (next >= end) {
        k++;
        next = Math.max(next, ranges[k]?.[0] ?? Infinity);
      }
    }
  };
  for await (const r of rows) {
    yield* emitBelow(r.index, -1);
    if (next === r.index) yield* emitBelow(r.index + 1, r.index);
    yield r;
  }
  yield* emitBelow(Infinity, -1);
}
