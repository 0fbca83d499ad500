// The autoindex HTML parser (lib/listing/html.ts) against the pages nginx, Apache and `python3 -m http.server`
// write, and the walk's order and resumption (lib/listing/walk.ts) over an in-memory tree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHtmlListing } from '../../lib/listing/html.js';
import type { ListingEntry } from '../../lib/listing/types.js';
import { compareKeys, listSpan, walkListing } from '../../lib/listing/walk.js';

const PAGE = 'http://h:8080/data/sub/';

const NGINX = `<html>
<head><title>Index of /data/sub/</title></head>
<body>
<h1>Index of /data/sub/</h1><hr><pre><a href="../">../</a>
<a href="nested/">nested/</a>                                            30-Nov-2026 09:00                   -
<a href="with%20space%20%26%20amp.txt">with space &amp; amp.txt</a>                            30-Nov-2026 09:00                  12
<a href="%C3%BCnic%C3%B8d%C3%A9.bin">&#252;nic&#248;d&#233;.bin</a>                                    30-Nov-2026 09:01             1048576
</pre><hr></body>
</html>
`;

const APACHE = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head>
  <title>Index of /data/sub</title>
 </head>
 <body>
<h1>Index of /data/sub</h1>
  <table>
   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>
   <tr><th colspan="5"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/data/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/folder.gif" alt="[DIR]"></td><td><a href="nested/">nested/</a></td><td align="right">2026-11-30 09:00  </td><td align="right">  - </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/text.gif" alt="[TXT]"></td><td><a href="with%20space%20&amp;%20amp.txt">with space &amp; amp.txt</a></td><td align="right">2026-11-30 09:00  </td><td align="right"> 12 </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/unknown.gif" alt="[   ]"></td><td><a href="%c3%bcnic%c3%b8d%c3%a9.bin">&#252;nic&#248;d&#233;.bin</a></td><td align="right">2026-11-30 09:01  </td><td align="right">1.0M</td><td>&nbsp;</td></tr>
<tr><td><a href="http://elsewhere.example/x.bin">offsite</a></td></tr>
<tr><td><a href="/data/other/y.bin">sibling</a></td></tr>
   <tr><th colspan="5"><hr></th></tr>
</table>
<address>Apache/2.4.58 (Unix) Server at h Port 8080</address>
</body></html>
`;

const PYTHON = `<!DOCTYPE HTML>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Directory listing for /data/sub/</title>
</head>
<body>
<h1>Directory listing for /data/sub/</h1>
<hr>
<ul>
<li><a href="nested/">nested/</a></li>
<li><a href="with%20space%20%26%20amp.txt">with space &amp; amp.txt</a></li>
<li><a href="%C3%BCnic%C3%B8d%C3%A9.bin">&#252;nic&#248;d&#233;.bin</a></li>
<li><a href="#top">top</a></li>
</ul>
<hr>
</body>
</html>
`;

const names = (es: ListingEntry[]) => es.map((e) => `${e.name}${e.type === 'dir' ? '/' : ''}`);
const WANT = ['nested/', 'with space & amp.txt', 'ünicødé.bin'];

test('nginx autoindex: children only, decoded names, exact sizes', () => {
  const { entries, titled } = parseHtmlListing(NGINX, PAGE);
  assert.ok(titled);
  assert.deepEqual(names(entries), WANT);
  assert.deepEqual(
    entries.map((e) => e.size),
    [undefined, 12, 1048576],
  );
});

test('Apache FancyIndexing: sort links, parent, off-site and sibling links skipped; "1.0M" is not a size', () => {
  const { entries, titled } = parseHtmlListing(APACHE, 'http://h:8080/data/sub/');
  assert.ok(titled);
  assert.deepEqual(names(entries), WANT);
  assert.equal(entries[1]!.size, 12);
  assert.equal(entries[2]!.size, undefined);
});

test('python http.server: no sizes; fragments skipped', () => {
  const { entries, titled } = parseHtmlListing(PYTHON, PAGE);
  assert.ok(titled);
  assert.deepEqual(names(entries), WANT);
  assert.ok(entries.every((e) => e.size === undefined));
});

test('a page that is not a listing: no entries, no listing title', () => {
  const r = parseHtmlListing('<html><title>Welcome</title><a href="https://x.example/">x</a></html>', PAGE);
  assert.deepEqual(r, { entries: [], titled: false });
});

/** An in-memory tree: directory URL → entries. */
function memoryTree(paths: string[]): (url: string) => Promise<ListingEntry[]> {
  const dirs = new Map<string, Map<string, ListingEntry>>();
  const dir = (p: string) => {
    let d = dirs.get(p);
    if (!d) dirs.set(p, (d = new Map<string, ListingEntry>()));
    return d;
  };
  dir('');
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).map(encodeURIComponent).join('/');
      const isFile = i === parts.length - 1;
      dir(parent ? `${parent}/` : '').set(parts[i]!, {
        name: parts[i]!,
        type: isFile ? 'file' : 'dir',
        size: 1,
      });
      if (!isFile)
        dir(
          `${parts
            .slice(0, i + 1)
            .map(encodeURIComponent)
            .join('/')}/`,
        );
    }
  }
  return async (url) => {
    const rel = url.slice('http://t/'.length);
    const d = dirs.get(rel);
    if (!d) throw new Error(`no such directory ${rel}`);
    return [...d.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
}

const TREE = ['a.txt', 'a/x', 'a/b/y', 'b', 'sp ace/ü', 'a/b/c/z', 'a/a'];

test('walk: one total order (component-wise), resumable after any key', async () => {
  const list = memoryTree(TREE);
  const all: string[] = [];
  for await (const it of walkListing('http://t/', undefined, { list })) all.push(it.key);
  assert.deepEqual(all, [...TREE].sort(compareKeys));
  assert.deepEqual(all, ['a/a', 'a/b/c/z', 'a/b/y', 'a/x', 'a.txt', 'b', 'sp ace/ü']);
  for (let i = 0; i < all.length; i++) {
    const rest: string[] = [];
    for await (const it of walkListing('http://t/', all[i], { list })) rest.push(it.key);
    assert.deepEqual(rest, all.slice(i + 1), `after ${all[i]}`);
  }
  // A span (after, last]: what a copy batch walks again.
  assert.deepEqual(await listSpan('http://t/', 'a/b/c/z', 'a.txt', { list }, 100), ['a/b/y', 'a/x', 'a.txt']);
  // A key that no longer exists still resumes in its place.
  const gone: string[] = [];
  for await (const it of walkListing('http://t/', 'a/b/bb', { list })) gone.push(it.key);
  assert.deepEqual(gone, all.slice(1));
});

test('--include/--exclude: rclone globs, anchored with /, exclude wins; applied inside the walk', async () => {
  const { keyFilter } = await import('../../lib/listing/filter.js');
  const f = keyFilter({ include: ['*.jpg', '/top/**'], exclude: ['**/skip/**'] })!;
  const table: [string, boolean][] = [
    ['a.jpg', true],
    ['x/y/b.jpg', true],
    ['x/y/b.png', false],
    ['top/any.bin', true],
    ['deep/top/any.bin', false],
    ['x/skip/c.jpg', false],
  ];
  for (const [key, want] of table) assert.equal(f(key), want, key);
  assert.equal(keyFilter({}), undefined);
  const list = memoryTree(TREE);
  const got: string[] = [];
  for await (const it of walkListing('http://t/', undefined, {
    list,
    accept: keyFilter({ exclude: ['/a/**'] }),
  }))
    got.push(it.key);
  assert.deepEqual(got, ['a.txt', 'b', 'sp ace/ü']);
});
