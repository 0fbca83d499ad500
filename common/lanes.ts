// How many lanes (origin connections) the next copy batch of a job gets. Pure and workflow-safe.
//
// `--max-conns` is a promise about the whole job: the batches in flight together never hold more. Giving every
// batch ceil(maxConns / window) broke it whenever window does not divide maxConns (4 over a window of 3:
// 2 + 2 + 2 = 6). Instead each batch takes its share of what is still free, spread over the batches that may
// still launch to share it: 4 over 3 slots is 2, then 1, then 1; when the 2-lane batch ends, the next gets 2.
// While maxConns ≥ the slots left, every slot gets at least one lane (free − ceil(free/slots) ≥ slots − 1), so
// the window launches exactly as many batches as before; with maxConns below the window, only maxConns
// batches run at once (one lane each).

/** The gate of workflows/window.ts and listing-job.ts: recorded histories without it replay the old split. */
export const LANE_BUDGET_PATCH = 'lane-budget-v1';

/**
 * Lanes for the next batch: at least 1 and at most ceil(free / slots) of `free = maxConns − lanesInFlight`;
 * 0 when nothing is free (launch nothing now).
 */
export function nextLanes(maxConns: number, lanesInFlight: number, slots: number): number {
  const free = maxConns - lanesInFlight;
  if (free <= 0) return 0;
  return Math.min(free, Math.ceil(free / Math.max(1, slots)));
}
