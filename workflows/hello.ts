// Smoke-test workflow: proves a worker, the server and the activity path are wired together
// (`ferry doctor` and the foundation integration test run it).
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';

const { greet } = proxyActivities<ReturnType<typeof createActivities>>({ startToCloseTimeout: '30 seconds' });

export async function helloWorkflow(name: string): Promise<string> {
  return await greet({ name });
}
