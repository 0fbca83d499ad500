// verifyWorkflow: re-reads every object a job wrote and compares it with what the job recorded (size and
// checksum), and with `sourceBaseUrl` re-reads the origin too. Durable like the copy: the report parts of the
// job are its work list, walked in pages of part keys (positions, never names) by scanReportBatches, verified
// by verifyBatch activities in a window, counted here, carried across continue-as-new. Each object's outcome
// (verified / mismatch / missing) goes to the job's files, not to history.
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { FerryActivities } from '../activities/index.js';
import {
  VerifyInputSchema,
  addVerifyTotals,
  emptyVerifyTotals,
  type VerifyInput,
  type VerifyReport,
} from '../common/verify.js';
import { verifyActivityOptions } from './activity-options.js';
import { CONTINUE_AS_NEW_AT_EVENTS } from './run-state.js';

/** Part keys per scan: ≤ 64 short keys in one activity result. */
const SCAN_KEYS = 64;

export async function verifyWorkflow(raw: VerifyInput): Promise<VerifyReport> {
  const parsed = VerifyInputSchema.safeParse(raw);
  if (!parsed.success)
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `verify input: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      nonRetryable: true,
    });
  const input = parsed.data;
  const info = workflowInfo();
  const carry = input.carry ?? {
    totals: emptyVerifyTotals(),
    runs: 1,
    startedAtMs: Date.now(),
    maxHistoryEvents: 0,
  };
  const totals = { ...carry.totals };
  const verifyId = info.firstExecutionRunId.slice(0, 8);
  const acts = proxyActivities<FerryActivities>(verifyActivityOptions());
  const continueAt = input.continueAsNewAtEvents ?? CONTINUE_AS_NEW_AT_EVENTS;
  let after = carry.after;
  let scanDone = false;
  let inFlight = 0;
  let failure: Error | undefined;
  /** Read through a call: TypeScript cannot see the callbacks that set it. */
  const failed = (): Error | undefined => failure;
  const pending: string[] = [];
  const show = () =>
    setCurrentDetails(
      `**ferry verify** of \`${input.jobId}\` (${input.mode}${input.sourceBaseUrl ? ', with the origin' : ''})\n\n` +
        `| verified | mismatch | missing | bytes re-read |\n|---:|---:|---:|---:|\n` +
        `| ${totals.verified} | ${totals.mismatch} | ${totals.missing} | ${totals.bytes} |`,
    );
  const tooLong = () => workflowInfo().historyLength > continueAt || workflowInfo().continueAsNewSuggested;

  for (;;) {
    show();
    const f0 = failed();
    if (f0) throw f0;
    if (pending.length === 0 && !scanDone && !tooLong()) {
      const r = await acts.scanReportBatches({
        destination: input.destination,
        jobId: input.jobId,
        ...(after !== undefined ? { after } : {}),
        limit: SCAN_KEYS,
      });
      pending.push(...r.keys);
      scanDone = r.done;
    }
    while (pending.length > 0 && inFlight < input.window && !tooLong()) {
      const key = pending.shift()!;
      after = key;
      inFlight++;
      void acts
        .verifyBatch({
          destination: input.destination,
          jobId: input.jobId,
          verifyId,
          key,
          mode: input.mode,
          concurrency: input.concurrency,
          ...(input.sourceBaseUrl ? { sourceBaseUrl: input.sourceBaseUrl } : {}),
        })
        .then(
          (t) => addVerifyTotals(totals, t),
          (err: unknown) => {
            failure ??= err instanceof Error ? err : new Error(String(err));
          },
        )
        .finally(() => inFlight--);
    }
    // `after` is the last key dispatched: a key is dispatched only once all keys before it were.
    if (inFlight === 0 && ((scanDone && pending.length === 0) || tooLong())) {
      const f1 = failed();
      if (f1) throw f1;
      if (scanDone && pending.length === 0) break;
      // Keys still pending come after `after`: the next run's scan lists them again.
      await continueAsNew<typeof verifyWorkflow>({
        ...input,
        carry: {
          ...(after !== undefined ? { after } : {}),
          totals,
          runs: carry.runs + 1,
          startedAtMs: carry.startedAtMs,
          maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
        },
      });
    }
    await condition(
      () =>
        failure !== undefined ||
        (inFlight < input.window && (pending.length > 0 || !scanDone) && !tooLong()) ||
        (inFlight === 0 && ((scanDone && pending.length === 0) || tooLong())),
    );
  }
  show();
  return {
    jobId: input.jobId,
    state: totals.mismatch + totals.missing === 0 ? 'verified' : 'mismatch',
    totals,
    reportAt: `verify/${verifyId}/`,
    durationMs: Date.now() - carry.startedAtMs,
    runs: carry.runs,
    maxHistoryEvents: Math.max(carry.maxHistoryEvents, workflowInfo().historyLength),
  };
}
