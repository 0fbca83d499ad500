// FERRY_TRACE=1: the CLI prints when each phase of a command starts, in seconds since the process started, to
// stderr — for finding where a slow start or a slow exit goes (used while tuning `job start --wait`).
const on = process.env.FERRY_TRACE === '1';

export function trace(phase: string): void {
  if (on) console.error(`[ferry ${(performance.now() / 1000).toFixed(3)}s] ${phase}`);
}
