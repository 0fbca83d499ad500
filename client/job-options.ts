// The job option table: which flags `job start ...` and `migrate` take, and how each becomes a JobOptions
// field. Defaults and bounds are read from the zod schemas in common/schemas.ts (the workflow validates with
// the same ones), so a bound changed there changes `--help`, the CLI's check and the workflow's together.
import type { Command } from 'commander';
import { z } from 'zod';
import {
  FmtRangeSchema,
  JobOptionsSchema,
  SetOptionsSchema,
  type JobOptions,
  type SetOptionsInput,
} from '../common/schemas.js';
import { SIZE_UNITS_HELP, UnitError, parseSize } from '../common/units.js';
import { ferryEnv } from '../lib/env.js';
import { CLIError } from './errors.js';
import { parseIntOption } from './format.js';

type Key = Exclude<keyof JobOptions, 'onlyIndexes' | 'verify'>;
interface Entry {
  key: Key;
  flags: string;
  kind: 'int' | 'size' | 'flag' | 'choice';
  help: string;
}

/** Every JobOptions field a user sets, in `--help` order. */
const TABLE: readonly Entry[] = [
  {
    key: 'maxConns',
    flags: '--max-conns <n>',
    kind: 'int',
    help: 'concurrent object transfers across the job',
  },
  {
    key: 'limitBph',
    flags: '--limit-bph <size>',
    kind: 'size',
    help: `bandwidth limit in bytes per hour, e.g. 100GiB; 0 = none (${SIZE_UNITS_HELP})`,
  },
  {
    key: 'batchSize',
    flags: '--batch-size <n>',
    kind: 'int',
    help: 'objects per copy batch (checkpoint and retry unit)',
  },
  { key: 'window', flags: '--window <n>', kind: 'int', help: 'copy batches in flight at once' },
  {
    key: 'retries',
    flags: '--retries <n>',
    kind: 'int',
    help: 'attempts per batch for transient errors before they are reported',
  },
  {
    key: 'skipExisting',
    flags: '--skip-existing',
    kind: 'flag',
    help: 'skip objects whose destination copy has the same size and source ETag',
  },
  {
    key: 'sync',
    flags: '--sync',
    kind: 'flag',
    help: 'after a copy without failures, delete destination objects not in the source (see them first with --dry-run)',
  },
  {
    key: 'checksum',
    flags: '--checksum <algo>',
    kind: 'choice',
    help: 'checksum computed while copying, verified by the store where it can and recorded with each object',
  },
  {
    key: 'streams',
    flags: '--streams <n>',
    kind: 'int',
    help: 'parallel Range requests per large object (1: one stream)',
  },
  {
    key: 'maxNames',
    flags: '--max-names <n>',
    kind: 'int',
    help: 'refuse templates with more names than this',
  },
];

/** Commander's camelCase view of the flags of this module. */
export interface JobOpts {
  maxConns?: string;
  limitBph?: string;
  batchSize?: string;
  window?: string;
  retries?: string;
  skipExisting?: boolean;
  sync?: boolean;
  maxNames?: string;
  verify?: string;
  checksum?: string;
  streams?: string;
  fmtStart?: string;
  fmtEnd?: string;
  fmtStep?: string;
  wait?: boolean;
  desc?: string;
  dryRun?: boolean;
  taskQueue?: string;
  quiet?: boolean;
}

/** Add the job option table, the %d range options and the run options (wait, dry run, queue, quiet). */
export function addJobOptions(cmd: Command, opts: { wait?: boolean } = {}): Command {
  if (opts.wait !== false)
    cmd.option('--wait', 'run an in-process worker and wait for the job to finish', false);
  for (const e of TABLE) cmd.option(e.flags, `${e.help}${describe(JobOptionsSchema.shape[e.key])}`);
  cmd.option(
    '--verify <mode>',
    'as the last phase, re-read objects and compare with what was recorded: none, transferred (what was copied) or all (default: none)',
  );
  addFmtOptions(cmd);
  return cmd
    .option('--desc <text>', 'job description shown in `show job` and the Temporal UI')
    .option(
      '--dry-run',
      'print the object count, first and last names and the destination; copy nothing',
      false,
    )
    .option('--task-queue <name>', 'Temporal task queue of the copy workers (env FERRY_TASK_QUEUE)')
    .option('-q, --quiet', 'no progress output', false);
}

/** --fmt-start / --fmt-end / --fmt-step: the index range of a %d template. */
export function addFmtOptions(cmd: Command): Command {
  const s = FmtRangeSchema.shape;
  return cmd
    .option('--fmt-start <n>', `first index for a %d template${describe(s.start)}`)
    .option('--fmt-end <n>', 'last index (inclusive) for a %d template (required with %d)')
    .option('--fmt-step <n>', `index step for a %d template${describe(s.step)}`);
}

/** `--max-names` alone (the template command). */
export function addMaxNamesOption(cmd: Command): Command {
  const e = TABLE.find((x) => x.key === 'maxNames')!;
  return cmd.option(e.flags, `${e.help}${describe(JobOptionsSchema.shape.maxNames)}`);
}

/** The options `job set` may change: the entries of the table that SetOptionsSchema has, without defaults. */
export function addSetOptions(cmd: Command): Command {
  for (const e of TABLE)
    if (e.key in SetOptionsSchema.shape)
      cmd.option(e.flags, `${e.help}${describe(SetOptionsSchema.shape[e.key as keyof SetOptionsInput])}`);
  return cmd;
}

