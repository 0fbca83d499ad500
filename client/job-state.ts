// What the server knows about a job, read without ever waiting on a worker: describe(), the task queue's
// pollers, pending activities with their last heartbeat, and the search attributes the workflow publishes.
// A query (which only a worker answers) is issued only when a worker polls the job's queue, and with a short
// deadline; with no worker the CLI says so in one line instead of hanging on the query.
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { readCheckpoint } from '../common/checkpoint.js';
import { progressRates } from '../common/progress.js';
import { QueryName } from '../common/queues.js';
import type { Progress, Totals } from '../common/schemas.js';
import { FerryDestination, FerrySource, FerryState } from '../common/search-attributes.js';
import type { Connected } from './connection.js';
import { CLIError, EXIT } from './errors.js';

/** A query gets this long: a worker that polls answers in milliseconds; one that does not never will. */
export const QUERY_DEADLINE_MS = 3000;
/**
 * A poller last seen longer ago than this is gone: live workers long-poll about once a minute, while the server
 * lists a poller for minutes after its last poll.
 */
const POLLER_FRESH_MS = 90_000;
/** temporal.api.enums.v1 values (the proto package is not a direct dependency). */
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE = { workflow: 1, activity: 2 } as const;

export interface PendingActivity {
  type: string;
  attempt: number;
  /** Epoch ms of the last heartbeat, if any. */
  lastHeartbeatMs?: number;
  /** What the attempt's last heartbeat says it copied (copyBatch checkpoints). */
  totals?: Totals;
  lastFailure?: string;
}

export interface JobSnapshot {
  id: string;
  /** Temporal execution status, lowercase: running, completed, failed, terminated, ... */
  status: string;
  /** The state the workflow last published (FerryState), else the status. */
  state: string;
  taskQueue: string;
  source?: string;
  destination?: string;
  startedAt: Date;
  historyLength: number;
  pending: PendingActivity[];
  /** Running jobs only: whether any worker polls the job's queue. */
  workerPolling?: boolean;
  /** The workflow's own progress (query), when a worker answered in time. */
  progress?: Progress;
  /** Why there is no `progress` for a running job: a one-line explanation. */
  unanswered?: string;
}

/** describe(), with "no such job" as a one-line error. */
export async function describeJob(conn: Connected, id: string): Promise<WorkflowExecutionDescription> {
  try {
    return await conn.client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CLIError(`job ${id} not found`, EXIT.error);
    throw err;
  }
}

/** Whether a live worker polls `queue` (for workflow or activity tasks). */
export async function workerPolls(conn: Connected, queue: string): Promise<boolean> {
  const now = Date.now();
  const counts = await Promise.all(
    Object.values(TASK_QUEUE_TYPE).map(async (taskQueueType) => {
      const r = await conn.connection.withDeadline(now + QUERY_DEADLINE_MS, () =>
        conn.client.workflowService.describeTaskQueue({
          namespace: conn.namespace,
          taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType,
        }),
      );
      return (r.pollers ?? []).filter((p) => now - (tsMs(p.lastAccessTime) ?? 0) < POLLER_FRESH_MS).length;
    }),
  );
  return counts.some((n) => n > 0);
}

/** The one line the CLI prints when nothing polls the queue a job waits on. */
export function noWorkerLine(queue: string): string {
  return `no worker is polling task queue \`${queue}\` — start one with \`ferry worker --task-queue ${queue}\``;
}

