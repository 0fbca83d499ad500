// `ferry job schedule create|list|describe|pause|unpause|trigger|backfill|delete`: recurring syncs on Temporal
// Schedules. A schedule's action is exactly the job `ferry job start download|prefetch ...` would start (the
// arguments after `--` are parsed by the same commands, checked by the same prepareJob), with --skip-existing
// forced on so each run copies only what is new or changed. Everything is checked before anything connects.
import { Command } from 'commander';
import { scheduleIdProblem } from '../../common/ids.js';
import { CLIError } from '../errors.js';
import { overlapOf, scheduleParts, timeOf, type ScheduleOpts } from '../schedule-spec.js';
import type { NewJob } from './job-start.js';

const START_KINDS = ['download', 'prefetch'];

export function register(job: Command): void {
  const schedule = job
    .command('schedule')
    .description(
      'recurring syncs: run a job on a Temporal Schedule (each run copies only what is new or changed)',
    );
  schedule
    .command('create')
    .description(
      'create a schedule whose runs are `job start` with these arguments, e.g. create nightly --every 1d -- prefetch http://host/d/ s3://b',
    )
    .argument('<id>', "schedule ID, also the prefix of its runs' job IDs (<id>-<scheduled time>)")
    .argument('[job-args...]', 'after `--`: the arguments of `ferry job start`, e.g. download URL BUCKET')
    .option('--every <duration>', 'run at this interval: 30s, 5m, 1h, 1h30m, 1d (at least 1s)')
    .option('--offset <duration>', 'with --every: shift the runs from the interval boundaries')
    .option('--cron <expr>', "run at these times (5-field cron, e.g. '0 2 * * *'; repeatable)", collect)
    .option('--timezone <tz>', 'IANA time zone of --cron (default UTC)')
    .option('--jitter <duration>', 'start each run up to this much later, at random')
    .option('--start-at <time>', 'no run before this time (ISO 8601, or now+1h)')
    .option('--end-at <time>', 'no run after this time (ISO 8601, or now+7d)')
    .option(
      '--overlap <policy>',
      'when a run is due while the previous one still runs: skip (default), buffer-one, buffer-all, cancel-other, terminate-other, allow-all',
    )
    .option(
      '--catchup-window <duration>',
      'after an outage, runs missed within this window are still taken (default 1y)',
    )
    .option(
      '--pause-on-failure',
      'pause the schedule when a run fails (a run with failed objects completes)',
      false,
    )
    .option('--paused', 'create it paused', false)
    .option('--note <text>', 'a note shown by describe (e.g. why it is paused)')
    .action(async (id: string, jobArgs: string[], o: ScheduleOpts) => {
      checkId(id);
      const parts = scheduleParts(o);
      const newJob = await jobOf(jobArgs);
      const { createSchedule } = await import('../schedule.js');
      process.exitCode = await createSchedule(id, parts, newJob, jobArgs);
    });
  schedule
    .command('list')
    .description("ferry's schedules: spec, state, last and next run")
    .option('--json', 'machine-readable output', false)
    .action(async (o: { json: boolean }) => {
      const { listSchedules } = await import('../schedule.js');
      process.exitCode = await listSchedules(o);
    });
  schedule
    .command('describe')
    .description('spec, overlap policy, state, the next run times and the recent runs with their totals')
    .argument('<id>', 'schedule ID')
    .option('--json', 'machine-readable output', false)
    .action(async (id: string, o: { json: boolean }) => {
      checkId(id);
      const { describeSchedule } = await import('../schedule-describe.js');
      process.exitCode = await describeSchedule(id, o);
    });
  schedule
    .command('pause')
    .description('take no more runs until unpaused (a run in progress goes on)')
    .argument('<id>', 'schedule ID')
    .option('--note <text>', 'why (shown by describe and list)')
    .action(async (id: string, o: { note?: string }) => {
      checkId(id);
      const { controlSchedule } = await import('../schedule.js');
      process.exitCode = await controlSchedule(id, { op: 'pause', ...(o.note ? { note: o.note } : {}) });
    });
  schedule
    .command('unpause')
    .description('take runs again at the next scheduled time')
    .argument('<id>', 'schedule ID')
    .option('--note <text>', 'a new note')
    .action(async (id: string, o: { note?: string }) => {
      checkId(id);
      const { controlSchedule } = await import('../schedule.js');
      process.exitCode = await controlSchedule(id, { op: 'unpause', ...(o.note ? { note: o.note } : {}) });
    });
  schedule
    .command('trigger')
    .description("start a run now (under the schedule's overlap policy unless --overlap; also when paused)")
    .argument('<id>', 'schedule ID')
    .option('--overlap <policy>', 'overlap policy of this run only')
    .action(async (id: string, o: { overlap?: string }) => {
      checkId(id);
      const overlap = o.overlap === undefined ? undefined : overlapOf(o.overlap);
      const { controlSchedule } = await import('../schedule.js');
      process.exitCode = await controlSchedule(id, { op: 'trigger', ...(overlap ? { overlap } : {}) });
    });
  schedule
    .command('backfill')
    .description('take the runs the spec had between --start and --end now, as if they had happened')
    .argument('<id>', 'schedule ID')
    .requiredOption('--start <time>', 'from this time (ISO 8601, or now-1d)')
    .requiredOption('--end <time>', 'to this time (ISO 8601, or now)')
    .option('--overlap <policy>', "overlap policy of these runs (default: the schedule's)")
    .action(async (id: string, o: { start: string; end: string; overlap?: string }) => {
      checkId(id);
      const start = timeOf('--start', o.start);
      const end = timeOf('--end', o.end);
      if (end <= start) throw new CLIError('backfill: --end must be later than --start');
      const overlap = o.overlap === undefined ? undefined : overlapOf(o.overlap);
      const { controlSchedule } = await import('../schedule.js');
      process.exitCode = await controlSchedule(id, {
        op: 'backfill',
        start,
        end,
        ...(overlap ? { overlap } : {}),
      });
    });
  schedule
    .command('delete')
    .description('delete the schedule (a run in progress goes on: stop it with `ferry job stop`)')
    .argument('<id>', 'schedule ID')
    .action(async (id: string) => {
      checkId(id);
      const { controlSchedule } = await import('../schedule.js');
      process.exitCode = await controlSchedule(id, { op: 'delete' });
    });
}

