// The names both sides of the Temporal boundary must agree on, declared once: task queues, the workflow
// types the CLI starts and lists, and the signal / query / update names the workflow registers. Pure strings,
// so workflow code (defineSignal(SignalName.pause)), the worker and the CLI can all import them.

/** The shared copy queue when neither --task-queue nor FERRY_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'ferry';

/** Prefix of a data host's own queue, on which step 1 (serving its directory) runs. */
export const HOST_QUEUE_PREFIX = 'ferry-host-';

/** The task queue on which the data host `host` runs step 1 (`ferry worker --serve-root` there). */
export function hostQueueName(host: string): string {
  return `${HOST_QUEUE_PREFIX}${host}`;
}

export const WorkflowType = {
  migration: 'migrationWorkflow',
  serve: 'serveWorkflow',
  verify: 'verifyWorkflow',
} as const;

export const SignalName = {
  pause: 'pause',
  unpause: 'unpause',
  stop: 'stop',
  originReady: 'originReady',
} as const;
export type SignalName = (typeof SignalName)[keyof typeof SignalName];

export const QueryName = {
  progress: 'progress',
} as const;

export const UpdateName = {
  setOptions: 'setOptions',
} as const;