/** Everything the server knows about a job; the workflow's progress too when a worker answers in time. */
export async function jobSnapshot(
  conn: Connected,
  id: string,
  desc?: WorkflowExecutionDescription,
  /** This process runs a worker on the job's queue (`--wait`): no need to ask, and none to say otherwise. */
  ownWorker = false,
): Promise<JobSnapshot> {
  const d = desc ?? (await describeJob(conn, id));
  const sa = d.typedSearchAttributes;
  const status = d.status.name.toLowerCase();
  const snap: JobSnapshot = {
    id,
    status,
    // A closed job's status wins over the last published state, except for a completed one, whose FerryState
    // says how it completed (completed-with-failures, stopped).
    state: status === 'running' || status === 'completed' ? (sa.get(FerryState) ?? status) : status,
    taskQueue: d.taskQueue,
    ...(sa.get(FerrySource) ? { source: sa.get(FerrySource)! } : {}),
    ...(sa.get(FerryDestination) ? { destination: sa.get(FerryDestination)! } : {}),
    startedAt: d.startTime,
    historyLength: d.historyLength,
    pending: pendingActivities(conn, d),
  };
  if (status !== 'running') return snap;
  snap.workerPolling = ownWorker || (await workerPolls(conn, d.taskQueue));
  if (!snap.workerPolling) {
    snap.unanswered = noWorkerLine(d.taskQueue);
    return snap;
  }
  const p = await queryProgress(conn, id);
  if (p) {
    snap.progress = p;
    // In-flight batches as of after the query: one that finished between the first describe and the query
    // would be counted twice (in the query's totals and by its last heartbeat), showing more done than the
    // job has, and a negative ETA at the end. Read after, a batch finishing in between is counted in neither
    // for one refresh, never twice.
    snap.pending = await describeJob(conn, id).then(
      (after) => pendingActivities(conn, after),
      () => [],
    );
  } else
    snap.unanswered = `no worker answered within ${QUERY_DEADLINE_MS / 1000} s on task queue \`${d.taskQueue}\``;
  return snap;
}

/** The workflow's progress query with a short deadline; undefined when no answer came in time. */
export async function queryProgress(conn: Connected, id: string): Promise<Progress | undefined> {
  try {
    const handle = conn.client.workflow.getHandle(id);
    return await conn.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      handle.query<Progress>(QueryName.progress),
    );
  } catch {
    // Between continue-as-new runs, before the first workflow task, or a worker that just died.
    return undefined;
  }
}

/** Totals of finished batches (progress) plus what in-flight batches have heartbeated so far. */
export function withInFlight(p: Progress, pending: PendingActivity[]): Progress {
  const totals = { ...p.totals };
  for (const a of pending) {
    if (!a.totals) continue;
    totals.copied += a.totals.copied;
    totals.skipped += a.totals.skipped;
    totals.failed += a.totals.failed;
    totals.bytes += a.totals.bytes;
    if (a.totals.excluded) totals.excluded = (totals.excluded ?? 0) + a.totals.excluded;
  }
  // Rates from the job's start: a query handler only knows the time of the last workflow task.
  const elapsedMs = Math.max(1, Date.now() - p.startedAtMs);
  const rates = progressRates(totals, elapsedMs, p.total);
  return { ...p, totals, elapsedMs, ...rates, done: Math.min(p.total, rates.done) };
}

// --- internal ---
function pendingActivities(conn: Connected, d: WorkflowExecutionDescription): PendingActivity[] {
  const converter = conn.client.options.loadedDataConverter.payloadConverter;
  return (d.raw.pendingActivities ?? []).map((pa) => {
    const a: PendingActivity = { type: pa.activityType?.name ?? '?', attempt: pa.attempt ?? 1 };
    const hb = tsMs(pa.lastHeartbeatTime);
    if (hb) a.lastHeartbeatMs = hb;
    const payload = pa.heartbeatDetails?.payloads?.[0];
    if (payload) {
      try {
        // copyBatch heartbeats a checkpoint (common/checkpoint.ts); other activities' details do not parse.
        const cp = readCheckpoint(converter.fromPayload(payload));
        if (cp) a.totals = cp.totals;
      } catch {
        // an undecodable heartbeat only leaves the totals a little behind
      }
    }
    if (pa.lastFailure?.message) a.lastFailure = pa.lastFailure.message.split('\n', 1)[0]!;
    return a;
  });
}

function tsMs(ts: { seconds?: { toString(): string } | null; nanos?: number | null } | null | undefined) {
  if (!ts?.seconds) return undefined;
  return Number(ts.seconds.toString()) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}
