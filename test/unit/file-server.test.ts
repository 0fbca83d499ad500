import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { Pool } from 'undici';

import {
  FileServerError,
  FileServerErrorCode,
  parseRange,
  resolveSafePath,
  startFileServer,
} from '../../lib/file-server/index.js';
import type { FileServer, FileServerOptions } from '../../lib/file-server/index.js';

// --- fixtures ---

interface Fixture {
  /** Parent of root: holds secret.txt and outside/, which must never be served. */
  base: string;
  root: string;
  big: Buffer;
}

const SECRET = 'TOP-SECRET-OUTSIDE-ROOT';

async function makeFixture(t: TestContext): Promise<Fixture> {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-fs-test-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  await mkdir(path.join(root, 'sub', 'deeper'), { recursive: true });
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'secret.txt'), SECRET);
  await writeFile(path.join(base, 'outside', 'file.txt'), SECRET);
  const big = Buffer.alloc(1000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  await writeFile(path.join(root, 'data.bin'), big);
  await writeFile(path.join(root, 'hello.txt'), 'hello world\n');
  await writeFile(path.join(root, 'shard-000.tar'), 'tar-bytes');
  await writeFile(path.join(root, 'empty'), '');
  await writeFile(path.join(root, 'with space.txt'), 'spaced');
  await writeFile(path.join(root, 'a&b<c>.txt'), 'amp');
  await writeFile(path.join(root, '%2e%2e'), 'literal name');
  await writeFile(path.join(root, 'sub', 'nested.json'), '{"ok":true}');
  await writeFile(path.join(root, 'sub', '.hidden'), 'hidden');
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(root, '.git', 'config'), '[core]');
  await symlink('../secret.txt', path.join(root, 'out-link'));
  await symlink('../outside', path.join(root, 'out-dir'));
  await symlink('hello.txt', path.join(root, 'in-link'));
  await symlink('sub', path.join(root, 'in-dir'));
  await symlink('.env', path.join(root, 'dot-link'));
  await symlink('missing-target', path.join(root, 'dangling'));
  return { base, root, big };
}

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

interface Harness {
  fx: Fixture;
  server: FileServer;
  get(p: string, headers?: Record<string, string | string[]>, method?: string): Promise<Res>;
}

async function setup(t: TestContext, opts: Partial<FileServerOptions> = {}, fx?: Fixture): Promise<Harness> {
  const fixture = fx ?? (await makeFixture(t));
  const server = await startFileServer({ root: fixture.root, ...opts });
  t.after(() => server.close());
  const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 8 });
  t.after(() => pool.close());
  return {
    fx: fixture,
    server,
    // undici sends `path` verbatim, which traversal tests need: WHATWG URL parsing would normalise `..`.
    async get(p, headers = {}, method = 'GET') {
      const r = await pool.request({ path: p, method, headers });
      const body = Buffer.from(await r.body.arrayBuffer());
      return { status: r.statusCode, headers: r.headers, body, text: body.toString('utf8') };
    },
  };
}

