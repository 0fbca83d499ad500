// `workers > 1`: the same boundary and answers from N processes sharing one socket, and a clean close().
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Pool, request } from 'undici';

import { makeServeDirectory } from '../../activities/serve-directory.js';

import { FileServerErrorCode, startFileServer } from '../../lib/file-server/index.js';

test('two workers serve files, refuse escapes and dotfiles, count requests, and close', async (t) => {
  const base = await mkdtemp(path.join(tmpdir(), 'ferry-fs-cluster-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  await mkdir(root);
  await writeFile(path.join(root, 'a.txt'), 'hello\n');
  await writeFile(path.join(root, '.env'), 'SECRET=1');
  await writeFile(path.join(base, 'secret.txt'), 'outside');
  await symlink(path.join(base, 'secret.txt'), path.join(root, 'out-link'));

  const lines: string[] = [];
  const server = await startFileServer({ root, workers: 2, log: (l) => lines.push(l) });
  const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 8 });
  try {
    const get = async (p: string) => {
      const r = await pool.request({ path: p, method: 'GET' });
      return { status: r.statusCode, text: await r.body.text() };
    };
    const many = await Promise.all(Array.from({ length: 40 }, () => get('/a.txt')));
    for (const r of many) assert.deepEqual(r, { status: 200, text: 'hello\n' });
    assert.equal((await get('/out-link')).status, 403);
    assert.equal((await get('/.env')).status, 404);
    assert.equal((await get('/%2e%2e/secret.txt')).status, 400);
    assert.ok(
      lines.some((l) => l.includes('2 worker processes')),
      lines.join('\n'),
    );
  } finally {
    await pool.close();
  }
  await server.close();
  // Workers report their counters every 250 ms and once more when they close.
  assert.equal(server.stats().requests, 43);
  assert.equal(server.stats().activeConnections, 0);
});

test('workers must be a positive integer', async () => {
  await assert.rejects(startFileServer({ root: tmpdir(), workers: 0 }), {
    code: FileServerErrorCode.InvalidOptions,
  });
});

test('a port in use is EADDRINUSE from the workers too (serveDirectory then takes another)', async (t) => {
  const first = await startFileServer({ root: tmpdir() });
  t.after(() => first.close());
  await assert.rejects(startFileServer({ root: tmpdir(), workers: 2, port: first.port }), {
    code: 'EADDRINUSE',
  });
});

test('the fast path answers in every worker, and its count adds up', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-fs-cluster-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, 'a.bin'), Buffer.alloc(64 * 1024, 1));
  const server = await startFileServer({ root, workers: 2 });
  const pool = new Pool(server.url.replace(/\/$/, ''), { connections: 8 });
  try {
    const sizes = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const r = await pool.request({ path: '/a.bin', method: 'GET' });
        return (await r.body.arrayBuffer()).byteLength;
      }),
    );
    assert.deepEqual(new Set(sizes), new Set([64 * 1024]));
  } finally {
    await pool.close();
  }
  await server.close();
  assert.equal(server.stats().fastRequests, 40);
  assert.equal(server.stats().bytesSent, 40 * 64 * 1024);
});

test('serveDirectory runs FERRY_SERVE_PROCESSES processes, and stops them when cancelled', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'ferry-fs-cluster-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, 'a.txt'), 'hello\n');
  const env = new MockActivityEnvironment();
  const url = new Promise<string>((resolve) =>
    env.on('heartbeat', (d: { url?: string }) => {
      if (d.url) resolve(d.url);
    }),
  );
  const serve = makeServeDirectory({ serveRoot: root, serveProcesses: 2 });
  const running = env.run(serve, { root, workflowId: 'mig-test' });
  const base = await url;
  const r = await request(`${base}a.txt`);
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'hello\n');
  env.cancel();
  const result = (await running) as { requests: number };
  assert.equal(result.requests, 1);
  // The processes are gone: nothing listens on the port any more.
  await assert.rejects(request(`${base}a.txt`));
});
