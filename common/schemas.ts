// zod schemas for every boundary: workflow input, activity input/output, signals and updates. Types are
// inferred from them (`...Input` / `...Output`). Pure: imported by workflow code.
import { z } from 'zod';

/** Hard ceiling on a job's name count unless the caller raises it (see template engine). */
export const DEFAULT_MAX_NAMES = 10_000_000;

export const FmtRangeSchema = z.object({
  start: z.number().int().min(0).default(0),
  end: z.number().int().min(0),
  step: z.number().int().min(1).default(1),
});

/** --include / --exclude globs and --prefix of a listing or manifest source (rclone semantics, lib/listing/filter.ts). */
export const KeyFilterSchema = z.object({
  /** Only names that start with this (a plain string, not a glob). */
  prefix: z.string().min(1).max(1024).optional(),
  include: z.array(z.string().min(1).max(1024)).max(100).optional(),
  exclude: z.array(z.string().min(1).max(1024)).max(100).optional(),
});

/**
 * Where a manifest is kept: `at: 'job'` — staged by the CLI into the destination as the job's file `manifest`
 * (lib/job-files.ts: `.ferry/jobs/<job>/manifest`), a local file or a remote one the CLI read while checking it
 * (`from`: where it was read, for messages); `uri` — read where it is, by every worker: an http(s) URL,
 * `s3://bucket/key`, `ais://bucket/key` or `file:///abs/path` (a path every worker host sees; schedules, whose
 * runs read it afresh).
 */
export const ManifestRefSchema = z.union([
  z.object({ at: z.literal('job'), from: z.string().min(1).max(2048).optional() }),
  z.object({ uri: z.string().min(1).max(2048) }),
]);
export type ManifestRef = z.infer<typeof ManifestRefSchema>;

/**
 * Where the names come from.
 * - `template`: `baseUrl` + each name of `template` (AIStore template syntax).
 * - `list`: `baseUrl` + each of `names` (an explicit object list; capped, it travels in history).
 * - `directory`: a directory on a data host; the workflow serves it over HTTP first (step 1), then copies
 *   `template`'s names from it (step 2).
 * - `listing`: every file an HTTP origin lists under `baseUrl`, recursively (ferry serve's JSON or an autoindex
 *   HTML page); names are read from the listing inside activities, never carried here.
 * - `tree`: every file under a directory on a data host: served as for `directory`, then walked as `listing`.
 * - `manifest`: `baseUrl` + each name of a manifest (common/manifest.ts), of any size; only where the manifest is
 *   travels here, its lines are read inside activities by byte span. New jobs given a list use this kind; `list`
 *   stays so that old histories replay and old jobs resume.
 */
export const SourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('template'),
    baseUrl: z.string().url(),
    template: z.string().min(1),
    fmt: FmtRangeSchema.optional(),
    /** Tested inside each copy batch against the name at each index; excluded names are counted, not copied. */
    filter: KeyFilterSchema.optional(),
  }),
  z.object({
    kind: z.literal('list'),
    baseUrl: z.string().url(),
    names: z.array(z.string()).min(1).max(100_000),
  }),
  z.object({
    kind: z.literal('directory'),
    root: z.string().startsWith('/', 'directory must be an absolute path'),
    /** Task queue of the worker that runs on the data host (`ferry worker --serve-root`). */
    hostQueue: z.string().min(1),
    template: z.string().min(1),
    fmt: FmtRangeSchema.optional(),
    filter: KeyFilterSchema.optional(),
  }),
  z.object({
    kind: z.literal('listing'),
    baseUrl: z.string().url(),
    filter: KeyFilterSchema.optional(),
  }),
  z.object({
    kind: z.literal('tree'),
    root: z.string().startsWith('/', 'directory must be an absolute path'),
    hostQueue: z.string().min(1),
    filter: KeyFilterSchema.optional(),
  }),
  z.object({
    kind: z.literal('manifest'),
    baseUrl: z.string().url(),
    manifest: ManifestRefSchema,
    filter: KeyFilterSchema.optional(),
  }),
]);
export type Source = z.infer<typeof SourceSchema>;
/** The sources whose names come from walking a listing (lib/listing). */
export type ListingSource = Extract<Source, { kind: 'listing' | 'tree' }>;
/** A manifest source: names read from a manifest by byte span inside activities. */
export type ManifestSource = Extract<Source, { kind: 'manifest' }>;
/** The sources walked by the listing branch (workflows/listing-job.ts): scanned for batch boundaries. */
export type ScannedSource = ListingSource | ManifestSource;
/** The sources whose names are given: a template or an explicit list. */
export type NamedSource = Exclude<Source, ScannedSource>;
export function isListingSource(s: Source): s is ListingSource {
  return s.kind === 'listing' || s.kind === 'tree';
}

