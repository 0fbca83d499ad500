import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { sliceSpace, spaceSize, type IndexRanges, type SpaceSlice } from '../../common/index-space.js';

describe('index space', () => {
  it('sizes a space as the sum of its ranges', () => {
    assert.equal(spaceSize([[0, 100]]), 100);
    assert.equal(
      spaceSize([
        [3, 5],
        [10, 11],
        [20, 30],
      ]),
      13,
    );
    assert.equal(spaceSize([]), 0);
  });

  const table: [label: string, ranges: IndexRanges, pos: number, size: number, want: SpaceSlice][] = [
    ['one range: a contiguous slice', [[0, 100]], 10, 20, { start: 10, end: 30 }],
    ['one range: cut at its end', [[0, 100]], 90, 20, { start: 90, end: 100 }],
    ['one offset range (a resume of one range)', [[50, 60]], 2, 5, { start: 52, end: 57 }],
    ['one range, past its end: nothing', [[0, 10]], 10, 5, { indexes: [] }],
    [
      'several ranges: explicit indexes across them',
      [
        [3, 5],
        [10, 11],
        [20, 30],
      ],
      1,
      4,
      { indexes: [4, 10, 20, 21] },
    ],
    [
      'several ranges: a slice starting in a later range',
      [
        [3, 5],
        [10, 11],
        [20, 30],
      ],
      3,
      3,
      { indexes: [20, 21, 22] },
    ],
    [
      'several ranges: cut at the end of the space',
      [
        [0, 2],
        [5, 7],
      ],
      2,
      10,
      { indexes: [5, 6] },
    ],
    ['no ranges: nothing', [], 0, 5, { indexes: [] }],
  ];
  for (const [label, ranges, pos, size, want] of table) {
    it(label, () => assert.deepEqual(sliceSpace(ranges, pos, size), want));
  }

  it('walks a multi-range space batch by batch without gaps or repeats', () => {
    const ranges: IndexRanges = [
      [0, 7],
      [9, 9],
      [12, 40],
      [41, 42],
    ];
    const seen: number[] = [];
    for (let pos = 0; pos < spaceSize(ranges); pos += 5) {
      const s = sliceSpace(ranges, pos, 5);
      assert.ok('indexes' in s);
      seen.push(...s.indexes);
    }
    const want = ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
    assert.deepEqual(seen, want);
  });
});