// --- internal ---
function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function checkId(id: string): void {
  const p = scheduleIdProblem(id);
  if (p) throw new CLIError(p);
}

/**
 * The job of the arguments after `--`, parsed by `job start`'s own download/prefetch commands (their options,
 * checks and messages), with the flags that make no sense on a schedule refused.
 */
async function jobOf(args: string[]): Promise<NewJob> {
  const example = 'e.g. `-- prefetch http://host:51061/data/ s3://bucket`';
  if (args.length === 0)
    throw new CLIError(`schedule create: give the job after \`--\`, as for \`ferry job start\`: ${example}`);
  if (!START_KINDS.includes(args[0]!))
    throw new CLIError(
      `schedule create: the job after \`--\` starts with ${START_KINDS.join(' or ')}, not ${JSON.stringify(args[0])}: ${example}`,
    );
  const { addStartCommands } = await import('./job-start.js');
  let found: NewJob | undefined;
  const start = new Command('start').exitOverride().configureOutput({
    // Commander's own messages (unknown option, missing argument) as one ferry line; reportError exits 2.
    writeErr: (s) => process.stderr.write(s.replace(/^error: /, 'ferry: schedule create: job arguments: ')),
  });
  addStartCommands(start, (j) => {
    found = j;
    return Promise.resolve(0);
  });
  await start.parseAsync(args, { from: 'user' });
  if (!found) throw new CLIError(`schedule create: no job in the arguments after \`--\`: ${example}`);
  const o = found.opts;
  if (o.wait)
    throw new CLIError('schedule create: --wait is for `job start`; a schedule runs on `ferry worker`s');
  if (o.dryRun) throw new CLIError('schedule create: --dry-run is for `job start`; try the job there first');
  // Each run is a job of its own, started by the server: a local file cannot be staged for runs not yet started.
  if (found.manifest?.local)
    throw new CLIError(
      'schedule create: a schedule reads its manifest afresh each run: give it as an http(s)://, s3://, ais:// or file:// URI, not a local path',
    );
  return found;
}
