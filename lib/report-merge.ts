// The job's report as one stream of rows in index order, merged from its report parts (lib/report-parts.ts):
// a k-way merge of sorted parts in bounded memory, the latest write winning for each index.
//
// Memory: parts are listed in lexicographic order, i.e. by their batch's first index, and a batch's parts are
// opened only once the merge reaches that index; each open part holds one chunk of CHUNK bytes. Batches of a
// job's index space are disjoint ranges, so only the few batches around the current index are open at once —
// whatever the number of rows or parts. (A resumed job's batches of scattered failed indexes may span more, but
// they are few: each covers up to a batch of failed objects.)
import type { JobFile, JobFiles } from './job-files.js';
import { REPORT_DIR, jsonlLine, parseJsonlLine, parsePartPath, type ReportRow } from '../common/report.js';

/** Bytes read from a part at a time (one ranged read per chunk on S3/AIStore). */
const CHUNK = 256 * 1024;

export interface MergeStats {
  parts: number;
  rows: number;
  /** Rows superseded by a later write for the same index. */
  superseded: number;
  /** Most parts open at once. */
  maxOpen: number;
  /** Lines that were not report rows (skipped). */
  bad: number;
}

/** Whether the job has report parts at all (older jobs do not). */
export async function hasReportParts(files: JobFiles): Promise<boolean> {
  const parts = listParts(files);
  const first = await parts.next();
  await parts.return(undefined);
  return !first.done;
}

/** A report part (or a segment of compacted parts, lib/report-compact.ts): its file, folder and order key. */
export interface PartRef {
  file: JobFile;
  /** The first index of its batch (of the first batch, for a segment). */
  firstIndex: number;
  /** The part's order key (a segment's: the latest of the parts it holds). */
  order: string;
}

/** A row and the order key of the write it came from (a segment keeps each row's own). */
export interface OrderedRow {
  row: ReportRow;
  order: string;
}

/** The report's parts under `prefix` (default: all), in listing order; with `startAfter` those after that key. */
export async function* listParts(
  files: JobFiles,
  prefix: string = REPORT_DIR,
  startAfter?: string,
): AsyncGenerator<PartRef> {
  for await (const f of files.list(prefix, startAfter)) {
    const p = parsePartPath(f.rel);
    if (p) yield { file: f, ...p };
  }
}

/** Every row of the job's report, in index order, one per index (the latest write wins). */
export async function* mergedRows(files: JobFiles, stats?: MergeStats): AsyncGenerator<ReportRow> {
  for await (const r of mergeParts(files, listParts(files), stats)) yield r.row;
}

/**
 * The rows of `parts` (in listing order, i.e. by first index) merged: index order, one per index, the row of the
 * latest write winning — by the row's own order key in a segment, else by its part's.
 */
export async function* mergeParts(
  files: JobFiles,
  parts: AsyncIterable<PartRef> | Iterable<PartRef>,
  stats?: MergeStats,
): AsyncGenerator<OrderedRow> {
  const st = stats ?? { parts: 0, rows: 0, superseded: 0, maxOpen: 0, bad: 0 };
  const heap = new Heap<Cursor>(before);
  const listing =
    Symbol.asyncIterator in parts ? parts[Symbol.asyncIterator]() : toAsync(parts[Symbol.iterator]());
  let ahead: PartRef | undefined;
  let listed = false;
  const nextPart = async () => {
    const r = await listing.next();
    return r.done ? undefined : r.value;
  };
  ahead = await nextPart();
  listed = !ahead;
  let last = -1;
  for (;;) {
    // Open every part whose batch starts at or before the smallest index still to merge.
    while (!listed && ahead && (heap.size === 0 || ahead.firstIndex <= heap.peek()!.row.index)) {
      const c = new Cursor(files, ahead.file, ahead.order, st);
      st.parts++;
      if (await c.advance()) heap.push(c);
      ahead = await nextPart();
      listed = !ahead;
      st.maxOpen = Math.max(st.maxOpen, heap.size);
    }
    const top = heap.peek();
    if (!top) return;
    const row = top.row;
    const order = top.rowOrder;
    if (await top.advance()) heap.replaceTop(top);
    else heap.pop();
    if (row.index === last) {
      st.superseded++;
      continue;
    }
    last = row.index;
    st.rows++;
    yield { row, order };
  }
}

