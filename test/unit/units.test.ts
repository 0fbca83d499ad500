import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { InputError } from '../../common/errors.js';
import { UnitError, UnitErrorCode, formatSize, parseDuration, parseSize } from '../../common/units.js';

const KiB = 1024;
const MiB = KiB ** 2;
const GiB = KiB ** 3;
const TiB = KiB ** 4;

const sizes: [text: string, bytes: number][] = [
  ['0', 0],
  ['1048576', MiB],
  ['512B', 512],
  ['512 b', 512],
  // The two families, side by side: the `i` decides, not the case.
  ['1KiB', KiB],
  ['1KB', 1000],
  ['1kib', KiB],
  ['1kb', 1000],
  ['16MiB', 16 * MiB],
  ['16MB', 16_000_000],
  ['100GiB', 100 * GiB],
  ['100GB', 100e9],
  ['100gb', 100e9],
  ['2TiB', 2 * TiB],
  ['2TB', 2e12],
  ['  16 MiB  ', 16 * MiB],
  // Fractions are exact and rounded down to whole bytes.
  ['1.5GiB', 1.5 * GiB],
  ['1.1KB', 1100],
  ['1.1KiB', 1126],
  ['0.5KiB', 512],
  ['0.0001KB', 0],
  ['8191TiB', 8191 * TiB],
];

const badSizes: [text: string, detail: RegExp][] = [
  ['', /is not a size: use e\.g\. 16MiB \(binary\) or 16MB \(decimal\)/],
  ['   ', /is not a size/],
  ['12 parsecs', /is not a size \(unknown unit "parsecs"\)/],
  ['MiB', /is not a size/],
  ['-1', /is negative/],
  ['-5MiB', /is negative/],
  ['1.5', /fraction of a byte/],
  ['1.5B', /fraction of a byte/],
  ['16M', /is ambiguous: write 16MiB \(binary\) or 16MB \(decimal\)/],
  ['1g', /is ambiguous: write 1GiB/],
  ['1e9', /is not a size/],
  ['1,000', /is not a size/],
  ['1_000', /is not a size/],
  ['.5MiB', /is not a size/],
  ['5.MiB', /is not a size/],
  ['0x10', /is not a size/],
  ['16 Mbit', /unknown unit "Mbit"/],
  ['9PiB', /unknown unit "PiB"/],
  ['8192TiB', /is too large/],
];

void describe('parseSize', () => {
  for (const [text, bytes] of sizes)
    void it(`${JSON.stringify(text)} = ${bytes}`, () => assert.equal(parseSize(text), bytes));

  for (const [text, detail] of badSizes)
    void it(`${JSON.stringify(text)} is rejected`, () => {
      assert.throws(
        () => parseSize(text),
        (err: unknown) => {
          assert.ok(err instanceof UnitError);
          assert.ok(err instanceof InputError);
          assert.equal(err.name, 'UnitError');
          assert.equal(err.code, UnitErrorCode.BadSize);
          assert.equal(err.type, 'InvalidInput');
          assert.equal(err.input, text);
          assert.match(err.detail, detail);
          assert.equal(err.message, `${JSON.stringify(text)} ${err.detail}`);
          return true;
        },
      );
    });

  void it('--limit-bph 100GB and 100GiB differ by the unit family only', () => {
    assert.equal(parseSize('100GB'), 100 * 10 ** 9);
    assert.equal(parseSize('100GiB'), 100 * 2 ** 30);
  });
});

void describe('formatSize', () => {
  const cases: [bytes: number, text: string, decimal?: boolean][] = [
    [0, '0B'],
    [1023, '1023B'],
    [KiB, '1KiB'],
    [16 * MiB, '16MiB'],
    [1.5 * GiB, '1.5GiB'],
    [GiB + 1, '1GiB'],
    [1.333 * GiB, '1.33GiB'],
    [MiB - 1, '1MiB'],
    [100e9, '100GB', true],
    [16_000_000, '16MB', true],
    [Number.NaN, '-'],
  ];
  for (const [bytes, text, decimal] of cases)
    void it(`${bytes}${decimal ? ' (decimal)' : ''} -> ${text}`, () =>
      assert.equal(formatSize(bytes, { decimal: decimal === true }), text));

  void it('round-trips what parseSize took in, in both families', () => {
    for (const text of ['4MiB', '64MiB', '100GiB', '3TiB', '1.5GiB', '5MB', '100GB', '2TB']) {
      const decimal = !/iB$/.test(text);
      assert.equal(formatSize(parseSize(text), { decimal }), text);
    }
  });
});

void describe('parseDuration', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['250', 250],
    ['250ms', 250],
    ['10s', 10_000],
    ['10 S', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
  ];
  for (const [text, ms] of ok) void it(`${text} = ${ms} ms`, () => assert.equal(parseDuration(text), ms));

  for (const text of ['', '-1', '1.5s', '10 sec', 'soon', '1d'])
    void it(`${JSON.stringify(text)} is rejected`, () =>
      assert.throws(
        () => parseDuration(text),
        (err: unknown) =>
          err instanceof UnitError &&
          err.code === UnitErrorCode.BadDuration &&
          /is not a duration: use whole milliseconds/.test(err.message),
      ));
});
