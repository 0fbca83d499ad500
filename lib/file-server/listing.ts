// Directory listings: JSON for programs, nginx-autoindex HTML for rclone, wget and aria2.
import { readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

import type { Ctx } from './context.js';
import { sendBody, sendFsError } from './respond.js';
import { hasHiddenSegment, queryOf, type SafePath } from './safe-path.js';

/** Directory entries stat'ed at once when listing; bounds descriptors and threadpool queueing. */
const LISTING_CONCURRENCY = 32;

export async function sendListing(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  safe: Extract<SafePath, { ok: true }>,
  real: string,
  target: string,
): Promise<void> {
  let dirents;
  try {
    dirents = await readdir(real, { withFileTypes: true });
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }

  const entries: ListingEntry[] = [];
  await mapLimit(dirents, LISTING_CONCURRENCY, async (d) => {
    if (ctx.denyDotfiles && d.name.startsWith('.')) return;
    const full = path.join(real, d.name);
    try {
      if (d.isSymbolicLink()) {
        // List only links the server would follow: same checks as a request for them.
        const target = await realpath(full);
        if (!target.startsWith(ctx.rootPrefix)) return;
        if (ctx.denyDotfiles && hasHiddenSegment(target.slice(ctx.rootPrefix.length))) return;
      } else if (!d.isFile() && !d.isDirectory()) {
        return; // sockets, FIFOs, devices are never served
      }
      const st = await stat(full);
      if (st.isDirectory()) {
        entries.push({ name: d.name, type: 'dir', size: 0, mtime: new Date(st.mtimeMs).toISOString() });
      } else if (st.isFile()) {
        entries.push({
          name: d.name,
          type: 'file',
          size: st.size,
          mtime: new Date(st.mtimeMs).toISOString(),
        });
      }
    } catch {
      // Vanished or unreadable while listing: leave it out rather than fail the whole page.
    }
  });
  // Code-unit order, like nginx's strcmp: deterministic and locale-independent.
  entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));

  const accept = req.headers.accept ?? '';
  const wantsJson =
    accept.includes('application/json') || /(?:^|&)format=json(?:&|$)/.test(queryOf(target).slice(1));
  const common = { Vary: 'Accept', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (wantsJson) {
    const body = JSON.stringify({ path: safe.urlPath, entries });
    return sendBody(ctx, req, res, 200, body, {
      ...common,
      'Content-Type': 'application/json; charset=utf-8',
    });
  }
  return sendBody(ctx, req, res, 200, htmlListing(safe.urlPath, entries), {
    ...common,
    'Content-Type': 'text/html; charset=utf-8',
  });
}

// --- internal ---

interface ListingEntry {
  name: string;
  type: 'file' | 'dir';
  size: number;
  /** ISO 8601, UTC. */
  mtime: string;
}

/**
 * nginx autoindex layout: rclone's `:http:` backend, wget -r and aria2 look for `<a href>` lines in exactly
 * this shape. Directories first, as nginx does.
 */
function htmlListing(urlPath: string, entries: ListingEntry[]): string {
  const title = escapeHtml(urlPath);
  const lines: string[] = [
    `<html>\r\n<head><title>Index of ${title}</title></head>\r\n<body>\r\n<h1>Index of ${title}</h1><hr><pre>`,
  ];
  if (urlPath !== '/') lines.push('<a href="../">../</a>\r\n');
  const ordered = [...entries.filter((e) => e.type === 'dir'), ...entries.filter((e) => e.type === 'file')];
  for (const e of ordered) {
    const slash = e.type === 'dir' ? '/' : '';
    const shown = e.name + slash;
    const pad = ' '.repeat(Math.max(1, 51 - shown.length));
    const size = e.type === 'dir' ? '-' : String(e.size);
    lines.push(
      `<a href="${encodeURIComponent(e.name)}${slash}">${escapeHtml(shown)}</a>${pad}` +
        `${nginxDate(e.mtime)} ${size.padStart(19)}\r\n`,
    );
  }
  lines.push('</pre><hr></body>\r\n</html>\r\n');
  return lines.join('');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function nginxDate(iso: string): string {
  const d = new Date(iso);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return (
    `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()] ?? '???'}-${d.getUTCFullYear()} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
