// --sync: after a job copied everything, delete the destination objects under the bucket URI that are not in the
// job's source set. Membership is decided without expanding the template (a job may name millions of objects):
// a listed name is matched against the template's segments and confirmed with nameAt(index).
import { Context } from '@temporalio/activity';
import type { FmtRange, Template } from '../common/template.js';
import { parseTemplate } from '../common/template.js';
import { openBucket, type Bucket } from '../lib/buckets/index.js';

/** What a job's names are: a template (with the fmt range of a `%d` form) or an explicit list. */
export interface SourceNames {
  template?: string;
  fmt?: FmtRange;
  names?: string[];
  maxNames: number;
}

export interface SyncDeleteInput {
  destination: string;
  jobId: string;
  source: SourceNames;
}

export interface SyncDeleteOutput {
  /** Objects under the destination that were not in the source set, now deleted. */
  deleted: number;
  /** The first few deleted names, for the report. */
  sample: string[];
}

/** A predicate for "is this object name one of the job's names". */
export function sourceMatcher(src: SourceNames): (name: string) => boolean {
  if (src.names) {
    const set = new Set(src.names);
    return (name) => set.has(name);
  }
  if (src.template === undefined) throw new Error('source has neither a template nor names');
  const t = parseTemplate(src.template, { maxNames: src.maxNames, ...(src.fmt ? { fmt: src.fmt } : {}) });
  return (name) => templateIndexOf(t, name) !== undefined;
}

/**
 * The index of `name` in the template's expansion, or undefined. Backtracks over the segments (a number may be
 * followed by digits of a literal, a list item may prefix another), then confirms with `nameAt`, so the answer
 * agrees with the expansion by construction.
 */
export function templateIndexOf(t: Template, name: string): number | undefined {
  const segs = t.segments;
  const choice: number[] = new Array<number>(segs.length).fill(0);
  const indexOfChoice = (): number => {
    let idx = 0;
    segs.forEach((s, i) => {
      if (s.kind !== 'literal') idx = idx * s.count + choice[i]!;
    });
    return idx;
  };
  const walk = (si: number, pos: number): number | undefined => {
    if (si === segs.length) {
      if (pos !== name.length) return undefined;
      const idx = indexOfChoice();
      return t.nameAt(idx) === name ? idx : undefined;
    }
    const s = segs[si]!;
    if (s.kind === 'literal')
      return name.startsWith(s.text, pos) ? walk(si + 1, pos + s.text.length) : undefined;
    if (s.kind === 'list') {
      for (let i = 0; i < s.items.length; i++) {
        if (!name.startsWith(s.items[i]!, pos)) continue;
        choice[si] = i;
        const r = walk(si + 1, pos + s.items[i]!.length);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    let end = pos;
    while (end < name.length && end - pos < 20 && name.charCodeAt(end) >= 48 && name.charCodeAt(end) <= 57)
      end++;
    for (let e = end; e > pos; e--) {
      const digits = name.slice(pos, e);
      const v = Number(digits);
      if (!Number.isSafeInteger(v) || v < s.start || v > s.end || (v - s.start) % s.step !== 0) continue;
      choice[si] = (v - s.start) / s.step;
      const r = walk(si + 1, e);
      if (r !== undefined) return r;
    }
    return undefined;
  };
  return walk(0, 0);
}

/** Lists the bucket (under its URI's prefix) and yields every object whose name is not a source name. */
export async function* listExtraneous(
  bucket: Bucket,
  isName: (name: string) => boolean,
  from?: string,
): AsyncGenerator<{ name: string; size: number; token: string | undefined }> {
  let token = from;
  do {
    const page = await bucket.list({ ...(token ? { token } : {}), limit: 1000 });
    for (const it of page.items) if (!isName(it.name)) yield { name: it.name, size: it.size, token };
    token = page.next;
  } while (token);
}

/** Concurrent deletes: per-object requests on S3/AIS, so a few in flight make a large cleanup bearable. */
const DELETE_CONCURRENCY = 16;
const SAMPLE = 20;

interface SyncCheckpoint extends SyncDeleteOutput {
  /** Listing token of the next page; a retry resumes there. */
  token?: string;
}

/**
 * The activity: delete what is not a source name, page by page. Heartbeats after each page (counts + the next
 * page's token), so a retry resumes from the page it was on; deletes are idempotent.
 */
export async function syncDelete(
  input: SyncDeleteInput,
  open: (uri: string) => Promise<Bucket> = openBucket,
): Promise<SyncDeleteOutput> {
  const ctx = Context.current();
  const prev = ctx.info.heartbeatDetails as SyncCheckpoint | undefined;
  const out: SyncDeleteOutput = {
    deleted: prev?.deleted ?? 0,
    sample: [...(prev?.sample ?? [])],
  };
  const bucket = await open(input.destination);
  const isName = sourceMatcher(input.source);
  let token = prev?.token;
  do {
    ctx.cancellationSignal.throwIfAborted();
    const page = await bucket.list({ ...(token ? { token } : {}), limit: 1000 });
    const extra = page.items.filter((it) => !isName(it.name)).map((it) => it.name);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < extra.length) {
        const name = extra[next++]!;
        await bucket.delete(name);
        out.deleted++;
        if (out.sample.length < SAMPLE) out.sample.push(name);
        ctx.heartbeat({ ...out, ...(token ? { token } : {}) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, extra.length) }, lane));
    token = page.next;
    ctx.heartbeat({ ...out, ...(token ? { token } : {}) });
  } while (token);
  return out;
}
