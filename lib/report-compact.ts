// Compacting a job's report parts (lib/report-parts.ts). A copy batch writes one small part per flush: a job of 10
// million objects leaves tens of thousands of files under `.ferry/jobs/<job>/report/`, each one more object to
// list, read and eventually delete. At the job's end (finalizeJob, after the last batch) consecutive batch folders
// are merged into segments of about SEGMENT_BYTES: far fewer files, each read in a few ranged reads.
//
// A segment is a part like any other — `report/<first index of its first batch>/<order>.jsonl`, rows sorted by
// index, one per index — so every reader (lib/report-merge.ts, `show job --report`, verify) reads both shapes.
// Its path's order key is the latest of the parts it replaces, and each line keeps the order key of the write it
// came from (report-merge segmentLine): a later write outside the segment (a resumed job's retry of an index)
// still wins over it, and an earlier one still loses.
//
// Crash-safe without coordination: the segment is written atomically before the parts it replaces are removed. A
// crash in between leaves both; they hold the same rows with the same order keys, so the merge reads the same
// report, and the next compaction (the job's next finalizeJob, e.g. after `job resume`) takes them again.
import type { JobFiles } from './job-files.js';
import { listParts, mergeParts, segmentLine, type PartRef } from './report-merge.js';

/**
 * Target size of a segment. 4 MiB holds ~20,000 rows (a row is ~200 bytes): a 10-million-object job ends with
 * ~500 files instead of ~20,000+, and a verify batch (one folder) still reads a bounded number of rows.
 */
export const SEGMENT_BYTES = 4 * 1024 * 1024;

export interface CompactStats {
  /** Parts (and earlier segments) merged. */
  parts: number;
  /** Segments written. */
  segments: number;
  /** Rows in the segments written. */
  rows: number;
  /** Whether it stopped at its deadline with folders left as they were. */
  cutShort: boolean;
}

export interface CompactOptions {
  /** Stop starting segments after this time (Date.now()); what is left stays as parts, readable as before. */
  deadlineMs?: number;
  /** @default SEGMENT_BYTES */
  segmentBytes?: number;
}

/** Merge the job's report parts into segments; idempotent, and a no-op on a report already compact. */
export async function compactReport(files: JobFiles, opts: CompactOptions = {}): Promise<CompactStats> {
  const target = opts.segmentBytes ?? SEGMENT_BYTES;
  const stats: CompactStats = { parts: 0, segments: 0, rows: 0, cutShort: false };
  let group: PartRef[] = [];
  let groupBytes = 0;
  let folder: PartRef[] = [];

  const flushGroup = async () => {
    // One part alone is already as compact as it gets.
    if (group.length > 1) await writeSegment(files, group, stats);
    group = [];
    groupBytes = 0;
  };
  const addFolder = async (parts: PartRef[]) => {
    const bytes = parts.reduce((a, p) => a + p.file.size, 0);
    if (group.length > 0 && groupBytes + bytes > target) await flushGroup();
    group.push(...parts);
    groupBytes += bytes;
    if (groupBytes >= target) await flushGroup();
  };

  for await (const p of listParts(files)) {
    if (folder.length > 0 && folderOf(p) !== folderOf(folder[0]!)) {
      await addFolder(folder);
      folder = [];
      if (opts.deadlineMs !== undefined && Date.now() > opts.deadlineMs) {
        stats.cutShort = true;
        return stats;
      }
    }
    folder.push(p);
  }
  if (folder.length > 0) await addFolder(folder);
  await flushGroup();
  return stats;
}

// --- internal ---

function folderOf(p: PartRef): string {
  return p.file.rel.slice(0, p.file.rel.lastIndexOf('/') + 1);
}

async function writeSegment(files: JobFiles, group: PartRef[], stats: CompactStats): Promise<void> {
  const lines: string[] = [];
  for await (const { row, order } of mergeParts(files, group)) lines.push(segmentLine(row, order));
  const latest = group.reduce((a, p) => (p.order > a ? p.order : a), '');
  const rel = `${folderOf(group[0]!)}${latest}.jsonl`;
  await files.put(rel, Buffer.from(lines.join('')));
  for (const p of group) if (p.file.rel !== rel) await files.remove(p.file.rel);
  stats.parts += group.length;
  stats.segments++;
  stats.rows += lines.length;
}
