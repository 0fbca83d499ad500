// `ferry job schedule describe ID`: the schedule as the server holds it (spec, overlap policy, state, next run
// times, counters) and its recent runs, each read as a job: the report's totals once it finished, the state
// it last published while it runs. Reads only: never waits on a worker (a running run's query is not made).
import type { Connected } from './connection.js';
import { connect } from './connection.js';
import { EXIT } from './errors.js';
import { humanBytes, humanDuration, table } from './format.js';
import { describeFerrySchedule, memoOf } from './schedule.js';
import { overlapName } from './schedule-spec.js';
import { FerryState } from '../common/search-attributes.js';
import { describeSource } from '../common/source.js';
import { MigrationInputSchema, type MigrationReport, type Totals } from '../common/schemas.js';

/** How many next run times describe shows. */
const NEXT_RUNS = 3;

export interface RecentRun {
  workflowId: string;
  scheduledAt: string;
  startedAt: string;
  /** running, completed, completed-with-failures, stopped, failed, terminated, ... */
  outcome: string;
  totals?: Totals;
  total?: number;
  durationMs?: number;
}

export async function describeSchedule(id: string, o: { json: boolean }): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const d = await describeFerrySchedule(conn, id);
    const memo = memoOf(d.memo);
    const action = d.action.type === 'startWorkflow' ? d.action : undefined;
    const input = MigrationInputSchema.safeParse(action?.args?.[0]);
    const recent = await Promise.all(
      d.info.recentActions.map((a) =>
        runOf(conn, a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId, {
          scheduledAt: a.scheduledAt,
          takenAt: a.takenAt,
        }),
      ),
    );
    const view = {
      id,
      spec: memo?.spec ?? specText(d.spec),
      overlap: overlapName(d.policies.overlap),
      catchupWindowMs: d.policies.catchupWindow,
      pauseOnFailure: d.policies.pauseOnFailure,
      paused: d.state.paused,
      note: d.state.note ?? '',
      skipExisting: memo?.skipExisting ?? 'forced',
      job: memo?.command ?? '',
      source: input.success ? describeSource(input.data.source) : '',
      destination: input.success ? input.data.destination : '',
      taskQueue: action?.taskQueue ?? '',
      workflowIdPrefix: action?.workflowId ?? id,
      nextRuns: (d.state.paused ? [] : d.info.nextActionTimes.slice(0, NEXT_RUNS)).map((t) =>
        t.toISOString(),
      ),
      runsTaken: d.info.numActionsTaken,
      skippedOverlap: d.info.numActionsSkippedOverlap,
      missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      running: d.info.runningActions.map((a) => a.workflow.workflowId),
      createdAt: d.info.createdAt.toISOString(),
      recentRuns: recent,
    };
    if (o.json) {
      console.log(JSON.stringify(view, null, 2));
      return EXIT.ok;
    }
    console.log(
      table(
        ['PROPERTY', 'VALUE'],
        [
          ['schedule', id],
          ['spec', view.spec],
          [
            'overlap',
            `${view.overlap}${view.overlap === 'skip' ? ' (no run starts while the previous one is still going)' : ''}`,
          ],
          ['catch-up window', spanText(view.catchupWindowMs)],
          ['state', view.paused ? `paused${view.note ? ` (${view.note})` : ''}` : 'active'],
          [
            'skip-existing',
            `${view.skipExisting === 'given' ? 'on' : 'forced on'}: each run copies only what is new or changed`,
          ],
          ['job', view.job || '-'],
          ['source', view.source || '-'],
          ['destination', view.destination || '-'],
          ['task queue', view.taskQueue],
          [
            'run IDs',
            `${view.workflowIdPrefix}-<scheduled time> (all: ferry show job --all --schedule ${id})`,
          ],
          ['created', view.createdAt],
          [
            'runs',
            `${view.runsTaken} taken, ${view.skippedOverlap} skipped (overlap), ${view.missedCatchupWindow} missed (catch-up window)`,
          ],
          ...(view.running.length ? [['running', view.running.join(', ')]] : []),
          ...(view.nextRuns.length
            ? view.nextRuns.map((t, i) => [i === 0 ? 'next runs' : '', t])
            : [['next runs', view.paused ? 'none while paused' : 'none']]),
        ],
      ),
    );
    console.log('');
    console.log(
      recent.length
        ? table(
            ['RECENT RUN (JOB ID)', 'STARTED', 'OUTCOME', 'COPIED', 'SKIPPED', 'FAILED', 'BYTES', 'TOOK'],
            recent.map((r) => [
              r.workflowId,
              r.startedAt,
              r.outcome,
              ...(r.totals
                ? [
                    String(r.totals.copied),
                    String(r.totals.skipped),
                    String(r.totals.failed),
                    humanBytes(r.totals.bytes),
                    humanDuration(r.durationMs),
                  ]
                : ['-', '-', '-', '-', '-']),
            ]),
          )
        : 'no runs yet',
    );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

// --- internal ---
async function runOf(
  conn: Connected,
  workflowId: string,
  runId: string,
  at: { scheduledAt: Date; takenAt: Date },
): Promise<RecentRun> {
  const base = { workflowId, scheduledAt: at.scheduledAt.toISOString(), startedAt: at.takenAt.toISOString() };
  try {
    // The newest execution under that ID, if it belongs to this run's chain (continue-as-new, `job resume`
    // reuses the ID too); a trigger and a backfill can give two runs the same ID, one after the other.
    const latest = conn.client.workflow.getHandle(workflowId);
    const desc = await latest.describe();
    const ours = !runId || desc.raw.workflowExecutionInfo?.firstRunId === runId;
    const status = ours ? desc.status.name : 'COMPLETED';
    if (status === 'RUNNING')
      return { ...base, outcome: desc.typedSearchAttributes.get(FerryState) ?? 'running' };
    if (status !== 'COMPLETED') return { ...base, outcome: status.toLowerCase() };
    // Closed: result() answers at once, following the chain from its first run to its last.
    const handle = ours
      ? latest
      : conn.client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId: runId });
    try {
      const r = (await handle.result()) as MigrationReport;
      return { ...base, outcome: r.state, totals: r.totals, total: r.total, durationMs: r.durationMs };
    } catch (err) {
      return {
        ...base,
        outcome: (err as { name?: string }).name === 'WorkflowFailedError' ? 'failed' : 'unknown',
      };
    }
  } catch {
    // Gone from the server (retention) or not readable: the run is still listed, its outcome unknown.
    return { ...base, outcome: runId ? 'unknown (no longer on the server)' : 'unknown' };
  }
}

/** A policy's span: whole days as days (the default catch-up window is 365d), else as humanDuration. */
function spanText(ms: number): string {
  return ms > 0 && ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : humanDuration(ms);
}

/** A spec without ferry's memo (created by another tool): its intervals, or "calendar". */
function specText(spec: { intervals?: { every: unknown }[]; calendars?: unknown[] }): string {
  const parts = (spec.intervals ?? []).map((i) => `every ${humanDuration(Number(i.every))}`);
  if (spec.calendars?.length) parts.push(`${spec.calendars.length} calendar spec(s)`);
  return parts.join(' + ') || '-';
}
