// `--include` / `--exclude` of `migrate` and `prefetch`: parsed here, light (no HTTP or HTML code loaded), so
// bad input still answers before anything heavy is imported.
import { CLIError } from './errors.js';

/** `--include` / `--exclude` (repeatable) of `migrate` and `prefetch`: they apply to whole-tree jobs only. */
export function filterOf(
  o: { include?: string[]; exclude?: string[] },
  wholeTree: boolean,
): { filter?: { include?: string[]; exclude?: string[] } } {
  const include = o.include ?? [];
  const exclude = o.exclude ?? [];
  if (include.length === 0 && exclude.length === 0) return {};
  if (!wholeTree)
    throw new CLIError('--include/--exclude apply to whole-tree jobs (no --template or --list)');
  return {
    filter: { ...(include.length ? { include } : {}), ...(exclude.length ? { exclude } : {}) },
  };
}

/** Commander collector of a repeatable option. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
