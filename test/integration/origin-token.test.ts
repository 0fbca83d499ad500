// FERRY_ORIGIN_TOKENS: step 1 is `ferry serve DIR --token T` (as it must be off loopback), step 2 a prefetch
// of its whole listing and a templated download, whose CLI and workers send `Authorization: Bearer T` to that
// origin only. Without the token the origin refuses (401); another origin the same worker reads never sees it;
// the token is in no workflow history; a malformed variable is one line, exit 2, and does not echo the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { cliEnv, ferry, scratch, sha256File } from '../helpers/exec.js';
import { serve } from '../helpers/seed.js';

const TOKEN = `tok-${randomBytes(12).toString('hex')}`;

test('origin tokens: sent to their origin only, never in history; malformed is bad input', async (t) => {
  const [src, out] = scratch(t, 'otok-src', 'otok-out');
  mkdirSync(join(src, 'sub dir'));
  const names = ['a.bin', 'b.bin', 'sub dir/c d.bin'];
  for (const n of names) writeFileSync(join(src, n), randomBytes(5000));
  const url = await serve(t, src, cliEnv({ FERRY_SERVE_TOKEN: TOKEN }));
  const host = new URL(url).host;

  // Without the token: refused before anything starts (the listing probe gets 401).
  const refused = await ferry(['job', 'start', 'prefetch', url, join(out, 'none'), '--wait', '-q'], cliEnv());
  assert.notEqual(refused.code, 0, refused.stdout);
  assert.match(refused.stderr, /401|403|forbidden|unauthori[sz]ed/i);

  const env = cliEnv({ FERRY_ORIGIN_TOKENS: `${host}=${TOKEN}` });
  const pre = await ferry(['job', 'start', 'prefetch', url, join(out, 'pre'), '--wait', '-q'], env);
  assert.equal(pre.code, 0, pre.stderr + pre.stdout);
  for (const n of names) assert.equal(sha256File(join(out, 'pre', n)), sha256File(join(src, n)), n);
  const dl = await ferry(
    ['job', 'start', 'download', `${url}{a,b}.bin`, join(out, 'dl'), '--wait', '-q'],
    env,
  );
  assert.equal(dl.code, 0, dl.stderr + dl.stdout);
  const got = await ferry(['object', 'get', `${url}a.bin`, join(out, 'one.bin')], env);
  assert.equal(got.code, 0, got.stderr);
  assert.equal(sha256File(join(out, 'one.bin')), sha256File(join(src, 'a.bin')));

  // Another origin read with the same environment never sees the token.
  const seen: (string | undefined)[] = [];
  const other = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-length': '3' }).end('abc');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  t.after(() => other.close());
  const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  const o = await ferry(
    ['job', 'start', 'download', `${otherUrl}x-{1..2}`, join(out, 'other'), '--wait', '-q'],
    env,
  );
  assert.equal(o.code, 0, o.stderr + o.stdout);
  assert.ok(seen.length >= 2, `the other origin saw ${seen.length} requests`);
  assert.deepEqual(
    seen.filter((a) => a !== undefined),
    [],
  );

  // No history holds the token.
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  t.after(() => connection.close());
  const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default' });
  for (const r of [pre, dl, o]) {
    const id = r.stdout.split('\n')[0]!.trim();
    const history = JSON.stringify(await client.workflow.getHandle(id).fetchHistory());
    assert.ok(history.length > 100, `history of ${id}`);
    assert.ok(!history.includes(TOKEN), `the token is in the history of ${id}`);
  }

  // Malformed: one line, exit 2, the token not echoed.
  const bad = await ferry(
    ['job', 'start', 'prefetch', url, join(out, 'bad'), '-q'],
    cliEnv({ FERRY_ORIGIN_TOKENS: TOKEN }),
  );
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^ferry: FERRY_ORIGIN_TOKENS: an entry is not HOST\[:PORT\]=TOKEN/m);
  assert.ok(!bad.stderr.includes(TOKEN), 'the malformed entry echoed the token');
});
