// `ferry job stop|pause|unpause|set ID`: signals and the setOptions update of a running job. Signals are
// recorded by the server whether or not a worker runs (they take effect when one polls); an update needs a
// worker to accept it, so `set` refuses at once when none polls and gives up after UPDATE_DEADLINE_MS.
import type { Command } from 'commander';
import { SignalName, UpdateName } from '../../common/queues.js';
import type { SetOptionsInput } from '../../common/schemas.js';
import { CLIError, EXIT, GrpcStatus, grpcCode } from '../errors.js';
import { humanBytes } from '../format.js';
import { addSetOptions, buildChange } from '../job-options.js';

/** A worker accepts an update within milliseconds; this bounds the wait on one that stopped answering. */
const UPDATE_DEADLINE_MS = 10_000;

const SIGNALS = {
  stop: 'stop a running job gracefully (in-flight objects finish or are abandoned atomically)',
  pause: 'pause a running job (in-flight batches finish)',
  unpause: 'unpause a paused job',
} as const;

export function register(job: Command): void {
  for (const [what, description] of Object.entries(SIGNALS) as [keyof typeof SIGNALS, string][]) {
    job
      .command(what)
      .description(description)
      .argument('<id>', 'job ID')
      .action(async (id: string) => {
        process.exitCode = await signalJob(id, what);
      });
  }
  addSetOptions(
    job
      .command('set')
      .description('change a running job: --max-conns, --limit-bph')
      .argument('<id>', 'job ID'),
  ).action(async (id: string, o: { maxConns?: string; limitBph?: string }) => {
    const change = buildChange(o);
    if (!Object.keys(change).length)
      throw new CLIError('job set: nothing to change (give --max-conns or --limit-bph)');
    process.exitCode = await setJobOptions(id, change);
  });
}

// --- internal ---
async function signalJob(id: string, what: keyof typeof SIGNALS): Promise<number> {
  const { connect } = await import('../connection.js');
  const { describeJob, noWorkerLine, workerPolls } = await import('../job-state.js');
  const conn = await connect({ allowEmbedded: true });
  try {
    const desc = await describeJob(conn, id);
    if (desc.status.name !== 'RUNNING')
      throw new CLIError(`job ${id} is not running (${desc.status.name.toLowerCase()})`, EXIT.error);
    const polled = await workerPolls(conn, desc.taskQueue);
    await conn.client.workflow.getHandle(id).signal(SignalName[what]);
    console.log(`${what} requested for job ${id}`);
    if (!polled)
      console.error(
        `ferry: warning: ${noWorkerLine(desc.taskQueue)}; the ${what} takes effect when one does`,
      );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}

async function setJobOptions(id: string, change: SetOptionsInput): Promise<number> {
  const { connect } = await import('../connection.js');
  const { describeJob, noWorkerLine, workerPolls } = await import('../job-state.js');
  const conn = await connect({ allowEmbedded: true });
  try {
    const desc = await describeJob(conn, id);
    if (desc.status.name !== 'RUNNING')
      throw new CLIError(`job ${id} is not running (${desc.status.name.toLowerCase()})`, EXIT.error);
    // An update waits for a worker to accept it: with none polling it would wait without a word.
    if (!(await workerPolls(conn, desc.taskQueue)))
      throw new CLIError(`job ${id} not changed: ${noWorkerLine(desc.taskQueue)}`, EXIT.error);
    const handle = conn.client.workflow.getHandle(id);
    let r: { maxConns: number; limitBph: number };
    try {
      r = await conn.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        handle.executeUpdate<{ maxConns: number; limitBph: number }, [SetOptionsInput]>(
          UpdateName.setOptions,
          { args: [change] },
        ),
      );
    } catch (err) {
      const e = err as { name?: string; cause?: { message?: string } };
      if (
        e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError' ||
        grpcCode(err) === GrpcStatus.DEADLINE_EXCEEDED
      )
        throw new CLIError(
          `job ${id} not changed: no worker accepted the change within ${UPDATE_DEADLINE_MS / 1000} s on task queue \`${desc.taskQueue}\`; try again`,
          EXIT.error,
        );
      if (e.name === 'WorkflowUpdateFailedError')
        throw new CLIError(`job ${id} refused the change: ${e.cause?.message ?? 'invalid'}`, EXIT.usage);
      throw err;
    }
    console.log(
      `job ${id}: max-conns ${r.maxConns}, limit ${r.limitBph ? `${humanBytes(r.limitBph)}/h` : 'none'}`,
    );
    return EXIT.ok;
  } finally {
    await conn.close();
  }
}
