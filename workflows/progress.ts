// What the job shows of itself: the progress query's snapshot, and publish() — the Temporal UI's current
// details (markdown) and the search attributes `ferry show job` filters by (upserted only when the state
// changes, so a busy job does not add an event per batch).
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { progressRates } from '../common/progress.js';
import { JobState, type JobOptions, type ObjectFailure, type Progress } from '../common/schemas.js';
import { FerryDestination, FerrySource, FerryState } from '../common/search-attributes.js';
import type { Ledger } from './ledger.js';

/** The job's live state: changed by its handlers and its window loop, read by progress() and publish(). */
export interface JobStatus {
  state: JobState;
  paused: boolean;
  stopRequested: boolean;
  /** Origin URL of a `directory` source's file server, once it serves. */
  servedUrl: string | undefined;
  /** copyBatch activities running. */
  inFlight: number;
}

/** What does not change during a run. */
export interface JobFacts {
  sourceText: string;
  destination: string;
  /** Positions in the index space. */
  space: number;
  startedAtMs: number;
  runs: number;
}

export class Publisher {
  private lastState: string | undefined;

  constructor(
    private readonly facts: JobFacts,
    private readonly status: JobStatus,
    private readonly opts: JobOptions,
    private readonly ledger: Ledger,
  ) {}

  /** The progress query's answer: finished batches only (the CLI adds what in-flight batches have done). */
  progress(): Progress {
    const { facts, status, ledger } = this;
    const elapsedMs = Date.now() - facts.startedAtMs;
    const rates = progressRates(ledger.totals, elapsedMs, facts.space);
    return {
      state: status.state,
      startedAtMs: facts.startedAtMs,
      total: facts.space,
      done: rates.done,
      totals: { ...ledger.totals },
      inFlightBatches: status.inFlight,
      maxConns: this.opts.maxConns,
      limitBph: this.opts.limitBph,
      elapsedMs,
      bytesPerSec: rates.bytesPerSec,
      objectsPerSec: rates.objectsPerSec,
      etaMs: rates.etaMs,
      source: facts.sourceText,
      destination: facts.destination,
      ...(status.servedUrl ? { servedUrl: status.servedUrl } : {}),
      recentFailures: ledger.failures.slice(-10),
      runs: facts.runs,
    };
  }

  /** Current details always; search attributes when the state changed since the last publish. */
  publish(): void {
    const { facts, status, ledger } = this;
    const { totals, failures } = ledger;
    const { space, sourceText, destination } = facts;
    const p = this.progress();
    const pct = space ? ((p.done / space) * 100).toFixed(1) : '100.0';
    setCurrentDetails(
      [
        `**${status.state}** — ${p.done.toLocaleString()} / ${space.toLocaleString()} objects (${pct}%)`,
        '',
        // The excluded column only for filtered jobs: details are no command, but keep old jobs' text as it was.
        ...table([
          ['copied', totals.copied],
          ['skipped', totals.skipped],
          ...(totals.excluded ? [['excluded', totals.excluded] as const] : []),
          ['failed', totals.failed],
          ['bytes', totals.bytes],
          ['in-flight batches', status.inFlight],
          ['max conns', this.opts.maxConns],
        ]),
        ...failureList(failures, totals.failed),
        '',
        `${sourceText} → ${destination}${status.servedUrl ? ` (origin ${status.servedUrl})` : ''}`,
        '',
        '_Counts finished batches; `ferry show job ID` adds what in-flight batches have done._',
      ].join('\n'),
    );
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      upsertSearchAttributes({
        [FerryState.name]: [status.state],
        [FerryDestination.name]: [destination],
        [FerrySource.name]: [sourceText.slice(0, 250)],
      });
    }
  }
}

/** How many failures the UI's current details list; the report has them all. */
const LISTED_FAILURES = 10;

/**
 * Failures in detail as a markdown table (object, error type, message), for the Web UI's current details:
 * before the job's closing line, so a person sees them without reading the result JSON. Cells are cut and
 * stripped of what would break the table (pipes, newlines, backticks).
 */
function failureList(failures: readonly ObjectFailure[], failed: number): string[] {
  if (failures.length === 0) return [];
  const cell = (s: string, max: number) => {
    const t = s.replace(/[|`\r\n]+/g, ' ').trim();
    return t.length > max ? `${t.slice(0, max - 1)}…` : t;
  };
  const shown = failures.slice(-LISTED_FAILURES);
  return [
    '',
    `**failures**: ${failed}${shown.length < failed ? ` (${shown.length} listed; the job's report has the rest)` : ''}`,
    '',
    '| object | error | message |',
    '|---|---|---|',
    ...shown.map((f) => `| \`${cell(f.name, 120)}\` | ${cell(f.type, 40)} | ${cell(f.message, 100)} |`),
  ];
}

/** The report's state for the job's final state. */
export function reportState(state: JobState): 'stopped' | 'completed-with-failures' | 'completed' {
  return state === JobState.Stopped
    ? 'stopped'
    : state === JobState.CompletedWithFailures
      ? 'completed-with-failures'
      : 'completed';
}

/** The state a finished job ends in. */
export function finalState(stopRequested: boolean, failed: number): JobState {
  return stopRequested ? JobState.Stopped : failed > 0 ? JobState.CompletedWithFailures : JobState.Completed;
}

/** A one-row Markdown table of named counts (the details' summary line). */
function table(cells: readonly (readonly [string, number])[]): string[] {
  return [
    `| ${cells.map(([h]) => h).join(' | ')} |`,
    `|${cells.map(() => '---|').join('')}`,
    `| ${cells.map(([, v]) => v).join(' | ')} |`,
  ];
}