/** --checksum: what copyBatch computes while streaming and records with each object (lib/checksum.ts). */
export const ChecksumAlgos = ['crc32c', 'crc64nvme', 'sha256', 'md5', 'none'] as const;
export type ChecksumAlgo = (typeof ChecksumAlgos)[number];
export const ChecksumAlgoSchema = z.enum(ChecksumAlgos);

export const JobOptionsSchema = z.object({
  /** Total concurrent object transfers across the job. */
  maxConns: z.number().int().min(1).max(1024).default(16),
  /** Bytes per hour across the job; 0 = unlimited. */
  limitBph: z.number().int().min(0).default(0),
  /** Objects per copyBatch activity. */
  /** Capped so a batch's heartbeat checkpoint (done bits + failures) stays far below the server's 2 MB payload limit. */
  batchSize: z.number().int().min(1).max(10_000).default(256),
  /** Copy batches in flight at once. */
  window: z.number().int().min(1).max(64).default(4),
  /** Attempts per copy batch for transient errors (backoff 1 s → 60 s) before what still fails is reported. */
  retries: z.number().int().min(1).max(100).default(20),
  /** Skip objects whose destination copy has the same size and source ETag/checksum. */
  skipExisting: z.boolean().default(false),
  /**
   * After a copy without failures, delete destination objects under the bucket URI that are not in the source
   * set. Never when the job stopped or had failures.
   */
  sync: z.boolean().default(false),
  /**
   * Run `ferry job verify` as the job's last phase (workflows/verify.ts as a child): `transferred` re-reads what
   * the job copied, `all` also what it skipped as present. Absent (old inputs) and `none` skip it.
   */
  verify: z.enum(['none', 'transferred', 'all']).optional(),
  /** Name-count ceiling for templates. */
  maxNames: z.number().int().min(1).max(1_000_000_000).default(DEFAULT_MAX_NAMES),
  /** Only these indexes (resume of a finished job with failures): ranges [start, end). */
  onlyIndexes: z
    .array(z.tuple([z.number().int().min(0), z.number().int().min(1)]))
    .max(10_000)
    .optional(),
  /**
   * Continue-as-new once a run's history passes this many events (or the server suggests it). Tests lower it to
   * cross runs quickly; absent in production inputs, so old inputs run unchanged.
   * @default 4000 (well below Temporal's 50k-event limit and the 10k per-run budget ferry holds itself to)
   */
  continueAsNewAtEvents: z.number().int().min(200).max(4000).optional(),
  /** Checksum computed while streaming, verified by the store where it can and recorded with each object. */
  checksum: ChecksumAlgoSchema.default('crc32c'),
  /** Parallel Range requests per large object (lib/ranged-get.ts); 1 fetches every object as one stream. */
  streams: z.number().int().min(1).max(64).default(4),
});
export type JobOptions = z.infer<typeof JobOptionsSchema>;

export const TotalsSchema = z.object({
  copied: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
  bytes: z.number().min(0),
  /** Names the job's --include/--exclude/--prefix left out (absent: none, or a job from before the count). */
  excluded: z.number().int().min(0).optional(),
});
export type Totals = z.infer<typeof TotalsSchema>;
export const zeroTotals = (): Totals => ({ copied: 0, skipped: 0, failed: 0, bytes: 0 });

export const ObjectFailureSchema = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  type: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});
export type ObjectFailure = z.infer<typeof ObjectFailureSchema>;

