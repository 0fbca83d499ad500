// The real object stores ferry writes to, started from the Go-built binaries: MinIO (S3) and a one-proxy,
// one-target AIStore cluster (native REST API, its S3 front end, and the `ais` CLI when one is available).
// Needs no Temporal server: `node --test dist/test/integration/servers.test.js` runs it alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { startAistore } from '../../devserver/aistore.js';
import { startMinio } from '../../devserver/minio.js';
import { repoRoot } from '../../devserver/paths.js';
import { isAlive, liveGroupMembers } from '../helpers/procs.js';

const run = promisify(execFile);

test('MinIO: a bucket, an object PUT and GET back through the AWS SDK, then a clean stop', async (t) => {
  const minio = await startMinio();
  t.after(() => minio.stop());
  assert.match(minio.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(
    listeningAddresses(minio.pid).filter((a) => !isLoopback(a)),
    [],
    'MinIO listens on loopback only',
  );

  const s3 = new S3Client({
    endpoint: minio.endpoint,
    region: minio.region,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  t.after(() => s3.destroy());
  await s3.send(new CreateBucketCommand({ Bucket: 'ferry-servers' }));
  const body = `hello from ferry ${Date.now()}`;
  await s3.send(new PutObjectCommand({ Bucket: 'ferry-servers', Key: 'dir/hello.txt', Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'ferry-servers', Key: 'dir/hello.txt' }));
  assert.equal(await got.Body?.transformToString(), body);
  assert.ok(existsSync(join(minio.dataDir, 'ferry-servers')), 'the object landed in our data dir');

  await minio.stop();
  await assertGone([minio.pid]);
  assert.equal(existsSync(minio.dataDir), false, 'temp data dir removed');
});

test('AIStore: ais:// bucket over the REST API (PUT follows the 307), the ais CLI, and the S3 front end', async (t) => {
  const ais = await startAistore();
  t.after(() => ais.stop());
  t.diagnostic(`AIStore ${ais.version} at ${ais.endpoint} (proxy ${ais.proxy.id}, target ${ais.target.id})`);
  assert.match(ais.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ais.s3Endpoint, `${ais.endpoint}/s3`);
  assert.match(ais.version, /^\d+\.\d+\./);

  // Listeners: control and data are always on loopback; public ones too when a second loopback address
  // exists (see devserver/aistore.ts for why AIStore needs one).
  for (const pid of ais.pids) {
    const open = listeningAddresses(pid);
    assert.equal(open.length, 3, `three listeners per node (public, control, data): ${open.join(' ')}`);
    const exposed = open.filter((a) => !isLoopback(a));
    if (ais.loopbackOnly) assert.deepEqual(exposed, [], `pid ${pid}: loopback only`);
    else {
      assert.equal(exposed.length, 1, `pid ${pid}: only the public port is off loopback: ${open.join(' ')}`);
      t.diagnostic(`no second loopback address: pid ${pid} public port listens on ${exposed[0]}`);
    }
  }

  const bucket = `ferry-${process.pid}`;
  const created = await request(`${ais.endpoint}/v1/buckets/${bucket}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'create-bck' }),
  });
  assert.equal(created.statusCode, 200, await created.body.text());

  const body = Buffer.from(`hello from ferry ${Date.now()}\n`);
  const objUrl = `${ais.endpoint}/v1/objects/${bucket}/dir/hello.txt`;
  const first = await request(objUrl, { method: 'PUT', body });
  await first.body.dump();
  assert.equal(first.statusCode, 307, 'the proxy redirects a PUT to the target');
  const location = first.headers.location;
  assert.ok(
    typeof location === 'string' && location.startsWith(`${ais.target.url}/v1/objects/${bucket}/`),
    String(location),
  );
  const put = await request(location, { method: 'PUT', body });
  assert.equal(put.statusCode, 200, await put.body.text());

  // GET is redirected too (AIStore answers it with 301); same dance.
  const got = Buffer.from(await (await aisRequest(objUrl)).body.arrayBuffer());
  assert.deepEqual(got, body);

  await t.test('the real ais CLI lists the object', async (st) => {
    const cli = aisCli();
    if (!cli) {
      st.skip(
        'no ais CLI: set FERRY_AIS_BIN or put it at .tools/bin/ais (the module proxy here does not serve it)',
      );
      return;
    }
    const { stdout } = await run(cli, ['ls', `ais://${bucket}`], {
      env: {
        ...process.env,
        AIS_ENDPOINT: ais.endpoint,
        HOME: ais.dataDir /* the CLI keeps its config in $HOME/.config/ais */,
      },
      timeout: 30_000,
    });
    assert.match(stdout, /dir\/hello\.txt/);
  });

  // S3 front end through the AWS SDK (any credentials; AIStore runs without auth here).
  const s3 = new S3Client({
    endpoint: ais.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'ferry', secretAccessKey: 'ferry-secret' },
  });
  t.after(() => s3.destroy());
  const s3body = `via s3 ${Date.now()}`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 's3/hello.txt', Body: s3body }));
  const s3got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 's3/hello.txt' }));
  assert.equal(await s3got.Body?.transformToString(), s3body);
  // ... and the native API sees the same object.
  const nativeBody = await (
    await aisRequest(`${ais.endpoint}/v1/objects/${bucket}/s3/hello.txt`)
  ).body.text();
  assert.equal(nativeBody, s3body);

  const root = ais.dataDir;
  await ais.stop();
  await assertGone(ais.pids);
  assert.equal(existsSync(root), false, 'temp data dir removed');
});

