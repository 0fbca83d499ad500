// The one contract of a copy batch's progress as it crosses the wire: what copyBatch heartbeats (and a retried
// attempt resumes from), what it attaches to a cancellation, and what a BatchIncomplete failure carries for
// the workflow to report. Three readers: copyBatch itself, the migration workflow, and the CLI's live view of
// in-flight batches. Readers parse with safeParse: details come off the wire and may come from another version.
import { z } from 'zod';
import { ObjectFailureSchema, TotalsSchema } from './schemas.js';

/** What a heartbeat records; a retried attempt resumes from it. Also the details of a batch's cancellation. */
export const CheckpointSchema = z.object({
  /** Base64 bitset over the batch's positions (common/bitset.ts): bit p set = position p finished. */
  done: z.string(),
  /** What the finished positions amount to. */
  totals: TotalsSchema,
  /** Objects that failed for good (not retried within the job). */
  failures: z.array(ObjectFailureSchema),
  /**
   * Indexes of the permanent failures beyond `failures` (a sample of MAX_BATCH_FAILURE_SAMPLE), as [start, end)
   * ranges: every failed object is named in the job's report parts, not here, so history does not grow with
   * failures. Absent from checkpoints of older releases, whose `failures` were complete.
   */
  failedRanges: z.array(z.tuple([z.number().int().min(0), z.number().int().min(1)])).optional(),
  /**
   * A listing batch's span as this attempt walked it (lib/listing spanDigest: its names, hashed). A retry whose
   * walk of the same span gives other names — one file deleted and another created, same count — must not
   * trust the bits, which belong to the old positions. Absent for templates and lists, whose names cannot move.
   */
  span: z.string().optional(),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

/** Details[0] of a BatchIncomplete failure: the checkpoint plus the objects that still failed transiently. */
export const BatchIncompleteDetailsSchema = CheckpointSchema.extend({
  /** Transiently failing objects (at most MAX_TRANSIENT_DETAILS of them). */
  transient: z.array(ObjectFailureSchema),
});
export type BatchIncompleteDetails = z.infer<typeof BatchIncompleteDetailsSchema>;

/** Permanent failures named in a batch's checkpoint and output; the rest are index ranges (failedRanges). */
export const MAX_BATCH_FAILURE_SAMPLE = 10;

/** Transient failures named in a BatchIncomplete's details; the rest are counted, not named. */
export const MAX_TRANSIENT_DETAILS = 100;

/** A checkpoint read off the wire, or undefined when there is none or it does not parse. */
export function readCheckpoint(details: unknown): Checkpoint | undefined {
  const r = CheckpointSchema.safeParse(details);
  return r.success ? r.data : undefined;
}

/** BatchIncomplete details read off the wire, or undefined when absent or malformed. */
export function readBatchIncompleteDetails(details: unknown): BatchIncompleteDetails | undefined {
  const r = BatchIncompleteDetailsSchema.safeParse(details);
  return r.success ? r.data : undefined;
}
