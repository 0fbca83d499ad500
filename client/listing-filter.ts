// `--include` / `--exclude` of `migrate` and `prefetch`: parsed here, light (no HTTP or HTML code loaded), so
// bad input still answers before anything heavy is imported.
import type { Command } from 'commander';

/** The filter options, as the commands that take them declare them. */
export interface FilterOpts {
  include?: string[];
  exclude?: string[];
  prefix?: string;
}

/** Adds --include / --exclude / --prefix to `cmd`; `scope` says which jobs they apply to. */
export function addFilterOptions(cmd: Command, scope: string): Command {
  return cmd
    .option('--include <glob>', `${scope}: copy only matching names (repeatable; rclone globs)`, collect)
    .option('--exclude <glob>', `${scope}: leave matching names out (repeatable; rclone globs)`, collect)
    .option('--prefix <p>', `${scope}: copy only names that start with <p>`);
}

/**
 * `--include` / `--exclude` (repeatable) and `--prefix` of `migrate`, `prefetch` and `download`, for every source
 * kind: a whole tree or listing and a manifest are filtered as they are read, a template's names as each batch
 * computes them (lib/listing/filter.ts, the same rclone semantics for all).
 */
export function filterOf(o: { include?: string[]; exclude?: string[]; prefix?: string }): {
  filter?: { include?: string[]; exclude?: string[]; prefix?: string };
} {
  const include = o.include ?? [];
  const exclude = o.exclude ?? [];
  const prefix = o.prefix ?? '';
  if (include.length === 0 && exclude.length === 0 && prefix === '') return {};
  return {
    filter: {
      ...(prefix ? { prefix } : {}),
      ...(include.length ? { include } : {}),
      ...(exclude.length ? { exclude } : {}),
    },
  };
}

/** Commander collector of a repeatable option. */
export function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