async function settle(done: () => boolean): Promise<void> {
  // A bound for a loaded machine, not a pace: it returns as soon as `done()` holds.
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

function header(r: Res, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

// --- resolveSafePath (pure) ---

describe('resolveSafePath', () => {
  const root = '/srv/data';
  const ok: [string, string, string, boolean][] = [
    // [url path, fs path, normalised url path, directory]
    ['/', '/srv/data', '/', true],
    ['/a.tar', '/srv/data/a.tar', '/a.tar', false],
    ['/abc/shard-001.tar?x=1#frag', '/srv/data/abc/shard-001.tar', '/abc/shard-001.tar', false],
    ['/abc/', '/srv/data/abc', '/abc/', true],
    ['//abc//def', '/srv/data/abc/def', '/abc/def', false],
    ['/with%20space', '/srv/data/with space', '/with space', false],
    ['/a%2fb', '/srv/data/a/b', '/a/b', false],
    ['/%252e%252e', '/srv/data/%2e%2e', '/%2e%2e', false],
    ['/caf%C3%A9', '/srv/data/café', '/café', false],
    ['/...', '/srv/data/...', '/...', false],
    ['/a..b', '/srv/data/a..b', '/a..b', false],
  ];
  for (const [input, fsPath, urlPath, directory] of ok) {
    test(`accepts ${input}`, () => {
      const r = resolveSafePath(root, input);
      assert.ok(r.ok, `expected ok for ${input}`);
      assert.equal(r.fsPath, fsPath);
      assert.equal(r.urlPath, urlPath);
      assert.equal(r.directory, directory);
    });
  }

  const rejected = [
    '/..',
    '/../etc/passwd',
    '/a/../../b',
    '/%2e%2e/secret',
    '/%2E%2E/',
    '/..%2fsecret',
    '/a%2f..%2f..%2fsecret',
    '/.',
    '/a/./b',
    '/%2e',
    '/..\\secret',
    '/a%5c..%5csecret',
    '/a%00.txt',
    '/%E0%A4%A',
    '/%zz',
    'relative/path',
    '',
    'http://evil.example/x',
  ];
  for (const input of rejected) {
    test(`rejects ${JSON.stringify(input)} with 400`, () => {
      const r = resolveSafePath(root, input);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.status, 400);
    });
  }

  test('flags dotfiles and dot-directories as hidden', () => {
    for (const [p, hidden] of [
      ['/.env', true],
      ['/.git/config', true],
      ['/sub/.hidden', true],
      ['/sub/visible', false],
      ['/a.b/c', false],
    ] as const) {
      const r = resolveSafePath(root, p);
      assert.ok(r.ok);
      assert.equal(r.hidden, hidden, p);
    }
  });

  test('root "/" itself works as a base', () => {
    const r = resolveSafePath('/', '/etc/hostname');
    assert.ok(r.ok);
    assert.equal(r.fsPath, '/etc/hostname');
  });
});

describe('parseRange', () => {
  const cases: [string, number, ReturnType<typeof parseRange>][] = [
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['bytes=50-5000', 100, { start: 50, end: 99 }],
    ['BYTES=1-1', 100, { start: 1, end: 1 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    ['bytes=-0', 100, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=-5', 0, 'unsatisfiable'],
    ['bytes=5-1', 100, undefined],
    ['bytes=0-1,3-4', 100, undefined],
    ['bytes=-', 100, undefined],
    ['bytes=', 100, undefined],
    ['items=0-1', 100, undefined],
    ['bytes=a-b', 100, undefined],
    ['bytes=99999999999999999999-', 100, undefined],
    ['bytes=0-' + '9'.repeat(5000), 100, undefined],
    ['bytes=' + '0-1,'.repeat(10_000), 100, undefined],
  ];
  for (const [h, size, want] of cases) {
    test(`${h.slice(0, 40)} of ${size}`, () => assert.deepEqual(parseRange(h, size), want));
  }
});

// --- server ---

describe('startFileServer: files', () => {
  test('GET serves bytes with validators, type and length', async (t) => {
    const h = await setup(t);
    const r = await h.get('/data.bin');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, h.fx.big);
    assert.equal(header(r, 'content-length'), '1000');
    assert.equal(header(r, 'accept-ranges'), 'bytes');
    assert.equal(header(r, 'content-type'), 'application/octet-stream');
    assert.match(header(r, 'etag') ?? '', /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(!Number.isNaN(Date.parse(header(r, 'last-modified') ?? '')));
    assert.equal(header(r, 'connection'), 'keep-alive');

    const tar = await h.get('/shard-000.tar');
    assert.equal(header(tar, 'content-type'), 'application/x-tar');
    assert.equal(tar.text, 'tar-bytes');
    assert.equal(header(await h.get('/hello.txt'), 'content-type'), 'text/plain; charset=utf-8');
    assert.equal(header(await h.get('/sub/nested.json'), 'content-type'), 'application/json');
  });

  test('HEAD sends the same headers and no body', async (t) => {
    const h = await setup(t);
    const get = await h.get('/data.bin');
    const head = await h.get('/data.bin', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    for (const name of ['content-length', 'etag', 'last-modified', 'content-type', 'accept-ranges']) {
      assert.equal(header(head, name), header(get, name), name);
    }
  });

  test('empty file, encoded names, literal %2e%2e name', async (t) => {
    const h = await setup(t);
    const empty = await h.get('/empty');
    assert.equal(empty.status, 200);
    assert.equal(header(empty, 'content-length'), '0');
    assert.equal((await h.get('/with%20space.txt')).text, 'spaced');
    // Double-encoded dots decode once into a literal name, which here happens to exist.
    assert.equal((await h.get('/%252e%252e')).text, 'literal name');
  });

  test('conditional GET: If-None-Match and If-Modified-Since give 304', async (t) => {
    const h = await setup(t);
    const first = await h.get('/hello.txt');
    const etag = header(first, 'etag') ?? '';
    const lastModified = header(first, 'last-modified') ?? '';
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(0).toUTCString();

    const cases: [Record<string, string>, number][] = [
      [{ 'if-none-match': etag }, 304],
      [{ 'if-none-match': `W/${etag}` }, 304],
      [{ 'if-none-match': `"nope", ${etag}` }, 304],
      [{ 'if-none-match': '*' }, 304],
      [{ 'if-none-match': '"nope"' }, 200],
      [{ 'if-modified-since': lastModified }, 304],
      [{ 'if-modified-since': future }, 304],
      [{ 'if-modified-since': past }, 200],
      [{ 'if-modified-since': 'garbage' }, 200],
      // If-None-Match takes precedence over If-Modified-Since.
      [{ 'if-none-match': '"nope"', 'if-modified-since': future }, 200],
    ];
    for (const [headers, want] of cases) {
      const r = await h.get('/hello.txt', headers);
      assert.equal(r.status, want, JSON.stringify(headers));
      if (want === 304) {
        assert.equal(r.body.length, 0);
        assert.equal(header(r, 'etag'), etag);
      }
    }
  });
});

describe('startFileServer: ranges', () => {
  test('single ranges give exact 206 bodies', async (t) => {
    const h = await setup(t);
    const big = h.fx.big;
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-10', 990, 999],
      ['bytes=-5000', 0, 999],
      ['bytes=500-5000', 500, 999],
      ['bytes=123-123', 123, 123],
      ['bytes=0-999', 0, 999],
    ];
    for (const [range, start, end] of cases) {
      const r = await h.get('/data.bin', { range });
      assert.equal(r.status, 206, range);
      assert.equal(header(r, 'content-range'), `bytes ${start}-${end}/1000`, range);
      assert.equal(header(r, 'content-length'), String(end - start + 1), range);
      assert.deepEqual(r.body, big.subarray(start, end + 1), range);
    }
    const head = await h.get('/data.bin', { range: 'bytes=10-19' }, 'HEAD');
    assert.equal(head.status, 206);
    assert.equal(header(head, 'content-length'), '10');
    assert.equal(head.body.length, 0);
  });

  test('ranges of a large (streamed) file are exact too', async (t) => {
    const fx = await makeFixture(t);
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(path.join(fx.root, 'large.bin'), payload);
    const h = await setup(t, {}, fx);
    const n = payload.length;
    for (const [range, start, end] of [
      [undefined, 0, n - 1],
      ['bytes=1048570-2097160', 1048570, 2097160],
      ['bytes=-1500000', n - 1500000, n - 1],
      ['bytes=5-', 5, n - 1],
    ] as const) {
      const r = await h.get('/large.bin', range === undefined ? {} : { range });
      assert.equal(r.status, range === undefined ? 200 : 206);
      assert.equal(r.body.length, end - start + 1);
      assert.ok(r.body.equals(payload.subarray(start, end + 1)), range);
    }
  });

  test('unsatisfiable ranges give 416 with bytes */size', async (t) => {
    const h = await setup(t);
    for (const [p, range, size] of [
      ['/data.bin', 'bytes=1000-', 1000],
      ['/data.bin', 'bytes=5000-6000', 1000],
      ['/data.bin', 'bytes=-0', 1000],
      ['/empty', 'bytes=0-', 0],
    ] as const) {
      const r = await h.get(p, { range });
      assert.equal(r.status, 416, range);
      assert.equal(header(r, 'content-range'), `bytes */${size}`);
    }
  });

  test('multiple, malformed and hostile ranges are ignored: 200 with the full body', async (t) => {
    const h = await setup(t);
    const hostile = [
      'bytes=0-1,5-6',
      'bytes=0-0,-1',
      'bytes=5-1',
      'bytes=',
      'bytes=-',
      'bytes=abc',
      'items=0-10',
      '0-10',
      'bytes=99999999999999999999-',
      'bytes=0-99999999999999999999999999',
      'bytes=' + '0-1,'.repeat(2000),
      'bytes=' + ','.repeat(8000),
      'bytes=\u00ff0-1',
      'bytes=0-1\t;',
    ];
    for (const range of hostile) {
      const r = await h.get('/data.bin', { range });
      assert.equal(r.status, 200, range.slice(0, 40));
      assert.equal(r.body.length, 1000);
      assert.equal(header(r, 'content-range'), undefined);
    }
    // Two Range fields arrive joined by a comma: a multi-range in disguise.
    const twice = await h.get('/data.bin', { range: ['bytes=0-1', 'bytes=2-3'] });
    assert.equal(twice.status, 200);
  });

  test('If-Range: honoured when it matches, full body otherwise', async (t) => {
    const h = await setup(t);
    const first = await h.get('/data.bin');
    const etag = header(first, 'etag') ?? '';
    assert.equal((await h.get('/data.bin', { range: 'bytes=0-9', 'if-range': etag })).status, 206);
    const lm = header(first, 'last-modified') ?? '';
    assert.equal((await h.get('/data.bin', { range: 'bytes=0-9', 'if-range': lm })).status, 206);
    const stale = await h.get('/data.bin', { range: 'bytes=0-9', 'if-range': '"stale"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.length, 1000);
  });
});

describe('startFileServer: directories', () => {
  test('a directory without slash redirects to the slash', async (t) => {
    const h = await setup(t);
    const r = await h.get('/sub');
    assert.equal(r.status, 301);
    assert.equal(header(r, 'location'), '/sub/');
    assert.equal(header(await h.get('/sub?format=json'), 'location'), '/sub/?format=json');
    // Never a protocol-relative redirect to another host.
    assert.equal(header(await h.get('//sub'), 'location'), '/sub/');
    assert.equal(header(await h.get('/in-dir'), 'location'), '/in-dir/');
    // A file asked for as a directory does not exist.
    assert.equal((await h.get('/hello.txt/')).status, 404);
  });

  test('JSON listing via Accept or ?format=json, sorted, no dotfiles, no escaping links', async (t) => {
    const h = await setup(t);
    for (const [p, headers] of [
      ['/', { accept: 'application/json' }],
      ['/?format=json', {}],
    ] as const) {
      const r = await h.get(p, headers);
      assert.equal(r.status, 200);
      assert.match(header(r, 'content-type') ?? '', /^application\/json/);
      const listing = JSON.parse(r.text) as {
        path: string;
        entries: { name: string; type: string; size: number; mtime: string }[];
      };
      assert.equal(listing.path, '/');
      const names = listing.entries.map((e) => e.name);
      assert.deepEqual(names, [
        '%2e%2e',
        'a&b<c>.txt',
        'data.bin',
        'empty',
        'hello.txt',
        'in-dir',
        'in-link',
        'shard-000.tar',
        'sub',
        'with space.txt',
      ]);
      const byName = new Map(listing.entries.map((e) => [e.name, e]));
      assert.deepEqual(
        { ...byName.get('data.bin'), mtime: undefined },
        {
          name: 'data.bin',
          type: 'file',
          size: 1000,
          mtime: undefined,
        },
      );
      assert.equal(byName.get('sub')?.type, 'dir');
      assert.equal(byName.get('in-dir')?.type, 'dir');
      assert.ok(!Number.isNaN(Date.parse(byName.get('hello.txt')?.mtime ?? '')));
    }
    const sub = JSON.parse((await h.get('/sub/?format=json')).text) as {
      path: string;
      entries: { name: string }[];
    };
    assert.equal(sub.path, '/sub/');
    assert.deepEqual(
      sub.entries.map((e) => e.name),
      ['deeper', 'nested.json'],
    );
  });

  test('HTML listing is nginx-autoindex shaped with encoded hrefs', async (t) => {
    const h = await setup(t);
    const r = await h.get('/');
    assert.equal(r.status, 200);
    assert.match(header(r, 'content-type') ?? '', /^text\/html/);
    assert.match(r.text, /<title>Index of \/<\/title>/);
    assert.match(r.text, /^<a href="sub\/">sub\/<\/a> +\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d +-\r$/m);
    assert.match(r.text, /^<a href="data.bin">data.bin<\/a> +\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d +1000\r$/m);
    assert.ok(r.text.includes('<a href="with%20space.txt">with space.txt</a>'));
    assert.ok(r.text.includes('<a href="a%26b%3Cc%3E.txt">a&#38;b&#60;c&#62;.txt</a>'));
    assert.ok(r.text.includes('<a href="%252e%252e">%2e%2e</a>'));
    assert.ok(!r.text.includes('../'), 'no parent link at the root');
    assert.ok(!r.text.includes('.env') && !r.text.includes('out-link') && !r.text.includes('dangling'));
    assert.ok(!r.text.includes(h.fx.base), 'no filesystem path');
    // Directories come first, as in nginx.
    assert.ok(r.text.indexOf('href="sub/"') < r.text.indexOf('href="data.bin"'));

    const sub = await h.get('/sub/');
    assert.ok(sub.text.includes('<a href="../">../</a>'));
    assert.ok(sub.text.includes('<a href="deeper/">deeper/</a>'));
    const head = await h.get('/sub/', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(header(head, 'content-length'), String(sub.body.length));
  });
});

describe('startFileServer: safety', () => {
  test('traversal corpus never escapes root and never leaks paths', async (t) => {
    const h = await setup(t);
    const corpus: [string, number][] = [
      ['/../secret.txt', 400],
      ['/..', 400],
      ['/sub/../../secret.txt', 400],
      ['/%2e%2e/secret.txt', 400],
      ['/%2E%2E/secret.txt', 400],
      ['/%2E%2E/', 400],
      ['/..%2fsecret.txt', 400],
      ['/sub%2f..%2f..%2fsecret.txt', 400],
      ['/%2f..%2fsecret.txt', 400],
      ['/%2fsecret.txt', 404],
      ['/%252e%252e/secret.txt', 404],
      ['/%252e%252e%252fsecret.txt', 404],
      ['/..\\secret.txt', 400],
      ['/sub\\..\\..\\secret.txt', 400],
      ['/%5c..%5csecret.txt', 400],
      ['/hello.txt%00', 400],
      ['/%00/../secret.txt', 400],
      ['/%E0%A4%A', 400],
      ['/%', 400],
      ['/./hello.txt', 400],
      ['/out-link', 403],
      ['/out-dir/', 403],
      ['/out-dir/file.txt', 403],
      ['/out-dir', 403],
      ['/dangling', 404],
      ['/nope', 404],
    ];
    for (const [p, want] of corpus) {
      for (const method of ['GET', 'HEAD']) {
        const r = await h.get(p, {}, method);
        assert.equal(r.status, want, `${method} ${p}`);
        assert.ok(!r.text.includes(SECRET), p);
        assert.ok(!r.text.includes(h.fx.base), p);
      }
    }
  });

  test('symlinks inside root are followed', async (t) => {
    const h = await setup(t);
    const r = await h.get('/in-link');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello world\n');
    assert.equal((await h.get('/in-dir/nested.json')).text, '{"ok":true}');
  });

  test("dotfiles: 404 under 'deny' (also via a symlink), served under 'allow'", async (t) => {
    const fx = await makeFixture(t);
    const deny = await setup(t, {}, fx);
    for (const p of ['/.env', '/.git/config', '/.git/', '/sub/.hidden', '/dot-link', '/%2eenv']) {
      assert.equal((await deny.get(p)).status, 404, p);
    }
    const allow = await setup(t, { dotfiles: 'allow' }, fx);
    assert.equal((await allow.get('/.env')).text, 'SECRET=1');
    assert.equal((await allow.get('/.git/config')).text, '[core]');
    assert.equal((await allow.get('/dot-link')).text, 'SECRET=1');
    const listing = JSON.parse((await allow.get('/?format=json')).text) as { entries: { name: string }[] };
    assert.ok(listing.entries.some((e) => e.name === '.env'));
  });

  test(
    'permission denied gives 403',
    { skip: process.getuid?.() === 0 && 'root reads everything' },
    async (t) => {
      const h = await setup(t);
      const locked = path.join(h.fx.root, 'locked.bin');
      await writeFile(locked, 'x');
      await chmod(locked, 0o000);
      assert.equal((await h.get('/locked.bin')).status, 403);
    },
  );

  test('methods other than GET and HEAD get 405 with Allow', async (t) => {
    const h = await setup(t);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await h.get('/hello.txt', {}, method);
      assert.equal(r.status, 405, method);
      assert.equal(header(r, 'allow'), 'GET, HEAD');
    }
  });

  test('a foreign Host is refused on a token-less loopback server (DNS rebinding)', async (t) => {
    const h = await setup(t);
    assert.equal((await h.get('/hello.txt', { host: 'evil.example' })).status, 403);
    assert.equal((await h.get('/hello.txt', { host: `localhost:${h.server.port}` })).status, 200);
    assert.equal((await h.get('/hello.txt', { host: `[::1]:${h.server.port}` })).status, 200);
  });

  test('a non-loopback bind requires a token', async (t) => {
    const fx = await makeFixture(t);
    for (const bind of ['0.0.0.0', '::', '10.1.2.3', 'example.com']) {
      await assert.rejects(
        startFileServer({ root: fx.root, bind }),
        (err: unknown) => err instanceof FileServerError && err.code === FileServerErrorCode.TokenRequired,
        bind,
      );
    }
    await assert.rejects(startFileServer({ root: fx.root, token: '' }), {
      code: FileServerErrorCode.InvalidOptions,
    });
    await assert.rejects(startFileServer({ root: path.join(fx.base, 'nope') }), {
      code: FileServerErrorCode.InvalidRoot,
    });
    await assert.rejects(startFileServer({ root: path.join(fx.root, 'hello.txt') }), {
      code: FileServerErrorCode.InvalidRoot,
    });
  });

  test('a token, when set, is required on every request', async (t) => {
    const fx = await makeFixture(t);
    const token = randomBytes(16).toString('hex');
    const h = await setup(t, { bind: '0.0.0.0', token }, fx);
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: 'Bearer wrong' }, 401],
      [{ authorization: `Bearer ${token}x` }, 401],
      [{ authorization: `Basic ${token}` }, 401],
      [{ authorization: token }, 401],
      [{ authorization: `Bearer ${token}` }, 200],
      [{ authorization: `bearer ${token}` }, 200],
    ];
    for (const [headers, want] of cases) {
      const r = await h.get('/hello.txt', headers);
      assert.equal(r.status, want, JSON.stringify(headers));
      if (want === 401) assert.ok(!r.text.includes('hello'));
    }
    assert.equal((await h.get('/', {})).status, 401);
    assert.equal((await h.get('/../secret.txt', {})).status, 401);
    assert.equal((await h.get('/hello.txt', {}, 'POST')).status, 401);
  });
});

describe('startFileServer: robustness', () => {
  test('500 concurrent connections all succeed', async (t) => {
    const fx = await makeFixture(t);
    await mkdir(path.join(fx.root, 'many'));
    const payloads = Array.from({ length: 500 }, (_, i) => randomBytes(1024 + i * 97));
    await Promise.all(payloads.map((p, i) => writeFile(path.join(fx.root, 'many', `f-${i}.bin`), p)));
    const server = await startFileServer({ root: fx.root });
    t.after(() => server.close());
    const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 500 });
    t.after(() => pool.close());
    const bodies = await Promise.all(
      payloads.map(async (_, i) => {
        const r = await pool.request({ path: `/many/f-${i}.bin`, method: 'GET' });
        assert.equal(r.statusCode, 200);
        return Buffer.from(await r.body.arrayBuffer());
      }),
    );
    bodies.forEach((b, i) => assert.deepEqual(b, payloads[i]));
    // The client can hold the last bytes before the server has seen its 'finish'; let the accounting settle.
    await settle(() => server.stats().bytesSent === payloads.reduce((n, p) => n + p.length, 0));
    const stats = server.stats();
    assert.equal(stats.requests, 500);
    assert.equal(
      stats.bytesSent,
      payloads.reduce((n, p) => n + p.length, 0),
    );
    assert.ok(stats.activeConnections > 1);
  });

  test('close() resolves promptly with idle keep-alive sockets open', async (t) => {
    const fx = await makeFixture(t);
    const server = await startFileServer({ root: fx.root });
    const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 4, keepAliveTimeout: 60_000 });
    t.after(() => pool.close());
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const r = await pool.request({ path: '/hello.txt', method: 'GET' });
        await r.body.text();
      }),
    );
    // A connection that has not sent a request yet (undici and browsers open them ahead of time) is idle too.
    const silent = connect(server.port, '127.0.0.1');
    t.after(() => silent.destroy());
    await new Promise<void>((resolve) => silent.once('connect', resolve));
    await settle(() => server.stats().activeConnections === 5);
    assert.equal(server.stats().activeConnections, 5);
    const started = Date.now();
    await server.close();
    // Idle connections are closed at once; waiting for them would take closeTimeoutMs (10 s by default).
    assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
    assert.equal(server.stats().activeConnections, 0);
    await server.close(); // idempotent
  });

  test('close() lets an in-flight download finish, then resolves', async (t) => {
    const fx = await makeFixture(t);
    const payload = randomBytes(8 * 1024 * 1024);
    await writeFile(path.join(fx.root, 'large.bin'), payload);
    const server = await startFileServer({ root: fx.root });
    const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 1, keepAliveTimeout: 60_000 });
    t.after(() => pool.close());
    const r = await pool.request({ path: '/large.bin', method: 'GET' });
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    const body = Buffer.from(await r.body.arrayBuffer());
    assert.equal(body.length, payload.length);
    assert.ok(body.equals(payload));
    await closing;
    assert.ok(closed);
  });

  test('close() destroys connections still busy after closeTimeoutMs', async (t) => {
    const fx = await makeFixture(t);
    await writeFile(path.join(fx.root, 'large.bin'), randomBytes(16 * 1024 * 1024));
    const server = await startFileServer({ root: fx.root, closeTimeoutMs: 100 });
    const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 1 });
    t.after(() => pool.destroy());
    const r = await pool.request({ path: '/large.bin', method: 'GET' });
    // Never read the body: the server's writes back up and the response cannot finish.
    const started = Date.now();
    await server.close();
    // Without the destroy, close() would never resolve (the body is never read); the bound allows for load.
    assert.ok(Date.now() - started < 20_000, `close took ${Date.now() - started} ms`);
    await assert.rejects(r.body.arrayBuffer());
  });

  test('a client that never finishes its headers is dropped', async (t) => {
    const fx = await makeFixture(t);
    const server = await startFileServer({ root: fx.root, headersTimeoutMs: 200 });
    t.after(() => server.close());
    const socket = connect(server.port, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const started = Date.now();
    socket.write('GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const timer = setInterval(() => socket.write('a'), 50); // trickles bytes: idle timeouts alone would not fire
    t.after(() => clearInterval(timer));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // The trickle would keep it open up to Node's own 60 s headers timeout; 200 ms is asked, load allowed.
    assert.ok(elapsed < 30_000, `dropped after ${elapsed} ms`);
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  test('a client aborting mid-body does not disturb the server', async (t) => {
    const fx = await makeFixture(t);
    await writeFile(path.join(fx.root, 'large.bin'), randomBytes(32 * 1024 * 1024));
    const lines: string[] = [];
    const h = await setup(t, { log: (l) => lines.push(l) }, fx);
    const ac = new AbortController();
    const pool = new Pool(h.server.url.replace(/\/$/, ''), { connections: 1 });
    t.after(() => pool.close());
    const r = await pool.request({ path: '/large.bin', method: 'GET', signal: ac.signal });
    for await (const _chunk of r.body) {
      ac.abort();
      break;
    }
    // The server keeps serving, and an abort is routine, not an error line.
    assert.equal((await h.get('/hello.txt')).text, 'hello world\n');
    assert.ok(!lines.some((l) => l.startsWith('error')), lines.join('\n'));
  });
});
