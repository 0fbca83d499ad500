// The fast path (lib/file-server/fast-path.ts) must be invisible: for every request, alone or pipelined, a
// server with it answers byte for byte what node:http's path answers (Date aside), refuses what that path
// refuses, and counts the same. Raw sockets, because a client library would normalise what we compare.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';

import { startFileServer, type FileServer } from '../../lib/file-server/index.js';

const SECRET = 'TOP-SECRET-OUTSIDE-ROOT';

async function fixture(t: TestContext): Promise<string> {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-fast-path-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await writeFile(path.join(base, 'secret.txt'), SECRET);
  await writeFile(path.join(root, 'hello.txt'), 'hello world\n');
  await writeFile(path.join(root, 'small.bin'), Buffer.alloc(64 * 1024, 7));
  await writeFile(path.join(root, 'edge.bin'), Buffer.alloc(256 * 1024, 8)); // exactly the fast path's bound
  await writeFile(path.join(root, 'big.bin'), Buffer.alloc(256 * 1024 + 1, 9)); // one byte over
  await writeFile(path.join(root, 'empty'), '');
  await writeFile(path.join(root, 'with space.txt'), 'spaced');
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(root, 'sub', '.hidden'), 'hidden');
  await symlink('../secret.txt', path.join(root, 'out-link'));
  await symlink('hello.txt', path.join(root, 'in-link'));
  await symlink('.env', path.join(root, 'dot-link'));
  await symlink('missing', path.join(root, 'dangling'));
  return root;
}

const H = 'Host: 127.0.0.1\r\n';
const get = (target: string, extra = ''): string => `GET ${target} HTTP/1.1\r\n${H}${extra}\r\n`;

