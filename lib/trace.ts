// FERRY_TRACE=1: the CLI prints when each phase of a command starts, in seconds since the process started, to
// stderr — for finding where a slow start or a slow exit goes (used while tuning `job start --wait`).
import { ferryEnv } from './env.js';

// Read at the first call, not at import: a malformed FERRY_TRACE must surface as the CLI's one-line ConfigError,
// not as a stack trace while modules load.
let on: boolean | undefined;

export function trace(phase: string): void {
  on ??= ferryEnv().trace();
  if (on) console.error(`[ferry ${(performance.now() / 1000).toFixed(3)}s] ${phase}`);
}