/** The full JobOptions of a command line: given flags parsed and bounds-checked, the rest the schema's defaults. */
export function buildOptions(o: JobOpts): JobOptions {
  const given: Partial<Record<Key, number | boolean | string>> = {};
  for (const e of TABLE) {
    const v = (o as Record<string, string | boolean | undefined>)[e.key];
    if (v !== undefined) given[e.key] = parseValue(e, v, JobOptionsSchema.shape[e.key]);
  }
  const modes = ['none', 'transferred', 'all'] as const;
  if (o.verify !== undefined && !modes.includes(o.verify as (typeof modes)[number]))
    throw new CLIError(`invalid --verify "${o.verify}": use none, transferred or all`);
  // Left out when none: the input stays what it was before --verify existed.
  const verify = o.verify === 'transferred' || o.verify === 'all' ? { verify: o.verify } : {};
  return JobOptionsSchema.parse({ ...given, ...verify });
}

/** `job set`'s change: only what was given. */
export function buildChange(o: { maxConns?: string; limitBph?: string }): SetOptionsInput {
  const change: SetOptionsInput = {};
  for (const e of TABLE) {
    const v = (o as Record<string, string | undefined>)[e.key];
    if (v === undefined || !(e.key in SetOptionsSchema.shape)) continue;
    const key = e.key as keyof SetOptionsInput;
    change[key] = parseValue(e, v, SetOptionsSchema.shape[key]) as number;
  }
  return change;
}

/** The %d range of a command line, or undefined without --fmt-end. */
export function fmtOf(o: JobOpts): { start: number; end: number; step: number } | undefined {
  if (o.fmtEnd === undefined) return undefined;
  const s = FmtRangeSchema.shape;
  return FmtRangeSchema.parse({
    end: parseInt('--fmt-end', o.fmtEnd, s.end),
    ...(o.fmtStart !== undefined ? { start: parseInt('--fmt-start', o.fmtStart, s.start) } : {}),
    ...(o.fmtStep !== undefined ? { step: parseInt('--fmt-step', o.fmtStep, s.step) } : {}),
  });
}

/** `--max-names` of a command line, or the schema's default. */
export function maxNamesOf(o: JobOpts): number {
  const s = JobOptionsSchema.shape.maxNames;
  return o.maxNames === undefined ? s.parse(undefined) : parseInt('--max-names', o.maxNames, s);
}

/** The copy task queue: --task-queue, else FERRY_TASK_QUEUE, else the default. */
export function taskQueueOf(flags: { taskQueue?: string | undefined }): string {
  return flags.taskQueue ?? ferryEnv().taskQueue();
}

/** The flags of a command line that steer how a job is started rather than what it does. */
export function runFlags(o: JobOpts): {
  wait?: boolean;
  dryRun?: boolean;
  taskQueue?: string;
  quiet?: boolean;
} {
  return {
    ...(o.wait ? { wait: true } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.taskQueue ? { taskQueue: o.taskQueue } : {}),
    ...(o.quiet ? { quiet: true } : {}),
  };
}

// --- internal ---
function parseValue(e: Entry, v: string | boolean, schema: z.ZodType): number | boolean | string {
  if (e.kind === 'flag') return v === true;
  const option = e.flags.split(' ')[0]!;
  if (e.kind === 'choice') {
    const n = unwrap(schema);
    const choices = n instanceof z.ZodEnum ? (n.options as string[]) : [];
    if (!choices.includes(String(v)))
      throw new CLIError(`invalid ${option} ${JSON.stringify(v)}: use one of ${choices.join(', ')}`);
    return String(v);
  }
  if (e.kind === 'int') return parseInt(option, String(v), schema);
  const n = sizeOf(String(v), option);
  const { min, max } = bounds(schema);
  return parseIntOption(String(n), option, min, max);
}

/** A size in the one grammar of common/units.ts, its error naming the option. */
function sizeOf(text: string, option: string): number {
  try {
    return parseSize(text);
  } catch (err) {
    if (err instanceof UnitError)
      throw new CLIError(`invalid ${option} ${JSON.stringify(text)}: ${err.detail}`);
    throw err;
  }
}

function parseInt(option: string, text: string, schema: z.ZodType): number {
  const { min, max } = bounds(schema);
  return parseIntOption(text, option, min, max);
}

/** min/max of a (possibly defaulted or optional) integer schema. */
function bounds(schema: z.ZodType): { min: number; max: number } {
  const n = unwrap(schema);
  if (!(n instanceof z.ZodNumber)) return { min: 0, max: Number.MAX_SAFE_INTEGER };
  return {
    min: Math.max(n.minValue ?? 0, 0),
    max: Math.min(n.maxValue ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  };
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** ` (1-1024, default 16)`, from the schema. */
function describe(schema: z.ZodType): string {
  const parts: string[] = [];
  const n = unwrap(schema);
  if (n instanceof z.ZodNumber) {
    const { min, max } = bounds(schema);
    if (max < Number.MAX_SAFE_INTEGER) parts.push(`${min}-${max}`);
  }
  if (schema instanceof z.ZodDefault) {
    const d: unknown = schema.parse(undefined);
    if (typeof d === 'number' || typeof d === 'string') parts.push(`default ${d}`);
  }
  if (n instanceof z.ZodEnum) parts.unshift((n.options as string[]).join('|'));
  return parts.length ? ` (${parts.join(', ')})` : '';
}
