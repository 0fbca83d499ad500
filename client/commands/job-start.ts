// `ferry job start download|prefetch`: build the job's input from the command line, validate it locally
// (before the SDK is loaded: bad input answers in ~0.1 s), then start it (client/start-job.ts).
import type { Command } from 'commander';
import type { JobKind } from '../../common/ids.js';
import type { MigrationInput } from '../../common/schemas.js';
import { splitUrlTemplate } from '../../common/source.js';
import { CLIError } from '../errors.js';
import { addJobOptions, buildOptions, fmtOf, runFlags, type JobOpts } from '../job-options.js';
import { addFilterOptions, filterOf, type FilterOpts } from '../listing-filter.js';
import { manifestArg, type ManifestArg } from '../manifest-plan.js';
import { bucketArg, validateJob } from '../validate.js';

export function register(job: Command): void {
  addStartCommands(job.command('start').description('start a job'), ({ kind, input, opts, manifest }) =>
    startNew(kind, input, opts, manifest),
  );
}

/** A job as its command line describes it: what `job start download|prefetch ...` would start. */
export interface NewJob {
  kind: JobKind;
  input: MigrationInput;
  opts: JobOpts;
  /** `--object-list`/`--list`: where the manifest is (a local file is staged into the destination at start). */
  manifest?: ManifestArg;
}

/**
 * The `download` and `prefetch` subcommands of `start`, each handing the job its command line describes to
 * `onJob` (whose result is the exit code). `job start` starts it; `job schedule create` parses the arguments
 * after its `--` with the same commands and makes the job a schedule's action.
 */
export function addStartCommands(start: Command, onJob: (job: NewJob) => Promise<number>): void {
  addJobOptions(
    addFilterOptions(
      start
        .command('download')
        .description(
          'download templated URLs into a bucket, e.g. "http://host:51061/abc/shard-{001..999}.tar" ais://abc',
        )
        .argument('<url-template>', 'URL with an AIStore template in its object part')
        .argument('<bucket>', 'destination: path, file:///abs, s3://bucket, ais://bucket')
        .option(
          '--object-list <manifest>',
          'names to download relative to <url-template> used as the base URL: a manifest (name[<TAB>size[<TAB>checksum]] per line) as a local file, http(s) URL, s3://, ais:// or file:// object',
        ),
      'every source',
    ),
  ).action(async (urlTemplate: string, bucket: string, o: JobOpts & FilterOpts & { objectList?: string }) => {
    let source: MigrationInput['source'];
    if (o.objectList) {
      const base = urlTemplate.endsWith('/') ? urlTemplate : `${urlTemplate}/`;
      splitUrlTemplate(`${base}x`);
      const m = manifestArg(o.objectList);
      source = { kind: 'manifest', baseUrl: base, manifest: m.ref, ...filterOf(o) };
      process.exitCode = await onJob({
        kind: 'download',
        input: jobInput(source, bucket, o),
        opts: o,
        manifest: m,
      });
      return;
    } else {
      const { baseUrl, template } = splitUrlTemplate(urlTemplate);
      const fmt = fmtOf(o);
      source = { kind: 'template', baseUrl, template, ...(fmt ? { fmt } : {}), ...filterOf(o) };
    }
    process.exitCode = await onJob({ kind: 'download', input: jobInput(source, bucket, o), opts: o });
  });
  addJobOptions(
    addFilterOptions(
      start
        .command('prefetch')
        .description(
          'copy names of a template or list from an HTTP origin into a bucket; with neither, every file its listing shows, recursively',
        )
        .argument('<origin>', 'origin base URL, e.g. http://host:51061/abc/')
        .argument('<bucket>', 'destination bucket')
        .option('--template <t>', 'object-name template, e.g. shard-{001..999}.tar')
        .option(
          '--list <manifest>',
          'object names: a manifest (name[<TAB>size[<TAB>checksum]] per line) as a local file, http(s) URL, s3://, ais:// or file:// object',
        ),
      'every source',
    ),
  ).action(
    async (
      origin: string,
      bucket: string,
      o: JobOpts & FilterOpts & { template?: string; list?: string },
    ) => {
      if (o.template && o.list) throw new CLIError('prefetch: give at most one of --template or --list');
      const base = origin.endsWith('/') ? origin : `${origin}/`;
      const { baseUrl } = splitUrlTemplate(`${base}x`);
      const fmt = fmtOf(o);
      const m = o.list ? manifestArg(o.list) : undefined;
      const source: MigrationInput['source'] = o.template
        ? { kind: 'template', baseUrl, template: o.template, ...(fmt ? { fmt } : {}), ...filterOf(o) }
        : m
          ? { kind: 'manifest', baseUrl, manifest: m.ref, ...filterOf(o) }
          : { kind: 'listing', baseUrl, ...filterOf(o) };
      process.exitCode = await onJob({
        kind: 'prefetch',
        input: jobInput(source, bucket, o),
        opts: o,
        ...(m ? { manifest: m } : {}),
      });
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
async function startNew(
  kind: JobKind,
  input: MigrationInput,
  o: JobOpts,
  manifest?: ManifestArg,
): Promise<number> {
  validateJob(input);
  const [{ startJob }, { mintJobId }] = await Promise.all([import('../start-job.js'), import('../ids.js')]);
  return startJob(input, { ...runFlags(o), jobId: mintJobId(kind), ...(manifest ? { manifest } : {}) });
}
