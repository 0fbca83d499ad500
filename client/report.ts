// A finished job as the user reads it (the report, or why it failed), and what the CLI decodes from a job's
// history: the run's input, and — for a running job no worker answers for — the totals of its finished batches.
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import {
  CopyBatchOutputSchema,
  type MigrationInput,
  type MigrationReport,
  type Totals,
} from '../common/schemas.js';
import { EXIT, type ExitCode } from './errors.js';
import { withFailureNames } from './failure-names.js';
import { excludedText, humanBytes, humanDuration, table } from './format.js';

/** The exit code of a finished job's report. */
export function reportExit(r: MigrationReport): ExitCode {
  if (r.state === 'completed') return r.verify?.state === 'mismatch' ? EXIT.failures : EXIT.ok;
  return r.state === 'stopped' ? EXIT.stopped : EXIT.failures;
}

/** Wait for the job's result, print it, and return its exit code. */
export async function printResult(client: Client, jobId: string): Promise<number> {
  const handle = client.workflow.getHandle(jobId);
  let report: MigrationReport;
  try {
    report = (await handle.result()) as MigrationReport;
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      // An activity's failure (e.g. prepareBucket's DestinationForbidden) arrives wrapped in an ActivityFailure.
      const cause = err.cause instanceof ActivityFailure ? (err.cause.cause ?? err.cause) : err.cause;
      const type = cause instanceof ApplicationFailure ? cause.type : undefined;
      console.error(`job ${jobId} failed${type ? ` (${type})` : ''}: ${cause?.message ?? err.message}`);
      return type === 'InvalidInput' ? EXIT.usage : EXIT.error;
    }
    throw err;
  }
  printReport(jobId, await withFailureNames(report, jobId));
  return reportExit(report);
}

export function printReport(jobId: string, r: MigrationReport): void {
  const secs = r.durationMs / 1000;
  console.log(
    `job ${jobId} ${r.state}: ${r.totals.copied} copied, ${r.totals.skipped} skipped, ${r.totals.failed} failed${excludedText(r.totals)} of ${r.total}; ` +
      `${humanBytes(r.totals.bytes)} in ${humanDuration(r.durationMs)} (${(r.totals.copied / Math.max(secs, 0.001)).toFixed(0)} obj/s, ` +
      `${humanBytes(r.totals.bytes / Math.max(secs, 0.001))}/s); runs ${r.runs}, largest run history ${r.maxHistoryEvents} events`,
  );
  if (r.totals.excluded && r.totals.excluded === r.total)
    console.log(`no name matched the job's --include/--exclude/--prefix: all ${r.total} were excluded`);
  if (r.sync)
    console.log(
      `sync: deleted ${r.sync.deleted} destination object(s) not in the source` +
        (r.sync.listedIn && r.sync.deleted
          ? ` (named in ${r.sync.listedIn})`
          : r.sync.sample?.length
            ? `: ${r.sync.sample.join(', ')}${r.sync.deleted > r.sync.sample.length ? ', ...' : ''}`
            : ''),
    );
  if (r.verify)
    console.log(
      `verify: ${r.verify.verified} verified, ${r.verify.mismatch} mismatch, ${r.verify.missing} missing` +
        (r.verify.state === 'mismatch'
          ? `; \`ferry job verify ${jobId} --report FILE\` lists them (workflow ${r.verify.workflowId})`
          : ''),
    );
  if (r.failures.length) {
    console.log(
      table(
        ['FAILED OBJECT', 'ERROR', 'RETRYABLE', 'MESSAGE'],
        r.failures
          .slice(0, 50)
          .map((f) => [f.name, f.type, f.retryable ? 'yes' : 'no', f.message.slice(0, 120)]),
      ),
    );
    // History holds no object names (lib/anonymous-failure.ts): the report names them.
    console.log(
      (r.totals.failed > 50 ? `... ${r.totals.failed - 50} more; ` : '') +
        `\`ferry show job ${jobId} --report FILE\` names every failed object`,
    );
    console.log(`Run \`ferry job resume ${jobId}\` to copy the failed objects again.`);
  }
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** The input of the run whose history this is (its first event). */
export function inputOf(client: Client, history: History): MigrationInput | undefined {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  return client.options.loadedDataConverter.payloadConverter.fromPayload<MigrationInput>(payload);
}

/**
 * What the current run's history says was done: totals carried in from earlier runs plus every copyBatch that
 * completed in this one. Read from the server alone (no worker); in-flight batches are not in it. Histories
 * stay below a few thousand events (continue-as-new), so this is one or two pages.
 */
export function historyTotals(client: Client, history: History): Totals {
  const converter = client.options.loadedDataConverter.payloadConverter;
  const input = inputOf(client, history);
  const totals: Totals = { ...(input?.carry?.totals ?? { copied: 0, skipped: 0, failed: 0, bytes: 0 }) };
  const copyBatches = new Set<string>();
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'copyBatch') copyBatches.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    if (!done || !copyBatches.has(String(done.scheduledEventId))) continue;
    const payload = done.result?.payloads?.[0];
    if (!payload) continue;
    try {
      const r = CopyBatchOutputSchema.safeParse(converter.fromPayload(payload));
      if (!r.success) continue;
      const out = r.data;
      totals.copied += out.totals.copied;
      totals.skipped += out.totals.skipped;
      totals.failed += out.totals.failed;
      totals.bytes += out.totals.bytes;
      if (out.totals.excluded) totals.excluded = (totals.excluded ?? 0) + out.totals.excluded;
    } catch {
      // an undecodable result leaves the totals a little behind
    }
  }
  return totals;
}