/** [name, raw request, expected status]. Each keeps the connection open (pipelined below as one write). */
const KEEP_ALIVE: [string, string, number][] = [
  ['small text file', get('/hello.txt'), 200],
  ['64 KiB file', get('/small.bin'), 200],
  ['file at the bound', get('/edge.bin'), 200],
  ['file over the bound', get('/big.bin'), 200],
  ['empty file', get('/empty'), 200],
  ['HEAD', `HEAD /hello.txt HTTP/1.1\r\n${H}\r\n`, 200],
  ['percent-encoded name', get('/with%20space.txt'), 200],
  ['query string', get('/hello.txt?x=1'), 200],
  ['symlink inside root', get('/in-link'), 200],
  ['Connection: keep-alive', get('/hello.txt', 'Connection: keep-alive\r\n'), 200],
  ['other headers', get('/hello.txt', 'User-Agent: t\r\nAccept: */*\r\nX-A:  b \r\n'), 200],
  ['dotfile', get('/.env'), 404],
  ['file below a dot segment', get('/sub/.hidden'), 404],
  ['symlink to a dotfile', get('/dot-link'), 404],
  ['symlink out of root', get('/out-link'), 403],
  ['encoded traversal', get('/%2e%2e/secret.txt'), 400],
  ['encoded slash traversal', get('/..%2fsecret.txt'), 400],
  ['missing file', get('/missing'), 404],
  ['dangling symlink', get('/dangling'), 404],
  ['directory without slash', get('/sub'), 301],
  ['foreign Host (DNS rebinding)', 'GET /hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n', 403],
  ['Range', get('/small.bin', 'Range: bytes=10-19\r\n'), 206],
  ['unsatisfiable Range', get('/hello.txt', 'Range: bytes=999-\r\n'), 416],
  ['If-None-Match', get('/hello.txt', 'If-None-Match: *\r\n'), 304],
  ['If-Modified-Since', get('/hello.txt', 'If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n'), 304],
  ['POST', `POST /hello.txt HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, 405],
  ['header case', 'GET /hello.txt HTTP/1.1\r\nhOsT: 127.0.0.1\r\n\r\n', 200],
  ['tab in a header', get('/hello.txt', 'X-Tab:\tv\r\n'), 200],
];

/** Requests after which the server closes the connection: sent alone. */
const CLOSING: [string, string, number][] = [
  ['Connection: close', get('/hello.txt', 'Connection: close\r\n'), 200],
  ['HTTP/1.0 without Host (the DNS-rebinding check wants one)', 'GET /hello.txt HTTP/1.0\r\n\r\n', 403],
  ['HTTP/1.0', `GET /hello.txt HTTP/1.0\r\n${H}\r\n`, 200],
  ['no Host', 'GET /hello.txt HTTP/1.1\r\n\r\n', 400],
  ['duplicate Host (node:http keeps the first)', `GET /hello.txt HTTP/1.1\r\n${H}${H}\r\n`, 200],
  ['lower-case method', `get /hello.txt HTTP/1.1\r\n${H}\r\n`, 400],
  ['obs-fold', `GET /hello.txt HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n`, 400],
  ['bare LF', `GET /hello.txt HTTP/1.1\n${H}\r\n`, 400],
  ['space before colon', `GET /hello.txt HTTP/1.1\r\n${H}X-A : b\r\n\r\n`, 400],
  ['absolute-form target', `GET http://127.0.0.1/hello.txt HTTP/1.1\r\n${H}\r\n`, 400],
  [
    'smuggling: CL and TE',
    get('/hello.txt', 'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n') + '0\r\n\r\n',
    400,
  ],
];

interface Response {
  head: string;
  body: Buffer;
}

/**
 * Sends `raw` (in two writes, cut at `cut` when given, so a head can straddle segments) and reads until
 * `count` responses are complete or the server closes. HEAD answers carry no body whatever their length.
 */
async function exchange(
  server: FileServer,
  raw: string,
  count: number,
  heads: boolean[],
  cut?: number,
): Promise<{ responses: Response[]; closed: boolean }> {
  const socket = connect(server.port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  const responses: Response[] = [];
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`no ${count} responses to ${JSON.stringify(raw)}`)),
      20_000,
    );
    const parse = (): void => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.toString('latin1', 0, end);
        const len = /\r\ncontent-length: (\d+)/i.exec(head);
        const status = Number(head.slice(9, 12));
        const bodyLen =
          heads[responses.length] === true || status === 304 || len === null ? 0 : Number(len[1]);
        if (buf.length < end + 4 + bodyLen) return;
        responses.push({ head, body: buf.subarray(end + 4, end + 4 + bodyLen) });
        buf = buf.subarray(end + 4 + bodyLen);
      }
    };
    const finish = (): void => {
      clearTimeout(deadline);
      socket.destroy();
      resolve();
    };
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      parse();
      if (responses.length >= count) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', () => {});
    socket.once('connect', () => {
      if (cut === undefined) socket.write(raw, 'latin1');
      else {
        socket.write(raw.slice(0, cut), 'latin1');
        // The rest once the first part was taken: a head then straddles two reads at the server.
        setImmediate(() => socket.write(raw.slice(cut), 'latin1'));
      }
    });
  });
  return { responses, closed };
}

const normalise = (r: Response): { head: string; body: string } => ({
  head: r.head.replace(/\r\nDate: [^\r]*/, ''),
  body: r.body.toString('base64'),
});

async function pair(t: TestContext): Promise<{ fast: FileServer; slow: FileServer }> {
  const root = await fixture(t);
  const fast = await startFileServer({ root });
  t.after(() => fast.close());
  const slow = await startFileServer({ root, fastPath: false });
  t.after(() => slow.close());
  return { fast, slow };
}

const isHead = (raw: string): boolean => raw.startsWith('HEAD ');

test('each request alone: the same answer with and without the fast path', async (t) => {
  const { fast, slow } = await pair(t);
  for (const [name, raw, status] of [...KEEP_ALIVE, ...CLOSING]) {
    const a = await exchange(fast, raw, 1, [isHead(raw)]);
    const b = await exchange(slow, raw, 1, [isHead(raw)]);
    assert.ok(a.responses.length >= 1, name);
    assert.equal(Number(a.responses[0]!.head.slice(9, 12)), status, `${name}: ${a.responses[0]!.head}`);
    assert.deepEqual(a.responses.map(normalise), b.responses.map(normalise), name);
  }
  // Plain GETs of files up to 256 KiB, and nothing else, took the fast path (12 of the corpus).
  assert.equal(slow.stats().fastRequests, 0);
  assert.equal(fast.stats().fastRequests, 12);
  assert.equal(fast.stats().requests, slow.stats().requests);
  assert.equal(fast.stats().bytesSent, slow.stats().bytesSent);
});

