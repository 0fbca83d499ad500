import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';

import { encodeBitset, newBitset, setBit } from '../../common/bitset.js';
import { ErrorType } from '../../common/errors.js';
import { zeroTotals, type CopyBatchInput } from '../../common/schemas.js';
import { FAILURE_SAMPLE, Ledger, MAX_FAILURE_DETAILS } from '../../workflows/ledger.js';

const batch: CopyBatchInput = {
  jobId: 'j',
  baseUrl: 'http://origin/',
  maxNames: 100,
  start: 10,
  end: 20,
  destination: 'file:///b',
  concurrency: 1,
  skipExisting: false,
  limitBps: 0,
};
const fresh = () => new Ledger({ totals: zeroTotals(), failures: [], failedRanges: [] });
const activityFailure = (cause: Error) =>
  new ActivityFailure('activity failed', 'copyBatch', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, '', cause);

describe('Ledger.recordBatchFailure', () => {
  it('keeps what a batch out of retries finished and reports the rest', () => {
    const done = newBitset(10);
    for (const p of [0, 1, 2, 3, 4, 5, 6]) setBit(done, p);
    const transient = [{ index: 17, name: 'o17', type: 'NetworkError', message: 'reset', retryable: true }];
    const details = {
      done: encodeBitset(done),
      totals: { copied: 7, skipped: 0, failed: 0, bytes: 70 },
      failures: [],
      transient,
    };
    const l = fresh();
    const app = ApplicationFailure.create({
      type: ErrorType.BatchIncomplete,
      message: 'x',
      details: [details],
    });
    l.recordBatchFailure(activityFailure(app), batch, []);
    assert.deepEqual(l.totals, { copied: 7, skipped: 0, failed: 3, bytes: 70 });
    assert.deepEqual(l.failures, transient);
    // 3 not done, 1 named: the batch's range stands for the rest.
    assert.deepEqual(l.failedRanges, [[10, 20]]);
  });

  it('reports a whole batch when BatchIncomplete details do not parse (never a TypeError)', () => {
    const l = fresh();
    const app = ApplicationFailure.create({
      type: ErrorType.BatchIncomplete,
      message: 'odd details',
      details: [{ done: 42 }],
    });
    l.recordBatchFailure(activityFailure(app), batch, []);
    assert.equal(l.totals.failed, 10);
    assert.deepEqual(l.failedRanges, [[10, 20]]);
    assert.equal(l.failures[0]?.type, ErrorType.BatchIncomplete);
  });

  it('counts what a cancelled batch finished, and ignores a checkpoint that does not parse', () => {
    const done = newBitset(10);
    setBit(done, 0);
    const cp = {
      done: encodeBitset(done),
      totals: { copied: 1, skipped: 0, failed: 0, bytes: 5 },
      failures: [],
    };
    const l = fresh();
    l.recordBatchFailure(activityFailure(new CancelledFailure('stop', [cp])), batch, []);
    assert.deepEqual(l.totals, { copied: 1, skipped: 0, failed: 0, bytes: 5 });
    l.recordBatchFailure(activityFailure(new CancelledFailure('stop', ['garbage'])), batch, []);
    assert.deepEqual(l.totals, { copied: 1, skipped: 0, failed: 0, bytes: 5 });
  });

  it('names each index of a failed batch with explicit indexes, as BatchFailed without a type', () => {
    const l = fresh();
    l.recordBatchFailure(new Error('boom'), { ...batch, start: 0, end: 8, indexes: [3, 7] }, [3, 7]);
    assert.equal(l.totals.failed, 2);
    assert.deepEqual(
      l.failures.map((f) => [f.index, f.type]),
      [
        [3, ErrorType.BatchFailed],
        [7, ErrorType.BatchFailed],
      ],
    );
  });
});

describe('Ledger.recordBatchFailure: retryable follows the cause', () => {
  it('a batch failed as a whole on a non-retryable cause reports its range as not retryable', () => {
    const l = fresh();
    const app = ApplicationFailure.create({
      type: ErrorType.DestinationFull,
      message: 'no space left on device',
      nonRetryable: true,
    });
    l.recordBatchFailure(activityFailure(app), batch, []);
    assert.deepEqual(
      l.failures.map((f) => [f.name, f.type, f.retryable]),
      [['#10..#19', ErrorType.DestinationFull, false]],
    );
    assert.deepEqual(l.failedRanges, [[10, 20]]);
  });
  it('a batch out of retries on a retryable cause, or on an untyped error, stays retryable', () => {
    const l = fresh();
    const app = ApplicationFailure.create({ type: 'NetworkError', message: 'reset' });
    l.recordBatchFailure(activityFailure(app), batch, []);
    l.recordBatchFailure(new Error('boom'), { ...batch, start: 0, end: 8, indexes: [3] }, [3]);
    assert.deepEqual(
      l.failures.map((f) => [f.name, f.retryable]),
      [
        ['#10..#19', true],
        ['#3', true],
      ],
    );
  });
});

describe('Ledger failure sample', () => {
  const fail = (i: number) => ({
    index: i,
    name: `o${i}`,
    type: 'SourceNotFound',
    message: '404',
    retryable: false,
  });
  it('keeps a sample of named failures and every other index as ranges; history does not grow with names', () => {
    const l = new Ledger({ totals: zeroTotals(), failures: [], failedRanges: [] }, () => true);
    // Batches name a sample (10) and hand the rest as ranges, as copyBatch does.
    for (let b = 0; b < 20; b++) {
      const start = b * 256;
      const named = Array.from({ length: 10 }, (_, k) => fail(start + 2 * k));
      l.merge({ copied: 128, skipped: 0, failed: 128, bytes: 0 }, named, [[start + 20, start + 256]]);
    }
    assert.equal(l.failures.length, FAILURE_SAMPLE);
    const r = l.report();
    const inRanges = r.failedRanges.reduce((a, [s, e]) => a + e - s, 0);
    assert.equal(r.failures.length, 100);
    assert.ok(inRanges >= 20 * 236, `${inRanges} indexes in ranges`);
    assert.ok(r.failedRanges.length <= 120, `${r.failedRanges.length} ranges`);
  });
  it('a job whose history predates the patch keeps 1,000 details, as it did', () => {
    let asked = 0;
    const l = new Ledger({ totals: zeroTotals(), failures: [], failedRanges: [] }, () => (asked++, false));
    for (let i = 0; i < 1500; i++) l.record(fail(i));
    assert.equal(l.failures.length, MAX_FAILURE_DETAILS);
    assert.deepEqual(l.compactFailedRanges(), [[1000, 1500]]);
    assert.equal(asked, 1, 'the patch is asked once, when the sample is full');
  });
});