/** State carried across continue-as-new. */
export const CarrySchema = z.object({
  /** Next index (or position in onlyIndexes space) not yet dispatched. */
  cursor: z.number().int().min(0),
  totals: TotalsSchema,
  failures: z.array(ObjectFailureSchema),
  /** Failed indexes beyond the recorded `failures` detail cap, as [start, end) ranges. */
  failedRanges: z.array(z.tuple([z.number().int(), z.number().int()])),
  startedAtMs: z.number(),
  runs: z.number().int().min(1),
  maxHistoryEvents: z.number().int().min(0),
  paused: z.boolean(),
  stopRequested: z.boolean(),
  /** Origin URL of the file server of a `directory` source, once it serves. */
  servedUrl: z.string().optional(),
  /** Workflow ID of the serveWorkflow child holding step 1's file server. */
  serveId: z.string().optional(),
  /** Listing sources: the walk's cursor. `after` is the last key dispatched; `done` once the walk ended. */
  scan: z
    .object({
      after: z.string().optional(),
      /** Manifest sources: byte offset and line number (1-based lines before it) of the next line to dispatch. */
      offset: z.number().int().min(0).optional(),
      line: z.number().int().min(0).optional(),
      done: z.boolean(),
    })
    .optional(),
});
export type Carry = z.infer<typeof CarrySchema>;

export const MigrationInputSchema = z.object({
  source: SourceSchema,
  /** Bucket URI (parsed and validated by parseBucketUri). */
  destination: z.string().min(1),
  options: JobOptionsSchema.default(JobOptionsSchema.parse({})),
  description: z.string().max(1000).optional(),
  /** Set by continue-as-new only. */
  carry: CarrySchema.optional(),
});
export type MigrationInput = z.input<typeof MigrationInputSchema>;
export type MigrationInputParsed = z.infer<typeof MigrationInputSchema>;