/**
 * A segment's line: the row's JSONL line with the order key of the write it came from as a last key (`order`),
 * which row parsers ignore (ReportRowSchema drops unknown keys) and the merge reads back.
 */
export function segmentLine(row: ReportRow, order: string): string {
  return `${jsonlLine(row).slice(0, -2)},"order":"${order}"}\n`;
}

// --- internal ---

/** Earlier index first; for the same index the later write (greater order key) first, so it wins. */
function before(a: Cursor, b: Cursor): boolean {
  if (a.row.index !== b.row.index) return a.row.index < b.row.index;
  return a.rowOrder > b.rowOrder;
}

/**
 * The `order` a segment line ends with. Only the line's real last key can match: inside a JSON string every `"`
 * is escaped, so a name or message cannot end a line with `,"order":"…"}`.
 */
const ORDER_TAIL = /,"order":"(\d{15}-\d{5}-\d{6})"\}$/;

async function* toAsync<T>(it: Iterator<T>): AsyncGenerator<T> {
  for (let r = it.next(); !r.done; r = it.next()) yield r.value;
}

/** One part read line by line in chunks of ranged reads. */
class Cursor {
  row!: ReportRow;
  /** The order key of the current row's write. */
  rowOrder = '';
  private lines: string[] = [];
  private at = 0;
  private offset = 0;
  private carry = '';

  constructor(
    private readonly files: JobFiles,
    private readonly file: JobFile,
    readonly order: string,
    private readonly st: MergeStats,
  ) {}

  /** Move to the next row; false at the end of the part. */
  async advance(): Promise<boolean> {
    for (;;) {
      while (this.at < this.lines.length) {
        const line = this.lines[this.at++]!;
        if (!line) continue;
        const row = parseJsonlLine(line);
        if (row) {
          this.row = row;
          this.rowOrder = ORDER_TAIL.exec(line)?.[1] ?? this.order;
          return true;
        }
        this.st.bad++;
      }
      if (this.offset >= this.file.size) {
        if (!this.carry) return false;
        this.lines = [this.carry];
        this.carry = '';
        this.at = 0;
        continue;
      }
      const end = Math.min(this.offset + CHUNK, this.file.size);
      const body = await this.files.read(this.file.rel, { start: this.offset, end });
      if (!body) return false;
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      this.offset = end;
      // Split on '\n' only: JSON escapes every newline inside a string, and a chunk boundary inside a UTF-8
      // sequence stays in `carry` because the split is done on the decoded text of whole lines only.
      const text = this.carry + Buffer.concat(chunks).toString('latin1');
      const parts = text.split('\n');
      this.carry = parts.pop()!;
      this.lines = parts.map((l) => Buffer.from(l, 'latin1').toString('utf8'));
      this.at = 0;
    }
  }
}

/**
 * A binary min-heap. Written here (30 lines) rather than depending on one: the merge needs peek/replaceTop to
 * advance the top cursor in place, and nothing else.
 */
class Heap<T> {
  private readonly a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size(): number {
    return this.a.length;
  }
  peek(): T | undefined {
    return this.a[0];
  }
  push(x: T): void {
    this.a.push(x);
    let i = this.a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.a[i]!, this.a[p]!)) break;
      [this.a[i], this.a[p]] = [this.a[p]!, this.a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const top = this.a[0];
    const end = this.a.pop();
    if (this.a.length > 0 && end !== undefined) this.replaceTop(end);
    return top;
  }
  /** Put `x` at the top (in place of the current top) and restore the order. */
  replaceTop(x: T): void {
    const a = this.a;
    a[0] = x;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
      if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}
