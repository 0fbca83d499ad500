// common/lanes.ts: the batches in flight never hold more than --max-conns lanes together, whatever the window,
// and while maxConns ≥ window every window slot still gets a batch (the launch count is unchanged).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextLanes } from '../../common/lanes.js';

/** Fill a window of `window` slots with `maxConns`, then run `steps` random end-one/launch-one turns. */
function simulate(maxConns: number, window: number, steps: number, seed: number) {
  let rnd = seed;
  const next = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inFlight: number[] = [];
  let peak = 0;
  let minBatches = Infinity;
  const fill = () => {
    for (;;) {
      if (inFlight.length >= window) break;
      const held = inFlight.reduce((a, b) => a + b, 0);
      const l = nextLanes(maxConns, held, window - inFlight.length);
      if (l === 0) break;
      inFlight.push(l);
    }
    peak = Math.max(
      peak,
      inFlight.reduce((a, b) => a + b, 0),
    );
    minBatches = Math.min(minBatches, inFlight.length);
  };
  fill();
  for (let s = 0; s < steps; s++) {
    inFlight.splice(Math.floor(next() * inFlight.length), 1);
    fill();
  }
  return { peak, minBatches };
}

test('lanes in flight never exceed --max-conns, for every window', () => {
  for (let maxConns = 1; maxConns <= 40; maxConns++)
    for (let window = 1; window <= 16; window++) {
      const { peak, minBatches } = simulate(maxConns, window, 200, maxConns * 100 + window);
      assert.ok(peak <= maxConns, `maxConns ${maxConns} window ${window}: peak ${peak}`);
      assert.equal(minBatches, Math.min(window, maxConns), `maxConns ${maxConns} window ${window}: batches`);
    }
});

test('4 connections over a window of 3: 2, 1, 1 (not 2 + 2 + 2)', () => {
  assert.equal(nextLanes(4, 0, 3), 2);
  assert.equal(nextLanes(4, 2, 2), 1);
  assert.equal(nextLanes(4, 3, 1), 1);
  assert.equal(nextLanes(4, 4, 1), 0);
  // A 2-lane batch ends: the next one gets both.
  assert.equal(nextLanes(4, 2, 1), 2);
  // Lowered by `job set` below what is held: nothing launches until the batches in flight drain.
  assert.equal(nextLanes(2, 4, 1), 0);
});
