// A job's index space: the template's (or list's) indexes [0, total), or on a resume only the ranges of
// `onlyIndexes`, concatenated. The workflow walks it by position (0 … size-1); a batch is a slice of positions
// mapped back onto indexes — a contiguous range when the space is one range, explicit indexes otherwise.

/** Half-open ranges [start, end) of indexes, in order. */
export type IndexRanges = readonly (readonly [number, number])[];

/** Positions in the space: the sum of the ranges' lengths. */
export function spaceSize(ranges: IndexRanges): number {
  return ranges.reduce((n, [a, b]) => n + (b - a), 0);
}

/** A slice of the space: one contiguous index range, or explicit indexes. */
export type SpaceSlice = { start: number; end: number } | { indexes: number[] };

/**
 * Positions [pos, pos+size) of the concatenated ranges as indexes. A single-range space gives a contiguous range
 * (cut at the range's end); a multi-range space gives the indexes one by one (at most `size` of them).
 */
export function sliceSpace(ranges: IndexRanges, pos: number, size: number): SpaceSlice {
  let p = pos;
  const out: number[] = [];
  for (const [a, b] of ranges) {
    const len = b - a;
    if (p >= len) {
      p -= len;
      continue;
    }
    if (ranges.length === 1) return { start: a + p, end: Math.min(b, a + p + size) };
    for (let i = a + p; i < b && out.length < size; i++) out.push(i);
    p = 0;
    if (out.length >= size) break;
  }
  return { indexes: out };
}
