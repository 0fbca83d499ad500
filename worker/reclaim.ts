// A worker that starts on a host where another ferry worker died (kill -9, OOM, a crashed `ferry migrate`)
// hands that worker's unfinished activity attempts back to the server at once, instead of letting each wait
// for its heartbeat timeout (10 s for copy batches, longer for others) before it is retried.
//
// An attempt is reclaimed only if the server says it is STARTED and was last started by a worker identity of
// the SDK's default form `<pid>@<host>` with this host's name and a pid that is no longer alive here. It is
// failed by ID as retryable, with its last heartbeat details kept (the copy's checkpoint) and a short next
// retry delay, so the retry resumes where the dead attempt last checkpointed. Objects it committed after that
// checkpoint are recognised by their metadata, not copied again (activities/copy-batch.ts).
//
// Safe if wrong: a reclaimed attempt that was in fact alive (only possible if two machines share a host name)
// learns it was failed at its next heartbeat and stops; its work is redone by the retry, never corrupted.
// FERRY_RECLAIM=0 turns this off.
import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { ErrorType } from '../common/errors.js';
import { ferryEnv } from '../lib/env.js';
import { hasExited, readProcStat } from '../lib/proc-stat.js';

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (@temporalio/proto is not ours). */
const STARTED = 2;
/** Delay before the retry of a reclaimed attempt (the policy's own backoff would add a second or more). */
const RETRY_DELAY_MS = 50;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: a process of another user has that pid, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(pid, 0) also succeeds on a zombie: dead, not yet reaped. A worker whose launcher was killed first
  // (worker/launcher.ts: it then SIGKILLs itself) is reparented to init and stays one until init reaps it —
  // for as long as init takes, which in a container without a real init can be forever.
  try {
    const stat = readProcStat(pid);
    // Undefined: gone since the kill(0).
    return stat !== undefined && !hasExited(stat);
  } catch {
    // Without /proc (not Linux): alive as far as we can tell.
    return true;
  }
}

/** The pid of a dead local worker identity, or undefined when the identity is not provably dead. */
export function deadLocalPid(identity: string, host = hostname()): number | undefined {
  const m = /^(\d+)@(.+)$/.exec(identity);
  if (!m || m[2] !== host) return undefined;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) return undefined;
  return pid;
}

export interface ReclaimOptions {
  client: Client;
  namespace: string;
  /** Only workflows on these task queues are looked at (ferry's own). */
  taskQueues: string[];
  log?: (m: string) => void;
}

/** Returns how many attempts were handed back. Errors are the caller's to log: this is an optimisation. */
export async function reclaimDeadAttempts(o: ReclaimOptions): Promise<number> {
  if (!ferryEnv().reclaim() || o.taskQueues.length === 0) return 0;
  const queues = o.taskQueues.map((q) => `'${q.replace(/['\\]/g, '')}'`).join(', ');
  const query = `ExecutionStatus = 'Running' AND TaskQueue IN (${queues})`;
  let reclaimed = 0;
  for await (const wf of o.client.workflow.list({ query })) {
    const desc = await o.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    let stickyReset = false;
    for (const pa of desc.raw.pendingActivities ?? []) {
      if (Number(pa.state) !== STARTED || !pa.activityId) continue;
      const pid = deadLocalPid(pa.lastWorkerIdentity ?? '');
      if (pid === undefined) continue;
      if (!stickyReset) {
        // The dead worker most likely also held the workflow in its cache: without this, the workflow task
        // that follows the retried batch would wait on that worker's sticky queue (10 s) before going to the
        // normal queue. What the SDK does itself on a clean shutdown.
        stickyReset = true;
        await o.client.workflowService
          .resetStickyTaskQueue({
            namespace: o.namespace,
            execution: { workflowId: wf.workflowId, runId: wf.runId },
          })
          .catch(() => undefined);
      }
      try {
        await o.client.workflowService.respondActivityTaskFailedById({
          namespace: o.namespace,
          workflowId: wf.workflowId,
          runId: wf.runId,
          activityId: pa.activityId,
          identity: `${process.pid}@${hostname()}`,
          failure: {
            message: `worker ${pa.lastWorkerIdentity} is gone (pid ${pid} not running): attempt ${pa.attempt} handed back for a retry`,
            source: 'ferry',
            applicationFailureInfo: {
              type: ErrorType.WorkerLost,
              nonRetryable: false,
              nextRetryDelay: { nanos: RETRY_DELAY_MS * 1_000_000 },
            },
          },
          ...(pa.heartbeatDetails ? { lastHeartbeatDetails: pa.heartbeatDetails } : {}),
        });
        reclaimed++;
        o.log?.(
          `reclaimed ${pa.activityType?.name ?? 'activity'} ${pa.activityId} of ${wf.workflowId} from dead worker ${pa.lastWorkerIdentity}`,
        );
      } catch {
        // Finished, timed out or retried meanwhile: nothing to hand back.
      }
    }
  }
  return reclaimed;
}
