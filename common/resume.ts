// Resume policy, as data in → plan out. `ferry job resume ID` reads the job's newest run (its status, input
// and report) and runs what resumePlan says; the rules live here so they are unit-tested without a server:
//   running (paused or not)          → unpause it
//   completed, no failures           → nothing to do
//   completed with failures, all of them known by index → a new run over exactly the failed indexes
//   stopped / failed / terminated / failures only counted → a new run over the whole job with --skip-existing,
//                                      so only what is missing or different is copied
import { compactRanges } from './ranges.js';
import { JobOptionsSchema, type MigrationInput, type MigrationReport } from './schemas.js';

export interface ResumeFacts {
  /** Temporal execution status name of the job's newest run (`RUNNING`, `COMPLETED`, `FAILED`, ...). */
  status: string;
  /** That run's input, as recorded in its history; undefined when it could not be read. */
  input: MigrationInput | undefined;
  /** The run's report, when it completed. */
  report?: MigrationReport | undefined;
}

export type ResumePlan =
  | { action: 'unpause' }
  | { action: 'nothing'; reason: string }
  | { action: 'refuse'; reason: string }
  | {
      action: 'restart';
      /** `failed-only`: exactly the failed indexes; `skip-existing`: the whole job, copying what is missing. */
      mode: 'failed-only' | 'skip-existing';
      /** The new run's input: the previous one without its carried state, options adjusted. */
      input: MigrationInput;
      /** Objects the new run covers when known (failed-only); undefined = the whole job. */
      objects?: number;
      /** One line for the user: what the new run copies. */
      note: string;
    };

export function resumePlan(facts: ResumeFacts): ResumePlan {
  if (facts.status === 'RUNNING') return { action: 'unpause' };
  const r = facts.status === 'COMPLETED' ? facts.report : undefined;
  if (r?.state === 'completed') return { action: 'nothing', reason: 'already completed with no failures' };
  if (!facts.input) return { action: 'refuse', reason: 'cannot read its input from history' };
  const { carry: _carry, ...base } = facts.input;
  const options = { ...(base.options ?? {}) };
  if (r?.state === 'completed-with-failures' && failuresComplete(r)) {
    const ranges = failedIndexRanges(r);
    // A job with failures scattered over more ranges than a workflow input may carry walks the whole job.
    if (JobOptionsSchema.shape.onlyIndexes.safeParse(ranges).success) {
      const objects = ranges.reduce((a, [s, e]) => a + e - s, 0);
      return {
        action: 'restart',
        mode: 'failed-only',
        input: { ...base, options: { ...options, onlyIndexes: ranges, skipExisting: false } },
        objects,
        note: `retrying the ${objects} failed objects`,
      };
    }
  }
  delete options.onlyIndexes;
  return {
    action: 'restart',
    mode: 'skip-existing',
    input: { ...base, options: { ...options, skipExisting: true } },
    note: 'copying what is missing or different (skip-existing)',
  };
}

/**
 * Whether every failed object is known by index: in detail (`failures`, whose synthetic `#...` entries
 * stand for groups, except `#<index>`) or in `failedRanges` beyond the detail cap.
 */
export function failuresComplete(r: MigrationReport): boolean {
  const recorded = r.failures.filter((f) => !f.name.startsWith('#') || /^#\d+$/.test(f.name)).length;
  const inRanges = r.failedRanges.reduce((a, [s, e]) => a + e - s, 0);
  return r.totals.failed > 0 && recorded + inRanges >= r.totals.failed;
}

/** The failed indexes of a report as sorted, merged [start, end) ranges. */
export function failedIndexRanges(r: MigrationReport): [number, number][] {
  return compactRanges([
    ...r.failures.map((f): [number, number] => [f.index, f.index + 1]),
    ...r.failedRanges,
  ]);
}
