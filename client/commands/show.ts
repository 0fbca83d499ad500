// `ferry show job [ID]`: the job table, or one job. Answers from the server alone when no worker polls the
// job's queue (describe, pending activities with their last heartbeat, the published state, the totals in
// its history) and says so in one line; queries only a job whose queue has a worker, with a short deadline.
import type { Command } from 'commander';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Connected } from '../connection.js';
import type { JobSnapshot } from '../job-state.js';
import type { MigrationReport } from '../../common/schemas.js';
import { CLIError, EXIT } from '../errors.js';
import { excludedText, humanBytes, humanDuration, table } from '../format.js';

interface ShowOpts {
  progress?: boolean;
  all?: boolean;
  json?: boolean;
  report?: string;
  format?: string;
  schedule?: string;
}

export function register(program: Command): void {
  program
    .command('show')
    .description('show jobs')
    .command('job')
    .description('job table (running; --all for every job), or one job with [id]')
    .argument('[id]', 'job ID')
    .option('--progress', 'live progress bars with rate and ETA until the job ends', false)
    .option('--all', 'include finished jobs', false)
    .option('--json', 'machine-readable output', false)
    .option(
      '--report <file|bucket-uri>',
      'write the per-object report: a path, - (stdout), s3://, ais://, file://',
    )
    .option('--format <jsonl|csv>', 'format of --report (default: jsonl; csv for a .csv name)')
    .option(
      '--schedule <id>',
      'only the runs of this schedule (`job schedule create`), all of them with --all',
    )
    .action(async (id: string | undefined, o: ShowOpts) => {
      if ((o.report || o.format) && !id)
        throw new CLIError('--report needs a job ID: ferry show job ID --report FILE');
      if (o.format && !o.report) throw new CLIError('--format goes with --report FILE');
      if (o.schedule !== undefined) {
        const { scheduleIdProblem } = await import('../../common/ids.js');
        const p = scheduleIdProblem(o.schedule);
        if (p) throw new CLIError(p);
      }
      const { connect } = await import('../connection.js');
      const conn = await connect({ allowEmbedded: true });
      try {
        if (id && o.report) {
          const { showReport } = await import('../show-report.js');
          process.exitCode = await showReport(conn, id, o.report, o.format);
          return;
        }
        process.exitCode = id ? await showJob(conn, id, o) : await showJobs(conn, o);
      } finally {
        await conn.close();
      }
    });
}

// --- internal ---
async function showJob(conn: Connected, id: string, opts: ShowOpts): Promise<number> {
  const [{ describeJob, jobSnapshot, withInFlight }, { printReport, printResult, reportExit }] =
    await Promise.all([import('../job-state.js'), import('../report.js')]);
  const desc = await describeJob(conn, id);
  const handle = conn.client.workflow.getHandle(id);
  if (desc.status.name === 'RUNNING') {
    if (opts.progress) {
      const { watchJobs } = await import('../progress.js');
      await watchJobs(conn, [id], { quiet: false });
      return await printResult(conn.client, id);
    }
    const snap = await jobSnapshot(conn, id, desc);
    if (snap.progress) {
      const p = withInFlight(snap.progress, snap.pending);
      if (opts.json) console.log(JSON.stringify(p, null, 2));
      else {
        const { progressLine } = await import('../progress.js');
        console.log(
          table(
            ['PROPERTY', 'VALUE'],
            [
              ['job', id],
              ['state', p.state],
              ['source', p.source],
              ['destination', p.destination],
              ['progress', progressLine(p)],
              ['bytes', humanBytes(p.totals.bytes)],
              ['elapsed', humanDuration(p.elapsedMs)],
              ['max-conns', String(p.maxConns)],
              ['runs', String(p.runs)],
              ...(p.servedUrl ? [['origin', p.servedUrl]] : []),
            ],
          ),
        );
      }
      return EXIT.ok;
    }
    await printServerView(conn, snap, opts);
    return EXIT.ok;
  }
  if (desc.status.name === 'COMPLETED') {
    const { withFailureNames } = await import('../failure-names.js');
    const report = await withFailureNames((await handle.result()) as MigrationReport, id);
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else printReport(id, report);
    // With --progress the command stands for "wait for the job": exit like --wait does.
    return opts.progress ? reportExit(report) : EXIT.ok;
  }
  return await printResult(conn.client, id).catch(() => {
    console.log(`job ${id}: ${desc.status.name.toLowerCase()}`);
    return EXIT.error;
  });
}

