// A job's source names without expanding them: is a listed destination object one of the job's names? Used
// by --sync (activities/sync-delete.ts), by finalizeJob, and by the CLI's dry run of --sync.
import type { FmtRange, Template } from '../common/template.js';
import { parseTemplate } from '../common/template.js';
import type { Bucket } from './buckets/index.js';
import { keyFilter, type KeyFilterSpec } from './listing/filter.js';

/** What a job's names are: a template (with the fmt range of a `%d` form) or an explicit list. */
export interface SourceNames {
  template?: string;
  fmt?: FmtRange;
  names?: string[];
  maxNames: number;
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

/** What --sync keeps: the source's names, and every name the job's filter excludes (rclone's sync semantics). */
export function keepOnSync(
  isName: (name: string) => boolean,
  filter: KeyFilterSpec | undefined,
): (name: string) => boolean {
  const accept = filter ? keyFilter(filter) : undefined;
  return accept ? (name) => !accept(name) || isName(name) : isName;
}
