// `ferry migrate DIR BUCKET [--template T]`: both steps in one workflow; without a template, the whole tree. By default this process runs the
// worker that serves DIR and copies, and waits; --no-wait / --host leave that to `ferry worker --serve-root`.
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { hostQueueName } from '../../common/queues.js';
import { CLIError } from '../errors.js';
import { addJobOptions, fmtOf, runFlags, type JobOpts } from '../job-options.js';
import { addFilterOptions, filterOf, type FilterOpts } from '../listing-filter.js';
import { validateJob } from '../validate.js';
import { jobInput } from './job-start.js';

export function register(program: Command): void {
  addJobOptions(
    addFilterOptions(
      program
        .command('migrate')
        .description(
          "both steps in one durable workflow: serve DIR on this host and copy its files (all, or the template's names) into BUCKET",
        )
        .argument('<dir>', 'source directory (on this host)')
        .argument('<bucket>', 'destination bucket')
        .option(
          '--template <t>',
          'object names relative to <dir>, e.g. shard-{001..999}.tar (default: every file under <dir>, recursively)',
        )
        .option(
          '--no-wait',
          'start and return (a worker with --serve-root covering <dir> must run on this host)',
        )
        .option(
          '--host <name>',
          'the data host, when <dir> is on another machine running `ferry worker --serve-root` (implies --no-wait)',
        ),
      'every source',
    ),
    { wait: false },
  ).action(
    async (dir: string, bucket: string, o: JobOpts & FilterOpts & { template?: string; host?: string }) => {
      const root = resolve(dir);
      if (!o.host && (!existsSync(root) || !statSync(root).isDirectory()))
        throw new CLIError(`migrate: ${root} is not a directory`);
      const fmt = fmtOf(o);
      const wait = o.wait !== false && !o.host;
      const { mintJobId } = await import('../ids.js');
      const jobId = mintJobId('migrate');
      // With --wait this process serves the directory itself, on a queue of its own: another worker of this
      // host (with a different --serve-root) must not pick up step 1. Without it, the host's shared queue,
      // served by `ferry worker --serve-root` there.
      const hostQueue = wait ? `${hostQueueName(hostname())}-${jobId}` : hostQueueName(o.host ?? hostname());
      const input = jobInput(
        o.template === undefined
          ? { kind: 'tree', root, hostQueue, ...filterOf(o) }
          : {
              kind: 'directory',
              root,
              hostQueue,
              template: o.template,
              ...(fmt ? { fmt } : {}),
              ...filterOf(o),
            },
        bucket,
        o,
      );
      validateJob(input);
      const { startJob } = await import('../start-job.js');
      process.exitCode = await startJob(input, {
        ...runFlags(o),
        wait,
        jobId,
        ...(wait ? { serveRoot: root, hostQueue } : {}),
      });
    },
  );
}