test('a SIGKILLed owner takes its servers with it (watchdog)', async () => {
  // A child Node process starts MinIO and AIStore, reports their pids, and is killed with SIGKILL: no exit
  // hook runs, so only the watchdogs (each reading a pipe from the owner) can stop the servers.
  const dev = (f: string): string => JSON.stringify(new URL(`../../devserver/${f}`, import.meta.url).href);
  const script = `const { startMinio } = await import(${dev('minio.js')});
    const { startAistore } = await import(${dev('aistore.js')});
    const [m, a] = await Promise.all([startMinio(), startAistore()]);
    process.stdout.write(JSON.stringify({ pids: [m.pid, ...a.pids], dirs: [m.dataDir, a.dataDir] }) + '\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.slice(0, buf.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
  });
  const { pids, dirs } = JSON.parse(line) as { pids: number[]; dirs: string[] };
  try {
    for (const pid of pids) process.kill(pid, 0); // all alive
    child.kill('SIGKILL');
    // The watchdog sends SIGTERM at once and SIGKILL 3 s later.
    await assertGone(pids);
  } finally {
    // Nobody was left to remove the temp dirs (the MinIO data dir lives inside its own temp root).
    for (const d of dirs) rmSync(d.endsWith('/data') ? dirname(d) : d, { recursive: true, force: true });
  }
});

// --- internal ---

/** One request to an AIStore proxy, re-issued once to the target it redirects to (301/302/307/308). */
async function aisRequest(url: string, init: { method?: 'GET' | 'PUT'; body?: Buffer } = {}) {
  const first = await request(url, init);
  if (![301, 302, 307, 308].includes(first.statusCode)) return first;
  await first.body.dump();
  const location = first.headers.location;
  assert.ok(typeof location === 'string', `redirect without Location from ${url}`);
  const res = await request(location, init);
  assert.equal(res.statusCode, 200, `${init.method ?? 'GET'} ${location}: ${res.statusCode}`);
  return res;
}

function aisCli(): string | undefined {
  const fromEnv = process.env.FERRY_AIS_BIN;
  if (fromEnv) return fromEnv;
  const local = join(repoRoot, '.tools', 'bin', 'ais');
  return existsSync(local) ? local : undefined;
}

/**
 * No process with these PIDs, nor any member of their process groups, is left. Waits for it, on state: a
 * SIGKILLed process dies a moment after the signal. The bound is for a loaded machine.
 */
async function assertGone(pids: number[], timeoutMs = 60_000): Promise<void> {
  const left = () => pids.filter((pid) => isAlive(pid) || liveGroupMembers(pid).length > 0);
  const deadline = Date.now() + timeoutMs;
  while (left().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // Zombie-aware: a server's children reparented to init are dead before init reaps them.
  for (const pid of pids) {
    assert.ok(!isAlive(pid), `pid ${pid} is gone`);
    assert.deepEqual(liveGroupMembers(pid), [], `process group ${pid} is empty`);
  }
}

/** `addr:port` of every TCP socket that `pid` listens on (Linux /proc). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  const fdDir = `/proc/${pid}/fd`;
  for (const fd of readdirSafe(fdDir)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSafe(join(fdDir, fd)));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const out: string[] = [];
  for (const [file, v6] of [
    [`/proc/${pid}/net/tcp`, false],
    [`/proc/${pid}/net/tcp6`, true],
  ] as const) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [local, state, inode] = [f[1], f[3], f[9]];
      if (!local || state !== '0A' || !inode || !inodes.has(inode)) continue; // 0A = LISTEN
      const [hex = '', port = '0'] = local.split(':');
      out.push(`${v6 ? decodeV6(hex) : decodeV4(hex)}:${parseInt(port, 16)}`);
    }
  }
  return out;
}

function isLoopback(addrPort: string): boolean {
  const host = addrPort.slice(0, addrPort.lastIndexOf(':'));
  return host.startsWith('127.') || host === '[::1]' || host === '[::ffff:127.0.0.1]';
}

function decodeV4(hex: string): string {
  const b = Buffer.from(hex, 'hex').reverse();
  return [...b].join('.');
}

function decodeV6(hex: string): string {
  // /proc prints four 32-bit words in host byte order; only the forms we need to tell apart are decoded.
  const h = hex.toUpperCase();
  if (h === '00000000000000000000000001000000') return '[::1]';
  if (/^0{32}$/.test(h)) return '[::]';
  if (h.startsWith('0000000000000000FFFF0000')) return `[::ffff:${decodeV4(h.slice(24))}]`;
  return `[${h}]`;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readlinkSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}
