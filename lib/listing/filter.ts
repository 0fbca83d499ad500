// --include / --exclude of a whole-tree job, with rclone's glob semantics: `*` and `?` stay within a path
// component, `**` crosses them, `{a,b}` and `[a-z]` as usual; a pattern starting with `/` is anchored at the
// root, any other matches the end of the key (`*.jpg` matches `a/b/c.jpg`). A file is copied when it matches
// no exclude and, if includes are given, at least one include; with --prefix, only names starting with it. Applied inside the walk, so a scan and the copy
// batches that walk its spans again count the same names.
import picomatch from 'picomatch';

export interface KeyFilterSpec {
  prefix?: string | undefined;
  include?: string[] | undefined;
  exclude?: string[] | undefined;
}

export function keyFilter(spec: KeyFilterSpec): ((key: string) => boolean) | undefined {
  const inc = (spec.include ?? []).map(compile);
  const exc = (spec.exclude ?? []).map(compile);
  const prefix = spec.prefix ?? '';
  if (inc.length === 0 && exc.length === 0 && prefix === '') return undefined;
  return (key) =>
    key.startsWith(prefix) && !exc.some((m) => m(key)) && (inc.length === 0 || inc.some((m) => m(key)));
}

// --- internal ---

function compile(pattern: string): (key: string) => boolean {
  const anchored = pattern.startsWith('/');
  const glob = anchored ? pattern.slice(1) : `**/${pattern}`;
  return picomatch(glob, { dot: true, nobrace: false, noextglob: true });
}
