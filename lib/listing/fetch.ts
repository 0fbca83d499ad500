// One directory listing over HTTP: ferry serve's JSON (asked for with `Accept: application/json`; other
// servers ignore it) or an autoindex HTML page. Errors are typed (lib/classify-error.ts): a 404 is
// SourceNotFound, a 5xx or reset is retryable, a body that is not a listing is SourceRejected.
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { ErrorType } from '../../common/errors.js';
import { FerryError, httpStatusError, redactUrl } from '../classify-error.js';
import { compareNames, parseHtmlListing } from './html.js';
import type { ListingEntry } from './types.js';
import { originAuth } from '../origin-auth.js';

/** A listing body above this is refused: ~4 M entries of ferry's JSON; a bigger directory needs a manifest. */
const MAX_LISTING_BYTES = 512 * 1024 * 1024;

const JsonListingSchema = z.object({
  entries: z.array(
    z.object({
      name: z.string().min(1),
      type: z.enum(['file', 'dir']),
      size: z.number().int().min(0),
      mtime: z.string().optional(),
    }),
  ),
});

/** `headers`: more request headers (a migration's bearer token, lib/serve-token.ts). */
export type FetchListing = (
  dirUrl: string,
  signal?: AbortSignal,
  headers?: Record<string, string>,
) => Promise<ListingEntry[]>;

/** `list` with `headers` on every request (none: `list` itself). */
export function withHeaders(list: FetchListing, headers: Record<string, string> | undefined): FetchListing {
  return headers ? (url, signal, more) => list(url, signal, { ...headers, ...more }) : list;
}

let shared: Dispatcher | undefined;

/** A listing fetcher over one keep-alive pool per process (made on first use). */
export function httpListing(dispatcher?: Dispatcher): FetchListing {
  return async (dirUrl, signal, headers) => {
    const d =
      (dispatcher ??=
      shared ??=
        new Agent({
          headersTimeout: 120_000,
          bodyTimeout: 120_000,
          connectTimeout: 10_000,
        }).compose(interceptors.redirect({ maxRedirections: 5 })));
    const res = await request(dirUrl, {
      method: 'GET',
      dispatcher: d,
      headers: { ...originAuth(dirUrl), ...headers, accept: 'application/json, text/html;q=0.9' },
      ...(signal ? { signal } : {}),
    });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw httpStatusError(res.statusCode, dirUrl);
    }
    const type = String(res.headers['content-type'] ?? '').toLowerCase();
    const text = await readCapped(res.body, dirUrl);
    if (type.includes('json')) return parseJson(text, dirUrl);
    if (type.includes('html')) {
      const { entries, titled } = parseHtmlListing(text, dirUrl);
      if (entries.length === 0 && !titled) throw notAListing(dirUrl, 'an HTML page without links to entries');
      return entries;
    }
    throw notAListing(dirUrl, `content of type "${type || 'none'}"`);
  };
}

// --- internal ---

function parseJson(text: string, url: string): ListingEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw notAListing(url, 'JSON that does not parse');
  }
  const r = JsonListingSchema.safeParse(raw);
  if (!r.success) throw notAListing(url, 'JSON without an "entries" array of {name, type, size}');
  return r.data.entries
    .filter((e) => !e.name.includes('/') && e.name !== '.' && e.name !== '..')
    .map((e): ListingEntry => ({
      name: e.name,
      type: e.type,
      ...(e.type === 'file' ? { size: e.size } : {}),
      ...(e.mtime ? { stamp: e.mtime } : {}),
    }))
    .sort((x, y) => compareNames(x.name, y.name));
}

function notAListing(url: string, what: string): FerryError {
  return new FerryError(
    ErrorType.SourceRejected,
    `${redactUrl(url)} is not a directory listing (${what}); give --template or --list instead`,
  );
}

async function readCapped(body: Dispatcher.ResponseData['body'], url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_LISTING_BYTES) {
      body.destroy();
      throw new FerryError(
        ErrorType.SourceRejected,
        `${redactUrl(url)}: listing larger than ${MAX_LISTING_BYTES} bytes; use --list with a manifest`,
      );
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
