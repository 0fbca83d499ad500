// Typed client helpers of the package API (`import { startMigration } from 'ferry'`): start a migration, talk to
// it by the names in common/queues.ts, resume it by common/resume.ts's plan. What the CLI's `job start` and
// `job resume` do, without the CLI around them: no preflight, no printing, no process exit codes.
import type { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import { mintJobId } from '../client/ids.js';
import { JobKind } from '../common/ids.js';
import { DEFAULT_TASK_QUEUE, QueryName, SignalName, UpdateName, WorkflowType } from '../common/queues.js';
import { resumePlan, type ResumePlan } from '../common/resume.js';
import {
  MigrationInputSchema,
  type MigrationInput,
  type MigrationReport,
  type Progress,
  type SetOptionsInput,
} from '../common/schemas.js';
import {
  FERRY_SEARCH_ATTRIBUTES,
  FerryDestination,
  FerrySource,
  FerryState,
} from '../common/search-attributes.js';
import { describeSource } from '../common/source.js';
import type { migrationWorkflow } from '../workflows/index.js';

export type MigrationWorkflowHandle = WorkflowHandle<typeof migrationWorkflow>;

/** A running or finished ferry job, by its workflow ID. */
export interface MigrationJob {
  readonly jobId: string;
  readonly handle: MigrationWorkflowHandle;
  /** The job's live progress (the `progress` query; needs a worker polling its queue). */
  progress(): Promise<Progress>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /** Stop after the batches in flight; the report says `stopped`. */
  stop(): Promise<void>;
  /** Change max-conns / limit-bph of a running job (the `setOptions` update); returns the values in force. */
  setOptions(o: SetOptionsInput): Promise<{ maxConns: number; limitBph: number }>;
  /** The job's report, once it closes (follows continue-as-new). */
  result(): Promise<MigrationReport>;
}

export interface StartMigrationOptions {
  /** @default a new `dnl-…` / `mig-…` ID as the CLI mints */
  jobId?: string;
  /** The queue of the workers running FerryPlugin and ferry's workflows. @default 'ferry' */
  taskQueue?: string;
}

/** A fresh job ID in the CLI's format (client/ids.ts mints them). */
export function newJobId(input: MigrationInput): string {
  // A migration (a served directory, by template or whole tree) is `mig-…`: copy workers on other hosts send its
  // file server the job's token only for such IDs (lib/serve-token.ts).
  const kind =
    input.source.kind === 'directory' || input.source.kind === 'tree' ? JobKind.migrate : JobKind.download;
  return mintJobId(kind);
}

/**
 * Start a migration. The input is checked against the workflow's schema here (a ZodError when it is wrong), so
 * a bad job never reaches the server. The namespace must have ferry's search attributes
 * ({@link ensureSearchAttributes}).
 */
export async function startMigration(
  client: Client,
  input: MigrationInput,
  opts: StartMigrationOptions = {},
): Promise<MigrationJob> {
  const parsed = MigrationInputSchema.parse(input);
  const destination = formatBucketUri(parseBucketUri(parsed.destination));
  const jobId = opts.jobId ?? newJobId(input);
  const handle = await client.workflow.start<typeof migrationWorkflow>(WorkflowType.migration, {
    workflowId: jobId,
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    args: [input],
    staticSummary: `ferry: ${describeSource(parsed.source)} → ${destination}`.slice(0, 400),
    typedSearchAttributes: [
      { key: FerryDestination, value: destination },
      { key: FerrySource, value: describeSource(parsed.source).slice(0, 250) },
      { key: FerryState, value: 'running' },
    ],
  });
  return migrationJob(client, handle.workflowId);
}

/** The job `jobId` (its newest run). */
export function migrationJob(client: Client, jobId: string): MigrationJob {
  const handle = client.workflow.getHandle<typeof migrationWorkflow>(jobId);
  return {
    jobId,
    handle,
    progress: () => handle.query<Progress>(QueryName.progress),
    pause: () => handle.signal(SignalName.pause),
    unpause: () => handle.signal(SignalName.unpause),
    stop: () => handle.signal(SignalName.stop),
    setOptions: (o) =>
      handle.executeUpdate<{ maxConns: number; limitBph: number }, [SetOptionsInput]>(UpdateName.setOptions, {
        args: [o],
      }),
    result: () => handle.result(),
  };
}

/**
 * Resume a job as `ferry job resume` does (common/resume.ts): unpause a running one, or start a new run under
 * the same ID over its failed objects or, with skip-existing, the whole job. Returns the plan it followed.
 */
export async function resumeMigration(
  client: Client,
  jobId: string,
  opts: Omit<StartMigrationOptions, 'jobId'> = {},
): Promise<ResumePlan> {
  const handle = client.workflow.getHandle(jobId);
  const desc = await handle.describe();
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload
    ? client.options.loadedDataConverter.payloadConverter.fromPayload<MigrationInput>(payload)
    : undefined;
  const report = desc.status.name === 'COMPLETED' ? ((await handle.result()) as MigrationReport) : undefined;
  const plan = resumePlan({ status: desc.status.name, input, report });
  if (plan.action === 'unpause') await handle.signal(SignalName.unpause);
  if (plan.action === 'restart')
    await startMigration(client, plan.input, { jobId, taskQueue: opts.taskQueue ?? desc.taskQueue });
  return plan;
}

/**
 * Register ferry's search attributes (FerryDestination, FerrySource, FerryState) in `namespace` if they are
 * missing: the migration workflow upserts them, and a namespace without them fails its workflow tasks.
 * Needs operator rights (a dev server or self-hosted cluster; on Temporal Cloud, add them in the console).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const have = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(FERRY_SEARCH_ATTRIBUTES).filter(
    ([n]) => !(n in (have.customAttributes ?? {})),
  );
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    // IndexedValueType KEYWORD = 2
    searchAttributes: Object.fromEntries(missing.map(([n]) => [n, 2])),
  });
}
