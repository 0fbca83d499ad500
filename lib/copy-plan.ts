// What a copy batch copies: the names of its indexes (computed from the template, or taken from the list slice
// it was given), and whether an existing destination copy is still current (--skip-existing).
import { ErrorType } from '../common/errors.js';
import type { CopyBatchInput } from '../common/schemas.js';
import { parseTemplate, type Template } from '../common/template.js';
import type { ObjectInfo } from './buckets/index.js';
import { FerryError } from './classify-error.js';
import type { OriginHead } from './origin.js';

/** Parsed templates by text, fmt and name cap: parsing a large template per batch would cost each batch. */
export type TemplateCache = Map<string, Template>;

/** The batch's positions: its explicit indexes, or [start, end). */
export function positionsOf(input: CopyBatchInput): number[] {
  return input.indexes ?? Array.from({ length: input.end - input.start }, (_, i) => input.start + i);
}

/** index → object name for one batch. Throws FerryError(InvalidInput) for an index outside its name list. */
export function namer(
  input: CopyBatchInput,
  templates: TemplateCache,
  listed?: string[],
): (i: number) => string {
  if (input.manifest && listed) {
    // A manifest span read again by the batch: fewer lines than the scan counted means the manifest changed
    // since (a remote one replaced); the positions left over fail, reported, never retried.
    const base = input.start;
    return (i) => {
      const v = listed[i - base];
      if (v === undefined)
        throw new FerryError(
          ErrorType.SourceNotFound,
          `manifest bytes ${input.manifest!.start}-${input.manifest!.end} hold ${listed.length} of the ${input.end - input.start} names scanned: the manifest changed since`,
        );
      return v;
    };
  }
  if (input.listing && listed) {
    // A listing span walked again by the batch: fewer names than the scan counted means files were deleted
    // since; the positions left over fail as SourceNotFound (reported, never retried).
    const base = input.start;
    return (i) => {
      const v = listed[i - base];
      if (v === undefined)
        throw new FerryError(
          ErrorType.SourceNotFound,
          `the listing after "${input.listing!.afterKey ?? ''}" up to "${input.listing!.lastKey}" holds ${listed.length} of the ${input.end - input.start} names scanned: deleted since`,
        );
      return v;
    };
  }
  if (input.names && input.indexes) {
    // names[p] is the name of indexes[p] (a resume of scattered failed objects of a list job).
    const byIndex = new Map(input.indexes.map((ix, p) => [ix, input.names![p]]));
    return (i) => {
      const v = byIndex.get(i);
      if (v === undefined)
        throw new FerryError(ErrorType.InvalidInput, `index ${i} outside the batch's name list`);
      return v;
    };
  }
  if (input.names) {
    const names = input.names;
    const base = input.start;
    return (i) => {
      const v = names[i - base];
      if (v === undefined)
        throw new FerryError(ErrorType.InvalidInput, `index ${i} outside the batch's name list`);
      return v;
    };
  }
  const text = input.template ?? '';
  const key = `${text}\u0000${JSON.stringify(input.fmt ?? null)}\u0000${input.maxNames}`;
  let t = templates.get(key);
  if (!t) {
    t = parseTemplate(text, { maxNames: input.maxNames, ...(input.fmt ? { fmt: input.fmt } : {}) });
    templates.set(key, t);
  }
  const tpl = t;
  return (i) => tpl.nameAt(i);
}

/** The name for a failure report: `#index` when the name itself cannot be computed. */
export function safeName(nameOf: (i: number) => string, i: number): string {
  try {
    return nameOf(i);
  } catch {
    return `#${i}`;
  }
}

/** --skip-existing: does the destination copy `dst` hold the origin's current version `src`? */
export function sameSource(dst: ObjectInfo, src: OriginHead): boolean {
  if (src.size === undefined || dst.size !== src.size) return false;
  if (src.etag && dst.meta?.sourceEtag) return src.etag === dst.meta.sourceEtag;
  if (src.lastModified && dst.meta?.sourceLastModified)
    return src.lastModified === dst.meta.sourceLastModified;
  // A store that keeps no metadata (AIStore's S3 front end) cannot say which source version it holds; a copy
  // written after the source last changed is current (rsync's --update rule; strictly later, since both clocks
  // have one-second resolution).
  if (dst.noMetadata && src.lastModified && dst.mtimeMs !== undefined) {
    const changed = Date.parse(src.lastModified);
    return Number.isFinite(changed) && dst.mtimeMs > changed;
  }
  // Same size and nothing else to compare: an origin without validators cannot prove a change.
  return !src.etag && !src.lastModified;
}
