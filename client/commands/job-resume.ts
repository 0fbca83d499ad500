// `ferry job resume ID`: reads the job's newest run and does what common/resume.ts's resumePlan says —
// unpause a running job, or start a new run under the same ID over the failed indexes or the whole job.
import type { Command } from 'commander';
import type { MigrationReport } from '../../common/schemas.js';
import { CLIError, EXIT } from '../errors.js';
import { runFlags, taskQueueOf } from '../job-options.js';

interface ResumeOpts {
  wait?: boolean;
  taskQueue?: string;
  quiet?: boolean;
}

export function register(job: Command): void {
  job
    .command('resume')
    .description(
      'resume a paused, stopped, failed or finished-with-failures job: copies only what is missing or failed',
    )
    .argument('<id>', 'job ID')
    .option('--wait', 'run an in-process worker and wait', false)
    .option('--task-queue <name>', 'task queue of the copy workers')
    .option('-q, --quiet', 'no progress output', false)
    .action(async (id: string, o: ResumeOpts) => {
      process.exitCode = await resumeJob(id, o);
    });
}

// --- internal ---
async function resumeJob(id: string, flags: ResumeOpts): Promise<number> {
  const [{ connect }, { describeJob }, { inputOf }, { resumePlan }, { SignalName }] = await Promise.all([
    import('../connection.js'),
    import('../job-state.js'),
    import('../report.js'),
    import('../../common/resume.js'),
    import('../../common/queues.js'),
  ]);
  const conn = await connect({ allowEmbedded: true });
  try {
    const handle = conn.client.workflow.getHandle(id);
    const desc = await describeJob(conn, id);
    const input = inputOf(conn.client, await handle.fetchHistory());
    const report =
      desc.status.name === 'COMPLETED' ? ((await handle.result()) as MigrationReport) : undefined;
    const plan = resumePlan({ status: desc.status.name, input, report });
    switch (plan.action) {
      case 'nothing':
        console.log(`job ${id} ${plan.reason}; nothing to resume`);
        return EXIT.ok;
      case 'refuse':
        throw new CLIError(`job ${id}: ${plan.reason}`, EXIT.error);
      case 'unpause': {
        await handle.signal(SignalName.unpause);
        console.log(`job ${id} is running; unpause requested`);
        // A running `migrate` whose process died waits for a worker on its own host queue: attach one here
        // (serving the directory again) and follow the job, as the original command did. Same with --wait.
        const dir = input && 'hostQueue' in input.source ? input.source : undefined;
        if (!dir && !flags.wait) {
          const { noWorkerLine, workerPolls } = await import('../job-state.js');
          if (!(await workerPolls(conn, desc.taskQueue)))
            console.error(`ferry: warning: ${noWorkerLine(desc.taskQueue)}`);
          return EXIT.ok;
        }
        const [{ startWorkers }, { watchJobs }, { printResult }] = await Promise.all([
          import('../../worker/run.js'),
          import('../progress.js'),
          import('../report.js'),
        ]);
        const workers = await startWorkers({
          address: conn.address,
          namespace: conn.namespace,
          connectionOptions: conn.connectionOptions as Record<string, unknown>,
          taskQueue: taskQueueOf(flags),
          ...(dir ? { serveRoot: dir.root, hostQueue: dir.hostQueue } : {}),
          log: (m) => {
            if (!flags.quiet) console.error(m);
          },
        });
        try {
          if (dir) console.error(`serving ${dir.root} for job ${id} on ${dir.hostQueue}`);
          await watchJobs(conn, [id], { quiet: flags.quiet ?? false, ownWorker: true });
          return await printResult(conn.client, id);
        } finally {
          await workers.shutdown();
        }
      }
      case 'restart': {
        console.error(`resuming job ${id}: ${plan.note}`);
        const src = plan.input.source;
        const { startJob } = await import('../start-job.js');
        return await startJob(plan.input, {
          ...runFlags(flags),
          jobId: id,
          resumed: true,
          // A migration's directory is served by this process again, as `migrate` did.
          ...('hostQueue' in src ? { serveRoot: src.root, hostQueue: src.hostQueue, wait: true } : {}),
        });
      }
    }
  } finally {
    await conn.close();
  }
}
