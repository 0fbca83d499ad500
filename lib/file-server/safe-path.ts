// The hard boundary at root: request target → path under root, and the dotfile rule on real paths.
import path from 'node:path';

/** Outcome of {@link resolveSafePath}. */
export type SafePath =
  | {
      ok: true;
      /** Absolute filesystem path inside root (symlinks not yet resolved). */
      fsPath: string;
      /** Decoded, normalised URL path: `/`, `/a/b`, or `/a/b/` when a directory was asked for. */
      urlPath: string;
      /** Decoded path segments, empty ones (from `//`) dropped. */
      segments: readonly string[];
      /** The request path ended in `/`: the client asked for a directory listing. */
      directory: boolean;
      /** Some segment starts with `.` (a dotfile or something below a dot-directory). */
      hidden: boolean;
    }
  | { ok: false; status: 400; reason: string };

/**
 * Maps the path of a request target (still percent-encoded; a query or fragment is cut off) to a path under
 * `root`. Pure string logic: it neither touches the filesystem nor resolves symlinks, so the caller must
 * still check the real path of what it opens.
 *
 * The path is decoded exactly once, and `..`/`.` segments, NUL and backslashes are rejected *after*
 * decoding. That makes `%2e%2e`, `..%2f` and `%5c` harmless, while a double-encoded `%252e%252e` becomes a
 * literal file name `%2e%2e` (most likely a 404) rather than a second chance at traversal.
 */
export function resolveSafePath(root: string, urlPath: string): SafePath {
  let end = urlPath.length;
  const q = urlPath.indexOf('?');
  if (q !== -1) end = q;
  const h = urlPath.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const raw = urlPath.slice(0, end);
  if (!raw.startsWith('/')) return bad('path must start with /');

  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return bad('malformed percent-encoding');
  }
  if (decoded.includes('\0')) return bad('NUL in path');
  // A backslash is a separator on Windows and has no business in a dataset's object names.
  if (decoded.includes('\\')) return bad('backslash in path');

  const segments: string[] = [];
  let hidden = false;
  for (const seg of decoded.split('/')) {
    if (seg === '') continue;
    // Clients normalise dot segments before sending, so one that arrives is a probe, not a name.
    if (seg === '.' || seg === '..') return bad('dot segment in path');
    if (seg.startsWith('.')) hidden = true;
    segments.push(seg);
  }

  const base = resolvedRoot(root);
  // Segments are non-empty and free of separators, `.` and `..` (checked above), so concatenation is already
  // the normal form path.join would compute, without its per-request normalisation pass.
  const joined = segments.join(path.sep);
  const fsPath =
    segments.length === 0 ? base : base.endsWith(path.sep) ? base + joined : base + path.sep + joined;
  // Belt and braces: with the checks above this cannot fail, but it is the invariant the server relies on.
  if (!isInside(base, fsPath)) return bad('path escapes root');

  const directory = decoded.endsWith('/');
  const normal = '/' + segments.join('/');
  return {
    ok: true,
    fsPath,
    urlPath: directory && segments.length > 0 ? normal + '/' : normal,
    segments,
    directory,
    hidden,
  };
}

/** Whether a path relative to root (a real path, symlinks resolved) has a segment starting with `.`. */
export function hasHiddenSegment(rel: string): boolean {
  if (rel.startsWith('.')) return true;
  return rel.includes(path.sep + '.');
}

/** The query of a request target, `?` included, or an empty string. */
export function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q);
}

// --- internal ---

/** path.resolve(root), remembered for the last root: a server asks with the same root on every request. */
let lastRoot: { root: string; base: string } | undefined;
function resolvedRoot(root: string): string {
  if (lastRoot?.root !== root) lastRoot = { root, base: path.resolve(root) };
  return lastRoot.base;
}

function bad(reason: string): SafePath {
  return { ok: false, status: 400, reason };
}

function isInside(base: string, p: string): boolean {
  if (p === base) return true;
  return p.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}
