// The parts of a --dry-run plan that every source kind shares: what --sync would delete (count and the first
// names, as `rclone sync --dry-run` lists them), and the --skip-existing count. Nothing is written: the
// destination is listed and HEADed, the origin HEADed. Loaded only for a dry run.
import type { MigrationInputParsed } from '../common/schemas.js';
import type { KeyFilterSpec } from '../lib/listing/filter.js';
import { EXIT } from './errors.js';
import { humanBytes, table } from './format.js';

/** Names shown of what --sync would delete; the count is always whole. */
export const SYNC_PREVIEW_NAMES = 20;

export interface SyncPreview {
  count: number;
  bytes: number;
  first: { name: string; size: number }[];
}

/**
 * What --sync would delete from `destination`: every object that is not a source name (`isName`) and that the
 * job's filter does not exclude (excluded names are never deleted, as rclone's sync).
 */
export async function previewSyncOf(
  destination: string,
  isName: (name: string) => boolean,
  filter: KeyFilterSpec | undefined,
): Promise<SyncPreview> {
  const [{ openBucket }, { keepOnSync, listExtraneous }] = await Promise.all([
    import('../lib/buckets/index.js'),
    import('../lib/source-names.js'),
  ]);
  const bucket = await openBucket(destination);
  const out: SyncPreview = { count: 0, bytes: 0, first: [] };
  if (!(await bucket.exists())) return out;
  for await (const x of listExtraneous(bucket, keepOnSync(isName, filter))) {
    out.count++;
    out.bytes += x.size;
    if (out.first.length < SYNC_PREVIEW_NAMES) out.first.push({ name: x.name, size: x.size });
  }
  return out;
}

/** The plan's rows for a sync preview, and the table of the first names after it. */
export function syncRows(p: SyncPreview): { rows: [string, string][]; after: string } {
  return {
    rows: [
      [
        'sync',
        p.count
          ? `${p.count} object(s), ${humanBytes(p.bytes)} would be deleted (in the destination, not in the source)`
          : 'nothing would be deleted: every object in the destination is in the source or excluded',
      ],
    ],
    after: p.count
      ? `--sync would delete ${p.count} object(s) not in the source${p.count > p.first.length ? ` (the first ${p.first.length} shown)` : ''}:\n` +
        table(
          ['NAME', 'SIZE'],
          p.first.map((x) => [x.name, humanBytes(x.size)]),
        )
      : '',
  };
}

/** The plan's row of the --skip-existing count. */
export function skipRow(n: number): [string, string] {
  return ['skip-existing', `${n} would be skipped (already in the destination, same source version)`];
}

/**
 * The origin a dry run reads from: the source's base URL, or — for a directory served by the job's step 1 —
 * the directory served on loopback for the call's duration, exactly as the job will serve it.
 */
export async function withOrigin<T>(
  src: { baseUrl: string } | { root: string },
  fn: (baseUrl: string) => Promise<T>,
): Promise<T> {
  if ('baseUrl' in src) return fn(src.baseUrl);
  const { startFileServer } = await import('../lib/file-server/index.js');
  const server = await startFileServer({ root: src.root, port: 0 });
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

/**
 * --dry-run of a job whose names are given (a template, an inline list): the count, first and last names, how
 * many a filter excludes (each name tested, none copied), the --skip-existing count and what --sync would delete.
 */
export async function dryRunNamed(
  input: MigrationInputParsed,
  destination: string,
  sourceText: string,
  plan: { total: number; first: string; last: string },
): Promise<number> {
  const src = input.source;
  if (src.kind === 'listing' || src.kind === 'tree' || src.kind === 'manifest') return EXIT.usage;
  const [{ parseTemplate }, { keyFilter }, { sourceMatcher }] = await Promise.all([
    import('../common/template.js'),
    import('../lib/listing/filter.js'),
    import('../lib/source-names.js'),
  ]);
  const filter = src.kind === 'list' ? undefined : src.filter;
  const accept = filter ? keyFilter(filter) : undefined;
  const { maxNames } = input.options;
  const nameAt =
    src.kind === 'list'
      ? (i: number) => src.names[i]!
      : (
          (t) => (i: number) =>
            t.nameAt(i)
        )(parseTemplate(src.template, { maxNames, ...(src.fmt ? { fmt: src.fmt } : {}) }));
  // The names the job would copy, computed again (a template is never expanded into memory).
  async function* accepted(): AsyncGenerator<string> {
    for (let i = 0; i < plan.total; i++) {
      const n = nameAt(i);
      if (!accept || accept(n)) yield n;
    }
  }
  let excluded = 0;
  let { first, last } = plan;
  if (accept) {
    first = last = '-';
    for (let i = 0; i < plan.total; i++) {
      const n = nameAt(i);
      if (!accept(n)) excluded++;
      else {
        if (first === '-') first = n;
        last = n;
      }
    }
  }
  let skippable: number | undefined;
  if (input.options.skipExisting) {
    const { countSkippable } = await import('./dry-run-skip.js');
    skippable = await withOrigin(src.kind === 'directory' ? { root: src.root } : src, (baseUrl) =>
      countSkippable(accepted(), baseUrl, destination),
    );
  }
  const sync = input.options.sync
    ? syncRows(
        await previewSyncOf(
          destination,
          sourceMatcher(
            src.kind === 'list'
              ? { names: src.names, maxNames }
              : { template: src.template, ...(src.fmt ? { fmt: src.fmt } : {}), maxNames },
          ),
          filter,
        ),
      )
    : undefined;
  console.log(
    table(
      ['PROPERTY', 'VALUE'],
      [
        ['source', sourceText],
        ['destination', destination],
        ['objects', String(plan.total - excluded)],
        ...(accept ? [['excluded', String(excluded)] as [string, string]] : []),
        ['bytes', 'unknown (a template states no sizes)'],
        ['first', first],
        ['last', last],
        ['batches', String(Math.ceil(plan.total / input.options.batchSize))],
        ...(skippable !== undefined ? [skipRow(skippable)] : []),
        ...(sync ? sync.rows : []),
      ],
    ),
  );
  if (sync?.after) console.log(sync.after);
  console.log(
    accept && excluded === plan.total
      ? 'dry run: no name passes the filters; nothing to copy'
      : 'dry run: nothing copied, nothing deleted',
  );
  return EXIT.ok;
}
