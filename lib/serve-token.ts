// The bearer token of a migration's file server when its copy workers run on other hosts (cross-host `migrate`).
//
// Why derived, not sent: whatever a workflow hands an activity, and whatever an activity returns or signals, is
// stored in the workflow's history, and secrets never enter history. So the token is never passed at all:
// every worker of the deployment is configured with the same FERRY_SERVE_SECRET, and both ends compute the
// job's token from it and the migration's workflow ID — serveDirectory to require it, copyBatch to send it.
// One token per job: a token seen by one origin (or logged by a proxy) opens that job's served directory only,
// and only while that job runs; the secret itself never leaves a worker's environment.
import { createHmac } from 'node:crypto';
import { JOB_ID_PREFIX } from '../common/ids.js';

/** Domain separation: the secret may be reused for nothing else by accident. */
const CONTEXT = 'ferry serve token v1\0';

/** The bearer token the file server of migration `workflowId` requires. */
export function serveToken(secret: string, workflowId: string): string {
  return createHmac('sha256', secret)
    .update(CONTEXT + workflowId)
    .digest('base64url');
}

/**
 * The headers a copy batch of job `jobId` sends its origin: the bearer token when the job is a migration (its
 * origin is the data host's file server, the only origin a migration has) and this worker has the secret.
 * Download and prefetch jobs fetch from origins of the user's choosing: they never get a token.
 */
export function serveAuthHeaders(
  secret: string | undefined,
  jobId: string,
): Record<string, string> | undefined {
  if (!secret || !jobId.startsWith(`${JOB_ID_PREFIX.migrate}-`)) return undefined;
  return { authorization: `Bearer ${serveToken(secret, jobId)}` };
}
