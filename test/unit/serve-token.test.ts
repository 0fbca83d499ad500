// lib/serve-token.ts: the per-job token of a cross-host migration's file server, and who gets to send it; the
// worker's refusal to serve off loopback without the secret.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../devserver/paths.js';
import { serveAuthHeaders, serveToken } from '../../lib/serve-token.js';

test('the token is derived from the secret and the job, and differs when either does', () => {
  const t = serveToken('s3cret', 'mig-0123456789');
  assert.equal(t, serveToken('s3cret', 'mig-0123456789'));
  assert.notEqual(t, serveToken('s3cret', 'mig-0123456788'));
  assert.notEqual(t, serveToken('other', 'mig-0123456789'));
  assert.match(t, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!t.includes('s3cret'));
});

test('only migrations send it, and only with a secret', () => {
  assert.deepEqual(serveAuthHeaders('s', 'mig-0123456789'), {
    authorization: `Bearer ${serveToken('s', 'mig-0123456789')}`,
  });
  assert.equal(serveAuthHeaders('s', 'dnl-0123456789'), undefined);
  assert.equal(serveAuthHeaders('s', 'pre-0123456789'), undefined);
  assert.equal(serveAuthHeaders(undefined, 'mig-0123456789'), undefined);
  assert.equal(serveAuthHeaders('', 'mig-0123456789'), undefined);
});

test('ferry worker --serve-root --bind <not loopback> without FERRY_SERVE_SECRET: one line, exit 2', () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FERRY_STATE_DIR: mkdtempSync(join(tmpdir(), 'ferry-st-')),
  };
  delete env.FERRY_SERVE_SECRET;
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'bin', 'ferry.js'), 'worker', '--serve-root', tmpdir(), '--bind', '10.1.2.3'],
    { env, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ferry: --bind 10\.1\.2\.3 is reachable from other hosts: set FERRY_SERVE_SECRET/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
