// The per-object report: one row per object of a job, written by the copy batches as report parts under the
// job's files in its destination (`.ferry/jobs/<job>/report/`, lib/report-parts.ts) and merged by `ferry show
// job ID --report` (lib/report-merge.ts). `ferry job verify` writes the same rows with its own outcomes.
// Pure: the row format, the JSONL and CSV encodings and the part names, shared by writers and readers.
import { z } from 'zod';

export const Outcome = {
  Copied: 'copied',
  Skipped: 'skipped',
  Excluded: 'excluded',
  Failed: 'failed',
  /** Reserved for `ferry job verify`. */
  Verified: 'verified',
  Mismatch: 'mismatch',
  Missing: 'missing',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export const ReportRowSchema = z.object({
  /** Position of the object in the job's name space (template index, list line, listing order). */
  index: z.number().int().min(0),
  name: z.string(),
  outcome: z.enum(Object.values(Outcome) as [Outcome, ...Outcome[]]),
  /** Bytes stored (copied, skipped) or found (verify). */
  size: z.number().int().min(0).optional(),
  /** `<algo>:<value>`, e.g. `sha256:9f86…`, as recorded with the object. */
  checksum: z.string().optional(),
  /** Error type (README "Error types") of a failed object. */
  errorType: z.string().optional(),
  /** Whether retrying could succeed (`job resume` retries every failed object either way). */
  retryable: z.boolean().optional(),
  message: z.string().optional(),
});
export type ReportRow = z.infer<typeof ReportRowSchema>;

export const ReportFormat = { Jsonl: 'jsonl', Csv: 'csv' } as const;
export type ReportFormat = (typeof ReportFormat)[keyof typeof ReportFormat];

/** Columns of the CSV encoding, in order (the JSONL keys are the row's, in the same order). */
export const CSV_COLUMNS = [
  'index',
  'name',
  'outcome',
  'size',
  'checksum',
  'errorType',
  'retryable',
  'message',
] as const;

/** One JSONL line (with its `\n`); keys in a fixed order, absent fields left out. */
export function jsonlLine(row: ReportRow): string {
  const o: Record<string, unknown> = { index: row.index, name: row.name, outcome: row.outcome };
  if (row.size !== undefined) o.size = row.size;
  if (row.checksum !== undefined) o.checksum = row.checksum;
  if (row.errorType !== undefined) o.errorType = row.errorType;
  if (row.retryable !== undefined) o.retryable = row.retryable;
  if (row.message !== undefined) o.message = row.message;
  return JSON.stringify(o) + '\n';
}

/** The CSV header line (RFC 4180: CRLF line ends). */
export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** One CSV record (with its CRLF), fields quoted per RFC 4180 where needed. */
export function csvLine(row: ReportRow): string {
  return CSV_COLUMNS.map((c) => csvField(row[c])).join(',') + '\r\n';
}

/**
 * A row of a JSONL line, or undefined when it is not one (a part cut short cannot happen — parts are written
 * atomically — but a reader must not die on a file someone else put there).
 */
export function parseJsonlLine(line: string): ReportRow | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = ReportRowSchema.safeParse(v);
  return r.success ? r.data : undefined;
}

/** Folder of the report parts under the job's files. */
export const REPORT_DIR = 'report/';

/** Digits of a part's folder (the first index of its batch): indexes stay below 10^12 (maxNames ≤ 10^9). */
const INDEX_DIGITS = 12;

/**
 * Path of a report part, relative to the job's folder: `report/<first index>/<order>.jsonl`, where `<order>` —
 * the activity's schedule time on the server's clock, its attempt, a sequence number within the attempt — sorts
 * later writes after earlier ones, across attempts and across runs of a resumed job, whichever worker wrote them.
 */
export function partPath(firstIndex: number, order: PartOrder): string {
  return `${REPORT_DIR}${pad(firstIndex, INDEX_DIGITS)}/${partOrderKey(order)}.jsonl`;
}

export interface PartOrder {
  scheduledMs: number;
  attempt: number;
  seq: number;
}

export function partOrderKey(o: PartOrder): string {
  return `${pad(o.scheduledMs, 15)}-${pad(o.attempt, 5)}-${pad(o.seq, 6)}`;
}

/** The first index and order key of a part path, or undefined for a file that is not a report part. */
export function parsePartPath(rel: string): { firstIndex: number; order: string } | undefined {
  const m = /^report\/(\d{12})\/(\d{15}-\d{5}-\d{6})\.jsonl$/.exec(rel);
  return m ? { firstIndex: Number(m[1]), order: m[2]! } : undefined;
}

// --- internal ---

function pad(n: number, width: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(width, '0');
}

function csvField(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  // RFC 4180: a field with a comma, a double quote or a line break is quoted, quotes doubled. Leading or
  // trailing spaces are quoted too: some readers (spreadsheets) trim unquoted fields.
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
