// Half-open index ranges [start, end): how failed objects are kept compactly in reports and resumes.

/** Sort and merge overlapping or touching ranges. */
export function compactRanges(rs: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...rs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