export const JobState = {
  Running: 'running',
  Paused: 'paused',
  Stopping: 'stopping',
  Completed: 'completed',
  CompletedWithFailures: 'completed-with-failures',
  Stopped: 'stopped',
  Failed: 'failed',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export const MigrationReportSchema = z.object({
  state: z.enum(['completed', 'completed-with-failures', 'stopped']),
  source: z.string(),
  destination: z.string(),
  total: z.number().int(),
  totals: TotalsSchema,
  /** First failures in detail (capped); failedCount is the true number. */
  failures: z.array(ObjectFailureSchema),
  failedRanges: z.array(z.tuple([z.number().int(), z.number().int()])),
  durationMs: z.number(),
  runs: z.number().int(),
  maxHistoryEvents: z.number().int(),
  /** Where a stopped job was: indexes below it were dispatched. */
  cursor: z.number().int(),
  /** --verify: the verification's outcome (absent when not asked for, or the job stopped or had failures). */
  verify: z
    .object({
      state: z.enum(['verified', 'mismatch']),
      verified: z.number().int(),
      mismatch: z.number().int(),
      missing: z.number().int(),
      workflowId: z.string(),
    })
    .optional(),
  /** --sync: what was deleted (absent when sync was not asked for or did not run). */
  sync: z
    .object({
      deleted: z.number().int(),
      sample: z.array(z.string()).optional(),
      listedIn: z.string().optional(),
    })
    .optional(),
});
export type MigrationReport = z.infer<typeof MigrationReportSchema>;

export const ProgressSchema = z.object({
  state: z.string(),
  /** Job start (first run), epoch ms: clients compute elapsed time and rates from it. */
  startedAtMs: z.number(),
  total: z.number().int(),
  done: z.number().int(),
  totals: TotalsSchema,
  inFlightBatches: z.number().int(),
  maxConns: z.number().int(),
  limitBph: z.number(),
  elapsedMs: z.number(),
  bytesPerSec: z.number(),
  objectsPerSec: z.number(),
  etaMs: z.number().nullable(),
  source: z.string(),
  destination: z.string(),
  servedUrl: z.string().optional(),
  recentFailures: z.array(ObjectFailureSchema),
  runs: z.number().int(),
});
export type Progress = z.infer<typeof ProgressSchema>;

export const SetOptionsSchema = z
  .object({
    maxConns: z.number().int().min(1).max(1024).optional(),
    limitBph: z.number().int().min(0).optional(),
  })
  .refine((v) => v.maxConns !== undefined || v.limitBph !== undefined, 'nothing to change');
export type SetOptionsInput = z.infer<typeof SetOptionsSchema>;

/** One copyBatch activity: indexes [start, end) of the job's name space. */
export const CopyBatchInputSchema = z.object({
  jobId: z.string().min(1),
  baseUrl: z.string().url(),
  /** Either a template (names computed inside the activity) or an explicit list slice. */
  template: z.string().optional(),
  fmt: FmtRangeSchema.optional(),
  names: z.array(z.string()).optional(),
  /** Listing sources: the batch is the walk's span (afterKey, lastKey], re-walked inside the activity. */
  listing: z
    .object({
      afterKey: z.string().optional(),
      lastKey: z.string().min(1),
      filter: KeyFilterSchema.optional(),
    })
    .optional(),
  /** Manifest sources: the batch is the manifest's bytes [start, end), whose first line is line `line` + 1. */
  manifest: z
    .object({
      ref: ManifestRefSchema,
      start: z.number().int().min(0),
      end: z.number().int().min(1),
      line: z.number().int().min(0),
      filter: KeyFilterSchema.optional(),
    })
    .optional(),
  /**
   * The job's filter, tested at each position of the batch: a name it rejects is done as `excluded` (counted,
   * a report row, not copied). Listing and manifest spans that carry their own `filter` (jobs from before this
   * field) filter while walking instead, and their positions count accepted names only.
   */
  filter: KeyFilterSchema.optional(),
  maxNames: z.number().int().min(1),
  start: z.number().int().min(0),
  end: z.number().int().min(1),
  /** Explicit indexes instead of [start, end) (resume of failed objects). */
  indexes: z.array(z.number().int().min(0)).optional(),
  destination: z.string().min(1),
  concurrency: z.number().int().min(1).max(1024),
  skipExisting: z.boolean(),
  /** Bytes per second for this batch; 0 = unlimited. */
  limitBps: z.number().min(0),
  /** Absent in inputs of releases before --checksum: the activity uses lib/checksum.ts DEFAULT_CHECKSUM. */
  checksum: ChecksumAlgoSchema.optional(),
  /** Absent before --streams: one stream per object. */
  streams: z.number().int().min(1).max(64).optional(),
});
export type CopyBatchInput = z.infer<typeof CopyBatchInputSchema>;

export const CopyBatchOutputSchema = z.object({
  totals: TotalsSchema,
  /** A sample of the permanent failures (all of them from releases before report parts). */
  failures: z.array(ObjectFailureSchema),
  /** Indexes of the permanent failures not in `failures`, as [start, end) ranges; names are in the report. */
  failedRanges: z.array(z.tuple([z.number().int(), z.number().int()])).optional(),
  attempts: z.number().int(),
});
export type CopyBatchOutput = z.infer<typeof CopyBatchOutputSchema>;

/** One scanListing activity: walk on after `afterKey` and return the next batch boundaries. */
export const ScanListingInputSchema = z.object({
  baseUrl: z.string().url(),
  afterKey: z.string().optional(),
  filter: KeyFilterSchema.optional(),
  batchSize: z.number().int().min(1).max(10_000),
  /** Boundaries per call: bounds the result (≤ this many keys) and the history it adds. */
  maxBatches: z.number().int().min(1).max(64),
});
export type ScanListingInput = z.infer<typeof ScanListingInputSchema>;

export const ScanListingOutputSchema = z.object({
  /** Each batch: its last key and how many names (afterKey of the next batch is this lastKey). */
  batches: z.array(z.object({ lastKey: z.string(), count: z.number().int().min(1) })),
  /** The walk reached the end of the tree. */
  done: z.boolean(),
});
export type ScanListingOutput = z.infer<typeof ScanListingOutputSchema>;

/** One scanManifest activity: read the manifest on from byte `offset` and return the next batch boundaries. */
export const ScanManifestInputSchema = z.object({
  jobId: z.string().min(1),
  destination: z.string().min(1),
  ref: ManifestRefSchema,
  offset: z.number().int().min(0),
  /** Lines before `offset` (for line numbers in messages). */
  line: z.number().int().min(0),
  filter: KeyFilterSchema.optional(),
  batchSize: z.number().int().min(1).max(10_000),
  maxBatches: z.number().int().min(1).max(64),
});
export type ScanManifestInput = z.infer<typeof ScanManifestInputSchema>;

export const ScanManifestOutputSchema = z.object({
  /** Each batch: the byte offset just past its last line, the lines read up to there, how many objects. */
  batches: z.array(
    z.object({
      end: z.number().int().min(1),
      line: z.number().int().min(1),
      count: z.number().int().min(1),
    }),
  ),
  /** The manifest's end was reached. */
  done: z.boolean(),
});
export type ScanManifestOutput = z.infer<typeof ScanManifestOutputSchema>;

/** Format zod issues as `path: message` lines for users. */
export function formatZodError(err: z.ZodError, what: string): string {
  const lines = err.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return `invalid ${what}:\n${lines.join('\n')}`;
}
