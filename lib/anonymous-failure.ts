// A failed object as workflow history may hold it: no name. Object names never travel through history (they
// are the user's data, and a job can fail millions of them); the per-object report names each failure
// (lib/report-parts.ts), so what a copy batch returns, heartbeats or fails with carries the object's index, its
// error type and retryability, and the message with every spelling of the name in it replaced.
import type { ObjectFailure } from '../common/schemas.js';
import { objectUrl } from './origin.js';

/** Stands for the object in a message: `{object #12}` (not `<…>`: the Web UI renders details as HTML). */
export const nameMark = (index: number): string => `{object #${index}}`;

/** `f` without its name: `name` is `#<index>` and the message says `{object #index}` where it said the name. */
export function anonymousFailure(f: ObjectFailure, baseUrl: string): ObjectFailure {
  return { ...f, name: `#${f.index}`, message: withoutName(f.message, f.name, baseUrl, f.index) };
}

/**
 * `message` with the object's URL, its URL path and the name itself (as typed and percent-encoded) replaced by
 * its mark, longest first so that a URL is replaced whole.
 */
export function withoutName(message: string, name: string, baseUrl: string, index: number): string {
  if (!name || name.startsWith('#')) return message;
  const url = objectUrl(baseUrl, name);
  const encoded = name.split('/').map(encodeURIComponent).join('/');
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // a base that is not a URL (never from a validated job): the URL itself is replaced
  }
  const spellings = [...new Set([url, path, encoded, encodeURIComponent(name), name])]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  let out = message;
  for (const s of spellings) out = out.split(s).join(nameMark(index));
  return out;
}
