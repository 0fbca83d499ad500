// Autoindex HTML (nginx, Apache, `python3 -m http.server`, ferry serve's own HTML) → the directory's entries.
// Tokenised by htmlparser2 rather than regexes: it decodes entities in attributes and text (`&amp;`, `&#39;`),
// copes with unquoted attributes, comments and the table layouts of Apache's FancyIndexing, and streams — no
// DOM is built for a page of a million links. (node-html-parser builds a DOM; htmlparser2 is the tokenizer
// cheerio and many crawlers stand on, kept by the same maintainer since 2011, with no native code.)
import { Parser } from 'htmlparser2';
import type { ListingEntry } from './types.js';

/**
 * The entries a listing page at `pageUrl` links to: links to direct children of the page's directory only —
 * not `../`, parent or sibling links, sort links (`?C=N;O=D`), fragments, or absolute links elsewhere.
 * A name is the percent-decoded last path segment; a directory's href ends with '/'. `size` is set only when
 * the text after the link ends with a plain byte count (nginx's default); Apache's `1.2K` is approximate and
 * python's page shows none, so those stay unknown.
 */
export function parseHtmlListing(
  html: string,
  pageUrl: string,
): { entries: ListingEntry[]; titled: boolean } {
  const page = new URL(pageUrl);
  const dirPath = page.pathname.endsWith('/') ? page.pathname : `${page.pathname}/`;
  const byName = new Map<string, ListingEntry>();
  let current: ListingEntry | undefined;
  let inAnchor = false;
  let trailing = '';
  let title = '';
  let inTitle = false;
  const settle = () => {
    const line = (trailing.split(/\r?\n/)[0] ?? '').trim();
    if (current && line) current.stamp = line;
    if (current && current.type === 'file') {
      const m = /(?:^|\s)(\d+)$/.exec(line);
      if (m) current.size = Number(m[1]);
    }
    current = undefined;
    trailing = '';
  };
  const parser = new Parser(
    {
      onopentag(tag, attrs) {
        if (tag === 'title' || tag === 'h1') inTitle = true;
        if (tag === 'tr') settle();
        if (tag !== 'a') return;
        settle();
        inAnchor = true;
        const entry = childOf(attrs.href, page, dirPath);
        if (entry && !byName.has(entry.name)) {
          byName.set(entry.name, entry);
          current = entry;
        }
      },
      ontext(text) {
        if (inTitle) title += text;
        if (!inAnchor && current) trailing += text;
      },
      onclosetag(tag) {
        if (tag === 'title' || tag === 'h1') inTitle = false;
        if (tag === 'a') inAnchor = false;
        if (tag === 'tr' || tag === 'pre' || tag === 'table') settle();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  settle();
  const entries = [...byName.values()].sort((x, y) => compareNames(x.name, y.name));
  return { entries, titled: /index of|directory listing/i.test(title) };
}

/** Code-unit order, as nginx (strcmp) and ferry serve sort: locale-independent. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// --- internal ---

function childOf(href: string | undefined, page: URL, dirPath: string): ListingEntry | undefined {
  if (!href) return undefined;
  let u: URL;
  try {
    u = new URL(href, page);
  } catch {
    return undefined;
  }
  if (u.origin !== page.origin || u.search || (u.hash && href.startsWith('#'))) return undefined;
  if (!u.pathname.startsWith(dirPath)) return undefined;
  const rest = u.pathname.slice(dirPath.length);
  const dir = rest.endsWith('/');
  const seg = dir ? rest.slice(0, -1) : rest;
  if (!seg || seg.includes('/')) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(seg);
  } catch {
    return undefined; // malformed escape: not a name we could request back
  }
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return undefined;
  return dir ? { name, type: 'dir' } : { name, type: 'file' };
}