/** A running job no worker answers for: what the server knows, then the one line that says why. */
async function printServerView(conn: Connected, snap: JobSnapshot, opts: ShowOpts): Promise<void> {
  const [{ historyTotals, inputOf }, { validateJob }] = await Promise.all([
    import('../report.js'),
    import('../validate.js'),
  ]);
  const history = await conn.client.workflow.getHandle(snap.id).fetchHistory();
  const totals = historyTotals(conn.client, history);
  const input = inputOf(conn.client, history);
  let total: number | undefined;
  try {
    const only = input?.options?.onlyIndexes;
    total = only ? only.reduce((a, [s, e]) => a + e - s, 0) : input ? validateJob(input).total : undefined;
  } catch {
    // an input this CLI cannot plan: the count stays unknown
  }
  const done = totals.copied + totals.skipped + totals.failed + (totals.excluded ?? 0);
  const now = Date.now();
  if (opts.json) {
    console.log(
      JSON.stringify(
        {
          ...snap,
          worker: snap.workerPolling ?? false,
          done,
          ...(total !== undefined ? { total } : {}),
          totals,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(
      table(
        ['PROPERTY', 'VALUE'],
        [
          ['job', snap.id],
          ['state', `${snap.state} (last published)`],
          ['source', snap.source ?? '-'],
          ['destination', snap.destination ?? '-'],
          [
            'done',
            `${done}/${total ?? '?'} in finished batches (${totals.copied} copied, ${totals.skipped} skipped, ${totals.failed} failed${excludedText(totals)})`,
          ],
          ['bytes', humanBytes(totals.bytes)],
          ['started', snap.startedAt.toISOString()],
          ['task queue', snap.taskQueue],
          ['history', `${snap.historyLength} events`],
          ...snap.pending.map((a, i) => [
            i === 0 ? 'pending' : '',
            `${a.type} attempt ${a.attempt}, last heartbeat ${a.lastHeartbeatMs ? `${humanDuration(now - a.lastHeartbeatMs)} ago` : 'never'}` +
              (a.totals
                ? `, ${a.totals.copied + a.totals.skipped + a.totals.failed + (a.totals.excluded ?? 0)} objects so far`
                : '') +
              (a.lastFailure ? `, last failure: ${a.lastFailure.slice(0, 80)}` : ''),
          ]),
        ],
      ),
    );
  }
  console.error(`ferry: ${snap.unanswered ?? 'no answer from a worker'}`);
}

async function showJobs(conn: Connected, opts: ShowOpts): Promise<number> {
  // A schedule's runs carry Temporal's own TemporalScheduledById; the ID was checked (no quotes in it).
  const query =
    `WorkflowType = 'migrationWorkflow'${opts.all ? '' : ` AND ExecutionStatus = 'Running'`}` +
    (opts.schedule ? ` AND TemporalScheduledById = '${opts.schedule}'` : '');
  const rows: string[][] = [];
  const seen = new Set<string>();
  const polled = new Map<string, Promise<boolean>>();
  for await (const wf of conn.client.workflow.list({ query })) {
    // A resumed job has several executions under one ID; the newest (listed first) is the job's state.
    if (seen.has(wf.workflowId)) continue;
    seen.add(wf.workflowId);
    rows.push(await jobRow(conn, wf, polled));
    if (rows.length >= 1000) break;
  }
  if (opts.json)
    console.log(
      JSON.stringify(
        rows.map(([id, state, progress, source, destination, started]) => ({
          id,
          state,
          progress,
          source,
          destination,
          started,
        })),
        null,
        2,
      ),
    );
  else if (rows.length === 0)
    console.log(opts.all ? 'no jobs' : 'no running jobs (use --all to include finished ones)');
  else console.log(table(['JOB ID', 'STATE', 'PROGRESS', 'SOURCE', 'DESTINATION', 'STARTED'], rows));
  return EXIT.ok;
}

async function jobRow(
  conn: Connected,
  wf: WorkflowExecutionInfo,
  polled: Map<string, Promise<boolean>>,
): Promise<string[]> {
  const [{ FerryDestination, FerrySource, FerryState }, { queryProgress, workerPolls }] = await Promise.all([
    import('../../common/search-attributes.js'),
    import('../job-state.js'),
  ]);
  const sa = wf.typedSearchAttributes;
  let state = sa.get(FerryState) ?? wf.status.name.toLowerCase();
  let progress = '-';
  if (wf.status.name === 'RUNNING') {
    // One poller check per queue; a query only where a worker polls, so the table never waits on a query.
    if (!polled.has(wf.taskQueue))
      polled.set(
        wf.taskQueue,
        workerPolls(conn, wf.taskQueue).catch(() => false),
      );
    if (await polled.get(wf.taskQueue)) {
      const p = await queryProgress(conn, wf.workflowId);
      if (p) {
        progress = `${p.done}/${p.total}`;
        state = p.state;
      }
    } else progress = 'no worker';
  } else if (wf.status.name !== 'COMPLETED') state = wf.status.name.toLowerCase();
  return [
    wf.workflowId,
    state,
    progress,
    sa.get(FerrySource) ?? '-',
    sa.get(FerryDestination) ?? '-',
    wf.startTime.toISOString(),
  ];
}
