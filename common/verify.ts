// `ferry job verify`: what the verification workflow takes and returns. Pure (workflows import it). Names never
// appear here: the workflow carries report-part keys (batch positions), and each object's outcome is written to
// the job's files (lib/job-files.ts) under `verify/<verifyId>/`, read back by the CLI.
import { z } from 'zod';

/** Which objects a verification re-reads: the ones the job copied, or every one it accounted as present. */
export const VerifyMode = z.enum(['transferred', 'all']);
export type VerifyMode = z.infer<typeof VerifyMode>;

export const VerifyTotalsSchema = z.object({
  verified: z.number().int().min(0),
  mismatch: z.number().int().min(0),
  missing: z.number().int().min(0),
  /** Bytes re-read from the destination (and from the origin with `source`). */
  bytes: z.number().int().min(0),
});
export type VerifyTotals = z.infer<typeof VerifyTotalsSchema>;

export const VerifyInputSchema = z.object({
  /** The job whose objects are verified (its report parts list them). */
  jobId: z.string().min(1),
  destination: z.string().min(1),
  mode: VerifyMode.default('transferred'),
  /** Re-read the origin too: each object's bytes there must match the stored copy. */
  sourceBaseUrl: z.string().optional(),
  /** Parallel verifyBatch activities. */
  window: z.number().int().min(1).max(64).default(4),
  /** Objects re-read at once per batch. */
  concurrency: z.number().int().min(1).max(256).default(8),
  carry: z
    .object({
      after: z.string().optional(),
      totals: VerifyTotalsSchema,
      runs: z.number().int().min(1),
      startedAtMs: z.number(),
      maxHistoryEvents: z.number().int().min(0),
    })
    .optional(),
  /** Test hook: continue-as-new above this many events (default 4,000). */
  continueAsNewAtEvents: z.number().int().min(50).optional(),
});
export type VerifyInput = z.input<typeof VerifyInputSchema>;
export type VerifyInputParsed = z.output<typeof VerifyInputSchema>;

export const VerifyReportSchema = z.object({
  jobId: z.string(),
  /** `verified`: every object matched; `mismatch`: at least one object differs or is missing. */
  state: z.enum(['verified', 'mismatch']),
  totals: VerifyTotalsSchema,
  /** Where the per-object outcomes are (the job's files), e.g. `file:///b/.ferry/jobs/<job>/verify/<id>/`. */
  reportAt: z.string(),
  durationMs: z.number(),
  runs: z.number().int(),
  maxHistoryEvents: z.number().int(),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;

export function emptyVerifyTotals(): VerifyTotals {
  return { verified: 0, mismatch: 0, missing: 0, bytes: 0 };
}

export function addVerifyTotals(a: VerifyTotals, b: VerifyTotals): void {
  a.verified += b.verified;
  a.mismatch += b.mismatch;
  a.missing += b.missing;
  a.bytes += b.bytes;
}

/** The verification workflow's ID for a job: one per job at a time (a second verify of a running one attaches). */
export function verifyWorkflowId(jobId: string): string {
  return `${jobId}.verify`;
}
