// The job's report as one stream of rows in index order, merged from its report parts (lib/report-parts.ts):
// a k-way merge of sorted parts in bounded memory, the latest write winning for each index.
//
// Memory: parts are listed in lexicographic order, i.e. by their batch's first index, and a batch's parts are
// opened only once the merge reaches that index; each open part holds one chunk of CHUNK bytes. Batches of a
// job's index space are disjoint ranges, so only the few batches around the current index are open at once —
// whatever the number of rows or parts. (A resumed job's batches of scattered failed indexes may span more, but
// they are few: each covers up to a batch of failed objects.)
import type { JobFile, JobFiles } from './job-files.js';
import { REPORT_DIR, parseJsonlLine, parsePartPath, type ReportRow } from '../common/report.js';

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
  for await (const f of files.list(REPORT_DIR)) if (parsePartPath(f.rel)) return true;
  return false;
}

/** Every row of the job's report, in index order, one per index (the latest write wins). */
export async function* mergedRows(files: JobFiles, stats?: MergeStats): AsyncGenerator<ReportRow> {
  const st = stats ?? { parts: 0, rows: 0, superseded: 0, maxOpen: 0, bad: 0 };
  const heap = new Heap<Cursor>(before);
  const listing = files.list(REPORT_DIR)[Symbol.asyncIterator]();
  let ahead: { file: JobFile; firstIndex: number; order: string } | undefined;
  let listed = false;
  const nextPart = async () => {
    for (;;) {
      const r = await listing.next();
      if (r.done) return undefined;
      const p = parsePartPath(r.value.rel);
      if (p) return { file: r.value, ...p };
    }
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
    if (await top.advance()) heap.replaceTop(top);
    else heap.pop();
    if (row.index === last) {
      st.superseded++;
      continue;
    }
    last = row.index;
    st.rows++;
    yield row;
  }
}

// --- internal ---

/** Earlier index first; for the same index the later write (greater order key) first, so it wins. */
function before(a: Cursor, b: Cursor): boolean {
  if (a.row.index !== b.row.index) return a.row.index < b.row.index;
  return a.order > b.order;
}

/** One part read line by line in chunks of ranged reads. */
class Cursor {
  row!: ReportRow;
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
