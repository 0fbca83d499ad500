// `ferry job start download|prefetch`: build the job's input from the command line, validate it locally
// (before the SDK is loaded: bad input answers in ~0.1 s), then start it (client/start-job.ts).
import type { Command } from 'commander';
import type { JobKind } from '../../common/ids.js';
import type { MigrationInput } from '../../common/schemas.js';
import { splitUrlTemplate } from '../../common/source.js';
import { CLIError } from '../errors.js';
import { addJobOptions, buildOptions, fmtOf, runFlags, type JobOpts } from '../job-options.js';
import { collect, filterOf } from '../listing-filter.js';
import { bucketArg, readList, validateJob } from '../validate.js';

export function register(job: Command): void {
  addStartCommands(job.command('start').description('start a job'), ({ kind, input, opts }) =>
    startNew(kind, input, opts),
  );
}

/** A job as its command line describes it: what `job start download|prefetch ...` would start. */
export interface NewJob {
  kind: JobKind;
  input: MigrationInput;
  opts: JobOpts;
}

/**
 * The `download` and `prefetch` subcommands of `start`, each handing the job its command line describes to
 * `onJob` (whose result is the exit code). `job start` starts it; `job schedule create` parses the arguments
 * after its `--` with the same commands and makes the job a schedule's action.
 */
export function addStartCommands(start: Command, onJob: (job: NewJob) => Promise<number>): void {
  addJobOptions(
    start
      .command('download')
      .description(
        'download templated URLs into a bucket, e.g. "http://host:51061/abc/shard-{001..999}.tar" ais://abc',
      )
      .argument('<url-template>', 'URL with an AIStore template in its object part')
      .argument('<bucket>', 'destination: path, file:///abs, s3://bucket, ais://bucket')
      .option(
        '--object-list <file>',
        'names to download (one per line) relative to <url-template> used as the base URL',
      ),
  ).action(async (urlTemplate: string, bucket: string, o: JobOpts & { objectList?: string }) => {
    let source: MigrationInput['source'];
    if (o.objectList) {
      const base = urlTemplate.endsWith('/') ? urlTemplate : `${urlTemplate}/`;
      splitUrlTemplate(`${base}x`);
      source = { kind: 'list', baseUrl: base, names: readList(o.objectList) };
    } else {
      const { baseUrl, template } = splitUrlTemplate(urlTemplate);
      const fmt = fmtOf(o);
      source = { kind: 'template', baseUrl, template, ...(fmt ? { fmt } : {}) };
    }
    process.exitCode = await onJob({ kind: 'download', input: jobInput(source, bucket, o), opts: o });
  });
  addJobOptions(
    start
      .command('prefetch')
      .description(
        'copy names of a template or list from an HTTP origin into a bucket; with neither, every file its listing shows, recursively',
      )
      .argument('<origin>', 'origin base URL, e.g. http://host:51061/abc/')
      .argument('<bucket>', 'destination bucket')
      .option('--template <t>', 'object-name template, e.g. shard-{001..999}.tar')
      .option('--list <file>', 'object names, one per line')
      .option(
        '--include <glob>',
        'whole listing only: copy only matching files (repeatable; rclone globs)',
        collect,
      )
      .option(
        '--exclude <glob>',
        'whole listing only: leave matching files out (repeatable; rclone globs)',
        collect,
      ),
  ).action(
    async (
      origin: string,
      bucket: string,
      o: JobOpts & { template?: string; list?: string; include?: string[]; exclude?: string[] },
    ) => {
      if (o.template && o.list) throw new CLIError('prefetch: give at most one of --template or --list');
      const base = origin.endsWith('/') ? origin : `${origin}/`;
      const { baseUrl } = splitUrlTemplate(`${base}x`);
      const fmt = fmtOf(o);
      const source: MigrationInput['source'] = o.template
        ? { kind: 'template', baseUrl, template: o.template, ...(fmt ? { fmt } : {}) }
        : o.list
          ? { kind: 'list', baseUrl, names: readList(o.list) }
          : { kind: 'listing', baseUrl, ...filterOf(o, true) };
      if (o.template || o.list) filterOf(o, false);
      process.exitCode = await onJob({ kind: 'prefetch', input: jobInput(source, bucket, o), opts: o });
    },
  );
}

/** The input of a new job from its source, destination argument and options. */
export function jobInput(source: MigrationInput['source'], bucket: string, o: JobOpts): MigrationInput {
  return {
    source,
    destination: bucketArg(bucket),
    options: buildOptions(o),
    ...(o.desc ? { description: o.desc } : {}),
  };
}

// --- internal ---
/** Validate before loading the SDK, then mint the job's ID and start it. */
async function startNew(kind: JobKind, input: MigrationInput, o: JobOpts): Promise<number> {
  validateJob(input);
  const [{ startJob }, { mintJobId }] = await Promise.all([import('../start-job.js'), import('../ids.js')]);
  return startJob(input, { ...runFlags(o), jobId: mintJobId(kind) });
}
