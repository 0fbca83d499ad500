// Temporal Schedules for `ferry job schedule ...` (commands/schedule.ts parses and checks; this file talks to
// the server through @temporalio/client's ScheduleClient). A schedule's action starts the job `job start`
// would start (start-job.ts workflowStartOf), its workflow ID the schedule's ID: Temporal appends each run's
// scheduled time, so every run is a job of its own (`ferry show job <id>-2026-11-30T02:00:00Z`).
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Backfill,
  type ScheduleHandle,
} from '@temporalio/client';
import { WorkflowType } from '../common/queues.js';
import { connect, type Connected } from './connection.js';
import { CLIError, EXIT, GrpcStatus, errorText, grpcCode } from './errors.js';
import { table } from './format.js';
import { noWorkerLine, workerPolls } from './job-state.js';
import type { NewJob } from './commands/job-start.js';
import { overlapName, type OverlapPolicy, type ScheduleParts } from './schedule-spec.js';
import { ensureDaemonWorker, prepareJob, workflowStartOf } from './start-job.js';
import { taskQueueOf } from './job-options.js';

/** What ferry keeps in a schedule's memo: the spec and job as typed, for `describe` and `list`. */
export interface FerryMemo {
  spec: string;
  command: string;
  /** `given` when the job's arguments had --skip-existing, `forced` when the schedule turned it on. */
  skipExisting: 'given' | 'forced';
}

