// `ferry job verify ID`: starts (or attaches to) the job's verification workflow (workflows/verify.ts), runs an
// in-process worker unless told not to, waits, prints the totals and the objects that did not verify, and
// optionally writes the per-object outcomes as a report. Exit 0 only when every object verified.
import type { Command } from 'commander';
import { CLIError, EXIT } from '../errors.js';
import { taskQueueOf } from '../job-options.js';

interface VerifyOpts {
  source?: string | boolean;
  all?: boolean;
  report?: string;
  format?: string;
  worker?: boolean;
  taskQueue?: string;
  quiet?: boolean;
}

/** Problems printed on the terminal; the report has them all. */
const SHOW_PROBLEMS = 20;

export function register(job: Command): void {
  job
    .command('verify')
    .description(
      're-read every object a job wrote and compare size and checksum with what it recorded; exit 0 only if all match',
    )
    .argument('<id>', 'job ID')
    .option(
      '--source [url]',
      "re-read the origin too (default: the job's origin URL; for a migrate job, a URL that serves the directory again)",
    )
    .option(
      '--all',
      'also objects the job skipped as already present (default: the ones it transferred)',
      false,
    )
    .option(
      '--report <file|bucket-uri>',
      "write every object's outcome (verified, mismatch, missing); - for stdout",
    )
    .option('--format <jsonl|csv>', 'report format', 'jsonl')
    .option('--no-worker', 'do not run an in-process worker (a `ferry worker` serves the task queue)')
    .option('--task-queue <name>', 'task queue of the workers')
    .option('-q, --quiet', 'no summary lines, only the exit code (and the report)', false)
    .action(async (id: string, o: VerifyOpts) => {
      if (o.format !== 'jsonl' && o.format !== 'csv')
        throw new CLIError(`--format must be jsonl or csv, not "${o.format}"`, EXIT.usage);
      if (o.report) {
        // Checked before anything starts: a bad target is bad input.
        const { parseReportTarget } = await import('../../lib/report-output.js');
        const target = parseReportTarget(o.report);
        if (typeof target === 'string') throw new CLIError(target, EXIT.usage);
      }
      process.exitCode = await verifyJob(id, o);
    });
}

// --- internal ---
async function verifyJob(id: string, o: VerifyOpts): Promise<number> {
  const [{ connect }, { inputOf }, { verifyWorkflowId }, { WorkflowType }, { startWorkers }] =
    await Promise.all([
      import('../connection.js'),
      import('../report.js'),
      import('../../common/verify.js'),
      import('../../common/queues.js'),
      import('../../worker/run.js'),
    ]);
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.workflow.getHandle(id);
    const history = await handle.fetchHistory().catch((err: unknown) => {
      throw new CLIError(`job ${id} not found (${(err as Error).message.split('\n')[0]})`, EXIT.usage);
    });
    const input = inputOf(conn.client, history);
    if (!input) throw new CLIError(`${id} is not a ferry job`, EXIT.usage);
    const source = input.source as { baseUrl?: string; kind: string };
    let sourceBaseUrl: string | undefined;
    if (typeof o.source === 'string') sourceBaseUrl = o.source.endsWith('/') ? o.source : `${o.source}/`;
    else if (o.source === true) {
      if (!source.baseUrl)
        throw new CLIError(
          `job ${id} served a directory that is no longer served: give --source URL of a server for it (e.g. \`ferry serve DIR\`)`,
          EXIT.usage,
        );
      sourceBaseUrl = source.baseUrl;
    }
    const taskQueue = taskQueueOf(o);
    const workers =
      o.worker === false
        ? undefined
        : await startWorkers({
            address: conn.address,
            namespace: conn.namespace,
            connectionOptions: conn.connectionOptions as Record<string, unknown>,
            taskQueue,
            log: (m) => {
              if (!o.quiet) console.error(m);
            },
          });
    try {
      const vid = verifyWorkflowId(id);
      const run = await conn.client.workflow.start(WorkflowType.verify, {
        workflowId: vid,
        taskQueue,
        args: [
          {
            jobId: id,
            destination: input.destination,
            mode: o.all ? 'all' : 'transferred',
            ...(sourceBaseUrl ? { sourceBaseUrl } : {}),
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `ferry verify of ${id}${sourceBaseUrl ? ' (with the origin)' : ''}`,
      });
      if (!o.quiet) console.error(`verifying job ${id} as workflow ${vid}`);
      const { finishVerify } = await import('../verify-result.js');
      return await finishVerify(conn.client, run, input.destination, id, {
        quiet: o.quiet ?? false,
        show: SHOW_PROBLEMS,
        ...(o.report ? { report: o.report, format: o.format as 'jsonl' | 'csv' } : {}),
      });
    } finally {
      await workers?.shutdown();
    }
  } finally {
    await conn.close();
  }
}
