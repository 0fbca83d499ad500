// A listing source before its job starts: is there a listing at all (one page, so a wrong URL fails in a
// second with nothing written), and for --dry-run the whole walk — objects, bytes, first and last names —
// through the same walker the job's activities use (lib/listing). A `tree` is walked by serving its
// directory on loopback for the walk's duration, exactly as the job's serve step will.
import type { ListingSource } from '../common/schemas.js';
import { classifyError } from '../lib/classify-error.js';
import { httpListing } from '../lib/listing/fetch.js';
import { keyFilter } from '../lib/listing/filter.js';
import { walkListing } from '../lib/listing/walk.js';
import { CLIError, EXIT } from './errors.js';

export interface ListingPlan {
  total: number;
  /** undefined when some entry's size is not stated by its listing. */
  bytes: number | undefined;
  first: string | undefined;
  last: string | undefined;
  /** Names the job's filter leaves out. */
  excluded: number;
}

/** What a dry run adds to the walk's count (client/dry-run-plan.ts). */
export interface DryRunExtras {
  skipExisting: boolean;
  sync: boolean;
}

/** Fails with one line when `baseUrl` serves no listing (404, an error page, a file). */
export async function probeListing(baseUrl: string): Promise<void> {
  try {
    await httpListing()(baseUrl);
  } catch (err) {
    throw asCliError(err, baseUrl);
  }
}

/** Walk the whole source and count it; `also` runs on the same origin (a tree is served only meanwhile). */
export async function planListing<T = undefined>(
  src: ListingSource,
  onName?: (key: string) => void,
  also?: (baseUrl: string) => Promise<T>,
): Promise<ListingPlan & { also?: T }> {
  const accept = src.filter ? keyFilter(src.filter) : undefined;
  const { withOrigin } = await import('./dry-run-plan.js');
  return withOrigin(src, async (baseUrl) => {
    const plan = await walkAll(baseUrl, accept, onName);
    return also ? { ...plan, also: await also(baseUrl) } : plan;
  });
}

// --- internal ---

async function walkAll(
  baseUrl: string,
  accept: ((key: string) => boolean) | undefined,
  onName: ((key: string) => void) | undefined,
): Promise<ListingPlan> {
  const plan: ListingPlan = { total: 0, bytes: 0, first: undefined, last: undefined, excluded: 0 };
  try {
    for await (const it of walkListing(baseUrl, undefined, {
      list: httpListing(),
      warn: (m) => console.error(`ferry: warning: ${m}`),
    })) {
      onName?.(it.key);
      if (accept && !accept(it.key)) {
        plan.excluded++;
        continue;
      }
      plan.total++;
      plan.first ??= it.key;
      plan.last = it.key;
      plan.bytes = it.size === undefined || plan.bytes === undefined ? undefined : plan.bytes + it.size;
    }
  } catch (err) {
    throw asCliError(err, baseUrl);
  }
  return plan;
}

function asCliError(err: unknown, baseUrl: string): Error {
  const c = classifyError(err);
  return new CLIError(
    c.message.includes('not a directory listing') ? c.message : `no listing at ${baseUrl}: ${c.message}`,
    c.retryable ? EXIT.error : EXIT.usage,
  );
}

/** --dry-run of a listing source: walk it, print what the job would copy, copy nothing. */
export async function dryRunListing(
  src: ListingSource,
  destination: string,
  sourceText: string,
  batchSize: number,
  extras: DryRunExtras = { skipExisting: false, sync: false },
): Promise<number> {
  const [{ table }, dry, { NameHashSet }] = await Promise.all([
    import('./format.js'),
    import('./dry-run-plan.js'),
    import('../lib/source-set.js'),
  ]);
  // --sync: every name of the source, filtered or not, as the job's sync step reads them (lib/source-set.ts).
  const names = extras.sync ? new NameHashSet() : undefined;
  const accept = src.filter ? keyFilter(src.filter) : undefined;
  const plan = await planListing(
    src,
    names ? (k) => names.add(k) : undefined,
    extras.skipExisting
      ? async (baseUrl) => {
          const { countSkippable } = await import('./dry-run-skip.js');
          return countSkippable(acceptedKeys(baseUrl, accept), baseUrl, destination);
        }
      : undefined,
  );
  const sync = names
    ? dry.syncRows(await dry.previewSyncOf(destination, (n) => names.has(n), src.filter))
    : undefined;
  console.log(
    table(
      ['PROPERTY', 'VALUE'],
      [
        ['source', sourceText],
        ['destination', destination],
        ['objects', String(plan.total)],
        ...(src.filter ? [['excluded', String(plan.excluded)] as [string, string]] : []),
        [
          'bytes',
          plan.bytes === undefined ? 'unknown (the listing does not state every size)' : String(plan.bytes),
        ],
        ['first', plan.first ?? '-'],
        ['last', plan.last ?? '-'],
        ['batches', String(Math.ceil(plan.total / batchSize))],
        ...(plan.also !== undefined ? [dry.skipRow(plan.also)] : []),
        ...(sync ? sync.rows : []),
      ],
    ),
  );
  if (sync?.after) console.log(sync.after);
  console.log(
    plan.total === 0
      ? plan.excluded > 0
        ? 'dry run: no file passes the filters; nothing to copy'
        : 'dry run: the tree has no files; nothing to copy'
      : 'dry run: nothing copied, nothing deleted',
  );
  return EXIT.ok;
}

/** The keys the job would copy, walked again (for the --skip-existing count; never held whole). */
async function* acceptedKeys(
  baseUrl: string,
  accept: ((key: string) => boolean) | undefined,
): AsyncGenerator<string> {
  for await (const it of walkListing(baseUrl, undefined, { list: httpListing(), accept })) yield it.key;
}
