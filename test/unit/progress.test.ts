import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { progressRates } from '../../common/progress.js';
import type { Progress } from '../../common/schemas.js';
import { progressLine } from '../../client/progress.js';

function progress(state: string, done: number, total: number): Progress {
  return {
    state,
    startedAtMs: 0,
    total,
    done,
    totals: { copied: done, skipped: 0, failed: 0, bytes: 0 },
    inFlightBatches: 0,
    maxConns: 16,
    limitBph: 0,
    elapsedMs: 1000,
    bytesPerSec: 0,
    objectsPerSec: 0,
    etaMs: null,
    source: 'http://127.0.0.1:1/',
    destination: 'file:///tmp/b',
    recentFailures: [],
    runs: 1,
  };
}

describe('progressLine', () => {
  it('says the total is not known yet while an open job has counted nothing (not 100%)', () => {
    for (const state of ['running', 'paused', 'stopping']) {
      const line = progressLine(progress(state, 0, 0));
      assert.match(line, / -% 0\/\? /, line);
      assert.doesNotMatch(line, /100\.0%/, line);
    }
  });
  it('calls a closed job of 0 objects done', () => {
    assert.match(progressLine(progress('completed', 0, 0)), / 100\.0% 0\/0 /);
  });
  it('gives the share of a known total', () => {
    assert.match(progressLine(progress('running', 5, 10)), / 50\.0% 5\/10 /);
  });
});

describe('progressRates', () => {
  it('derives rates and ETA from totals and elapsed time', () => {
    const r = progressRates({ copied: 80, skipped: 20, failed: 5, bytes: 4000 }, 10_000, 205);
    assert.deepEqual(r, { done: 105, bytesPerSec: 400, objectsPerSec: 10, etaMs: 10_000 });
  });

  it('has no ETA before anything was copied or skipped (failures are not progress)', () => {
    const r = progressRates({ copied: 0, skipped: 0, failed: 3, bytes: 0 }, 5000, 10);
    assert.equal(r.done, 3);
    assert.equal(r.objectsPerSec, 0);
    assert.equal(r.etaMs, null);
  });

  it('counts an elapsed time under a millisecond as one (no division by zero)', () => {
    const r = progressRates({ copied: 1, skipped: 0, failed: 0, bytes: 10 }, 0, 2);
    assert.equal(r.objectsPerSec, 1000);
    assert.equal(r.bytesPerSec, 10_000);
    assert.equal(r.etaMs, 1);
  });

  it('says done when everything is done', () => {
    const r = progressRates({ copied: 10, skipped: 0, failed: 0, bytes: 10 }, 1000, 10);
    assert.equal(r.etaMs, 0);
  });

  it('never gives a negative ETA when counts pass the total', () => {
    // A client adding in-flight heartbeats to finished totals can count a just-finished batch twice.
    const r = progressRates({ copied: 58, skipped: 0, failed: 6, bytes: 10 }, 5000, 60);
    assert.equal(r.etaMs, 0);
  });
});