test('pipelined in one write, and with heads cut across reads: the same stream', async (t) => {
  const { fast, slow } = await pair(t);
  const raw = KEEP_ALIVE.map(([, r]) => r).join('');
  const heads = KEEP_ALIVE.map(([, r]) => isHead(r));
  const n = KEEP_ALIVE.length;
  const cuts = [undefined, 5, raw.indexOf('/.env') + 2, Math.floor(raw.length / 2), raw.length - 3];
  for (const cut of cuts) {
    const a = await exchange(fast, raw, n, heads, cut);
    const b = await exchange(slow, raw, n, heads, cut);
    assert.equal(a.responses.length, n, `cut ${cut}`);
    assert.deepEqual(
      a.responses.map((r) => Number(r.head.slice(9, 12))),
      KEEP_ALIVE.map(([, , s]) => s),
      `cut ${cut}`,
    );
    assert.deepEqual(a.responses.map(normalise), b.responses.map(normalise), `cut ${cut}`);
  }
  // A request after a handed-over one on the same connection is node:http's: the fast path never resumes.
  assert.ok(fast.stats().fastRequests > 0);
  // Byte counters are compared in the test above (one request per connection). Here, with the client closing
  // right after the last pipelined answer, node:http's path sometimes (under load) counts a streamed answer
  // after close() has resolved: an open finding about the counters, not about what was sent.
});

test('a token is checked on the fast path too', async (t) => {
  const root = await fixture(t);
  const server = await startFileServer({ root, token: 's3cret' });
  t.after(() => server.close());
  const none = await exchange(server, get('/hello.txt'), 1, [false]);
  assert.match(none.responses[0]!.head, /^HTTP\/1\.1 401/);
  const wrong = await exchange(server, get('/hello.txt', 'Authorization: Bearer nope\r\n'), 1, [false]);
  assert.match(wrong.responses[0]!.head, /^HTTP\/1\.1 401/);
  // Sent twice: node:http's path decides (it keeps the first), never the fast path.
  const twice = get('/hello.txt', 'Authorization: Bearer nope\r\nAuthorization: Bearer s3cret\r\n');
  assert.match((await exchange(server, twice, 1, [false])).responses[0]!.head, /^HTTP\/1\.1 401/);
  const ok = await exchange(server, get('/hello.txt', 'Authorization: Bearer s3cret\r\n'), 1, [false]);
  assert.match(ok.responses[0]!.head, /^HTTP\/1\.1 200/);
  assert.equal(ok.responses[0]!.body.toString(), 'hello world\n');
  assert.equal(server.stats().fastRequests, 1);
});

test('close() ends idle fast-path connections at once, and a client FIN gets the answers first', async (t) => {
  const root = await fixture(t);
  const server = await startFileServer({ root });
  // Half-close right after the requests: every answer still arrives, then the server's FIN.
  const socket = connect(server.port, '127.0.0.1');
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
  socket.end(get('/hello.txt') + get('/in-link'));
  await ended;
  assert.equal(got.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
  socket.destroy();

  // An idle keep-alive connection the fast path holds is closed by close(), not after the keep-alive timeout.
  const idle = await exchange(server, get('/hello.txt'), 1, [false]); // (exchange destroys its own socket)
  assert.equal(idle.responses.length, 1);
  const held = connect(server.port, '127.0.0.1');
  const heldClosed = new Promise<void>((resolve) => held.once('close', () => resolve()));
  await new Promise<void>((resolve) => {
    held.once('data', () => resolve());
    held.write(get('/hello.txt'));
  });
  await server.close();
  await heldClosed;
  assert.equal(server.stats().activeConnections, 0);
  t.after(() => held.destroy());
});