export async function createSchedule(
  id: string,
  parts: ScheduleParts,
  job: NewJob,
  jobArgs: string[],
): Promise<number> {
  const given = job.input.options?.skipExisting === true;
  // Each run copies only what is new or changed: objects already in the bucket with the same size and source
  // ETag are skipped, whatever the job's own flags say.
  const prepared = await prepareJob({
    ...job.input,
    options: { ...job.input.options, skipExisting: true },
  });
  const { workflowType, ...start } = workflowStartOf(prepared, {
    taskQueue: job.opts.taskQueue,
    scheduleId: id,
  });
  const memo: FerryMemo = {
    spec: parts.specText,
    command: jobArgs.map(shellWord).join(' '),
    skipExisting: given ? 'given' : 'forced',
  };
  const log = (m: string) => console.error(m);
  const conn = await connect({ allowEmbedded: true, log });
  try {
    await conn.client.schedule
      .create({
        scheduleId: id,
        spec: parts.spec,
        action: { type: 'startWorkflow', workflowType, workflowId: id, ...start },
        policies: parts.policies,
        state: parts.state,
        memo: { ferry: memo },
      })
      .catch((err: unknown) => {
        if (err instanceof ScheduleAlreadyRunning)
          throw new CLIError(
            `schedule ${id} already exists: delete it first (\`ferry job schedule delete ${id}\`) or pick another ID`,
          );
        // The server parses cron lines and refuses the schedule, creating nothing; the SDK rethrows its
        // INVALID_ARGUMENT as a TypeError.
        if (err instanceof TypeError || grpcCode(err) === 3 /* INVALID_ARGUMENT */)
          throw new CLIError(`schedule ${id} refused by the server: ${firstLine(errorText(err))}`);
        throw err;
      });
    const d = await conn.client.schedule.getHandle(id).describe();
    console.log(id);
    console.log(
      `schedule ${id}: ${parts.specText}, overlap ${overlapName(d.policies.overlap)}, ` +
        `${d.state.paused ? 'paused' : `next run ${d.info.nextActionTimes[0]?.toISOString() ?? 'none'}`}; ` +
        `each run copies only what is new or changed (--skip-existing${given ? '' : ', forced on'})`,
    );
    console.log(`Run \`ferry job schedule describe ${id}\` to see its runs.`);
    await warnIfNoWorker(conn, start.taskQueue, log);
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

export async function listSchedules(o: { json: boolean }): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const rows: Record<string, string | boolean>[] = [];
    for await (const s of conn.client.schedule.list()) {
      if (s.action?.type !== 'startWorkflow' || s.action.workflowType !== WorkflowType.migration) continue;
      const memo = memoOf(s.memo);
      const last = s.info.recentActions.at(-1);
      rows.push({
        id: s.scheduleId,
        spec: memo?.spec ?? '-',
        paused: s.state.paused,
        note: s.state.note ?? '',
        lastRun: last?.action.workflow.workflowId ?? '',
        lastRunAt: last?.takenAt.toISOString() ?? '',
        nextRunAt: s.state.paused ? '' : (s.info.nextActionTimes[0]?.toISOString() ?? ''),
        job: memo?.command ?? '',
      });
    }
    rows.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    if (o.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log('no schedules');
    else
      console.log(
        table(
          ['SCHEDULE', 'SPEC', 'STATE', 'LAST RUN', 'NEXT RUN', 'JOB'],
          rows.map((r) => [
            String(r.id),
            String(r.spec),
            r.paused ? 'paused' : 'active',
            String(r.lastRun || '-'),
            String(r.nextRunAt || '-'),
            String(r.job).slice(0, 80),
          ]),
        ),
      );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

export type Control =
  | { op: 'pause' | 'unpause'; note?: string }
  | { op: 'trigger'; overlap?: OverlapPolicy }
  | { op: 'backfill'; start: Date; end: Date; overlap?: OverlapPolicy }
  | { op: 'delete' };

export async function controlSchedule(id: string, c: Control): Promise<number> {
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.schedule.getHandle(id);
    // describe() first: a missing schedule (or someone else's, not a ferry job) is one line, exit 1.
    const d = await describeFerrySchedule(conn, id);
    switch (c.op) {
      case 'pause':
        await handle.pause(c.note ?? 'paused with `ferry job schedule pause`');
        console.log(`schedule ${id} paused: no run starts until \`ferry job schedule unpause ${id}\``);
        break;
      case 'unpause': {
        await handle.unpause(c.note ?? 'unpaused with `ferry job schedule unpause`');
        const next = (await handle.describe()).info.nextActionTimes[0];
        console.log(`schedule ${id} unpaused: next run ${next?.toISOString() ?? 'none scheduled'}`);
        break;
      }
      case 'trigger': {
        // The SDK's default for a trigger is ALLOW_ALL; ferry keeps the schedule's policy, so a trigger never
        // starts a second sync of the same bucket beside a running one unless asked to.
        const overlap = c.overlap ?? d.policies.overlap;
        await handle.trigger(overlap);
        console.log(
          `schedule ${id}: run requested (overlap ${overlapName(overlap)}` +
            `${overlap === 'SKIP' ? ': none starts if a run is still going' : ''})`,
        );
        break;
      }
      case 'backfill': {
        const b: Backfill = { start: c.start, end: c.end, overlap: c.overlap ?? d.policies.overlap };
        await handle.backfill(b);
        console.log(
          `schedule ${id}: backfill requested of the runs due from ${c.start.toISOString()} to ${c.end.toISOString()} (overlap ${overlapName(b.overlap)})`,
        );
        break;
      }
      case 'delete': {
        await handle.delete();
        const running = d.info.runningActions.map((a) => a.workflow.workflowId);
        console.log(
          `schedule ${id} deleted` +
            (running.length
              ? `; still running: ${running.join(', ')} (stop with \`ferry job stop ID\`)`
              : ''),
        );
        break;
      }
    }
    return EXIT.ok;
  } catch (err) {
    throw notFound(err, id);
  } finally {
    await conn.close();
  }
}

/** describe(), refusing a missing schedule or one that is not a ferry job's with one line, exit 1. */
export async function describeFerrySchedule(conn: Connected, id: string) {
  let d;
  try {
    d = await conn.client.schedule.getHandle(id).describe();
  } catch (err) {
    throw notFound(err, id);
  }
  if (d.action.type !== 'startWorkflow' || d.action.workflowType !== WorkflowType.migration)
    throw new CLIError(`schedule ${id} is not a ferry schedule (its action is not a ferry job)`, EXIT.error);
  return d;
}

export function memoOf(memo: Record<string, unknown> | undefined): FerryMemo | undefined {
  const m = memo?.ferry as Partial<FerryMemo> | undefined;
  return m && typeof m.spec === 'string' ? (m as FerryMemo) : undefined;
}

export type { ScheduleHandle };

// --- internal ---
function notFound(err: unknown, id: string): unknown {
  if (err instanceof ScheduleNotFoundError || grpcCode(err) === GrpcStatus.NOT_FOUND)
    return new CLIError(
      `schedule ${id} not found (\`ferry job schedule list\` shows the schedules)`,
      EXIT.error,
    );
  return err;
}

/** Runs wait for a worker; in embedded mode one is started, as `job start` does. */
async function warnIfNoWorker(conn: Connected, taskQueue: string, log: (m: string) => void) {
  if (conn.embedded && taskQueue === taskQueueOf({})) return ensureDaemonWorker(log);
  if (!(await workerPolls(conn, taskQueue).catch(() => true)))
    console.error(`ferry: warning: ${noWorkerLine(taskQueue)}; the runs wait for one`);
}

function shellWord(w: string): string {
  return /^[\w@%+=:,./{}*-]+$/.test(w) && !/[*{]/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function firstLine(s: string): string {
  return s.split(/\n| \| /, 1)[0]!.trim();
}
