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
}

/** Fails with one line when `baseUrl` serves no listing (404, an error page, a file). */
export async function probeListing(baseUrl: string): Promise<void> {
  try {
    await httpListing()(baseUrl);
  } catch (err) {
    throw asCliError(err, baseUrl);
  }
}

/** Walk the whole source and count it. */
export async function planListing(src: ListingSource): Promise<ListingPlan> {
  const accept = src.filter ? keyFilter(src.filter) : undefined;
  if (src.kind === 'listing') return walkAll(src.baseUrl, accept);
  const { startFileServer } = await import('../lib/file-server/index.js');
  const server = await startFileServer({ root: src.root, port: 0 });
  try {
    return await walkAll(server.url, accept);
  } finally {
    await server.close();
  }
}

// --- internal ---

async function walkAll(baseUrl: string, accept?: (key: string) => boolean): Promise<ListingPlan> {
  const plan: ListingPlan = { total: 0, bytes: 0, first: undefined, last: undefined };
  try {
    for await (const it of walkListing(baseUrl, undefined, {
      list: httpListing(),
      accept,
      warn: (m) => console.error(`ferry: warning: ${m}`),
    })) {
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
): Promise<number> {
  const { table } = await import('./format.js');
  const plan = await planListing(src);
  console.log(
    table(
      ['PROPERTY', 'VALUE'],
      [
        ['source', sourceText],
        ['destination', destination],
        ['objects', String(plan.total)],
        [
          'bytes',
          plan.bytes === undefined ? 'unknown (the listing does not state every size)' : String(plan.bytes),
        ],
        ['first', plan.first ?? '-'],
        ['last', plan.last ?? '-'],
        ['batches', String(Math.ceil(plan.total / batchSize))],
      ],
    ),
  );
  console.log(
    plan.total === 0 ? 'dry run: the tree has no files; nothing to copy' : 'dry run: nothing copied',
  );
  return EXIT.ok;
}
