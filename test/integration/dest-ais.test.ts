// ais:// against a real one-proxy, one-target AIStore: the seed scenario through the native driver and through
// AIStore's S3 front end with the s3:// driver, each checked by ferry's `ls`/`object get` and independently (the
// native REST API; the ais CLI when one is available — it cannot be built here); atomic visibility of a PUT; a
// worker killed mid-PUT; --skip-existing; bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { AisBucket } from '../../lib/buckets/ais.js';
import { startAistore, type AistoreCluster } from '../../devserver/aistore.js';
import { repoRoot } from '../../devserver/paths.js';
import { freePort } from '../../devserver/process.js';
import { CLI, cliEnv, ferry, rmrf, tempDir } from '../helpers/exec.js';
import {
  SEED_NAMES,
  counts,
  downloadSeed,
  lsJson,
  makeSeed,
  serve,
  sha256FileOf,
  sha256Of,
} from '../helpers/seed.js';

// The SDK's Node-version notice is for ferry's maintainers, not for test output (s3.ts says why).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let ais: AistoreCluster;
let work: string;

before(async () => {
  ais = await startAistore();
  work = tempDir('dest-ais');
});
after(async () => {
  await ais?.stop();
  rmrf(work);
});

function aisEnv(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({ AIS_ENDPOINT: ais.endpoint, ...extra });
}

/** AIStore's S3 front end takes any credentials; the s3:// driver still wants some. */
function aisS3Env(extra: Record<string, string> = {}): Record<string, string> {
  return cliEnv({
    AWS_ENDPOINT_URL: ais.s3Endpoint,
    AWS_ACCESS_KEY_ID: 'ferry',
    AWS_SECRET_ACCESS_KEY: 'ferry-secret',
    AWS_REGION: 'us-east-1',
    ...extra,
  });
}

/** One native REST request, re-issued to the target the proxy redirects to. */
async function rest(method: 'GET' | 'HEAD', path: string, body?: string) {
  let url = `${ais.endpoint}${path}`;
  for (let hop = 0; ; hop++) {
    const res = await request(url, {
      method,
      ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    const loc = res.headers.location;
    if (![301, 307].includes(res.statusCode) || typeof loc !== 'string' || hop > 2) return res;
    await res.body.dump();
    url = loc;
  }
}

/** The bucket's objects by the native list API: name → size. */
async function restList(bucket: string, prefix = ''): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token = '';
  do {
    const res = await rest(
      'GET',
      `/v1/buckets/${bucket}`,
      JSON.stringify({ action: 'list', value: { prefix, props: 'name,size', continuation_token: token } }),
    );
    assert.equal(res.statusCode, 200);
    const j = (await res.body.json()) as {
      continuation_token: string;
      entries: { name: string; size?: string }[] | null;
    };
    // `.ferry/` holds ferry's own files (a job's report parts, lib/job-files.ts), hidden from its listings too.
    for (const e of j.entries ?? [])
      if (!/(^|\/)\.ferry\//.test(e.name)) out.set(e.name.slice(prefix.length), Number(e.size ?? 0));
    token = j.continuation_token;
  } while (token);
  return out;
}

async function restGet(bucket: string, name: string): Promise<Buffer> {
  const res = await rest('GET', `/v1/objects/${bucket}/${name}`);
  assert.equal(res.statusCode, 200, `GET ${bucket}/${name}`);
  return Buffer.from(await res.body.arrayBuffer());
}

async function restHead(bucket: string, name: string) {
  const res = await rest('HEAD', `/v1/objects/${bucket}/${name}`);
  await res.body.dump();
  return res;
}

function customMd(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const raw = h['ais-custom-md'];
  const out: Record<string, string> = {};
  for (const kv of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const i = kv.indexOf('=');
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

describe('AIStore', () => {
  test('ais:// native: seed scenario, checked by ferry and by the REST API; skip-existing re-run copies 0', async (t) => {
    const src = tempDir('ais-seed-src');
    t.after(() => rmrf(src));
    const seed = makeSeed(src);
    const env = aisEnv();
    const url = await serve(t, src, env);

    const { hello, shards } = await downloadSeed(url, 'ais://seed', env);
    assert.equal(hello.code, 0, hello.stderr + hello.stdout);
    assert.equal(shards.code, 0, shards.stderr + shards.stdout);
    assert.deepEqual(counts(shards), { copied: 100, skipped: 0, failed: 0, total: 100 });
    t.diagnostic(`seed into ais:// (100 shards): ${/in ([\d.]+m?s)/.exec(shards.stdout)?.[1]}`);

    const listed = await lsJson('ais://seed', env);
    assert.deepEqual([...listed.keys()].sort(), [...SEED_NAMES].sort());
    for (const [n, size] of listed) assert.equal(size, seed.get(n)!.size, `ferry ls size of ${n}`);
    for (const n of ['hello-world', 'shard-001.tar', 'shard-050.tar']) {
      const out = join(work, `ais-got-${n}`);
      const got = await ferry(['object', 'get', `ais://seed/${n}`, out], env);
      assert.equal(got.code, 0, got.stderr);
      assert.equal(sha256FileOf(out), seed.get(n)!.sha256, `ferry object get ${n}`);
    }

    // Independent: AIStore's own list, bytes, checksum and custom properties.
    const native = await restList('seed');
    assert.deepEqual([...native.keys()].sort(), [...SEED_NAMES].sort());
    for (const n of SEED_NAMES) {
      assert.equal(native.get(n), seed.get(n)!.size, `AIS list size of ${n}`);
      assert.equal(sha256Of(await restGet('seed', n)), seed.get(n)!.sha256, `AIS bytes of ${n}`);
      const h = await restHead('seed', n);
      assert.equal(h.headers['ais-checksum-type'], 'sha256', 'ferry creates its buckets with sha256');
      assert.equal(h.headers['ais-checksum-value'], seed.get(n)!.sha256, `AIS's own sha256 of ${n}`);
      const md = customMd(h.headers);
      assert.equal(md['ferry-source-url'], `${url}${n}`);
      assert.match(md['ferry-job-id'] ?? '', /^dnl-/);
      assert.ok(md['ferry-source-etag'], `${n} records the origin's ETag`);
    }

    await t.test('the real ais CLI lists them', async (st) => {
      const cli = process.env.FERRY_AIS_BIN ?? join(repoRoot, '.tools', 'bin', 'ais');
      if (!existsSync(cli)) {
        st.skip('no ais CLI (the module proxy here does not serve github.com/NVIDIA/aistore/cmd/cli)');
        return;
      }
      const { stdout } = await promisify(execFile)(cli, ['ls', 'ais://seed', '--no-headers'], {
        env: { ...process.env, AIS_ENDPOINT: ais.endpoint, HOME: work },
      });
      for (const n of SEED_NAMES) assert.match(stdout, new RegExp(`^${n.replace('.', '\\.')}\\s`, 'm'));
    });

    const started = Date.now();
    const again = await ferry(
      [
        'job',
        'start',
        'download',
        `${url}shard-{001..100}.tar`,
        'ais://seed',
        '--wait',
        '-q',
        '--skip-existing',
      ],
      env,
    );
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(counts(again), { copied: 0, skipped: 100, failed: 0, total: 100 });
    t.diagnostic(
      `--skip-existing re-run into ais://: ${((Date.now() - started) / 1000).toFixed(1)} s CLI wall, ` +
        `job ${/in ([\d.]+m?s)/.exec(again.stdout)?.[1]}`,
    );
  });

  test('s3:// into AIStore through its S3 front end: seed scenario, checked by S3 listing and the REST API', async (t) => {
    const src = tempDir('ais-s3-src');
    t.after(() => rmrf(src));
    const seed = makeSeed(src);
    // Small multipart settings: the large shards go through AIStore's S3 multipart API as well.
    const env = aisS3Env({ FERRY_S3_MULTIPART_THRESHOLD: '5MiB', FERRY_S3_PART_SIZE: '5MiB' });
    const url = await serve(t, src, env);

    const { hello, shards } = await downloadSeed(url, 's3://viasthree', env);
    assert.equal(hello.code, 0, hello.stderr + hello.stdout);
    assert.equal(shards.code, 0, shards.stderr + shards.stdout);
    assert.deepEqual(counts(shards), { copied: 100, skipped: 0, failed: 0, total: 100 });

    const listed = await lsJson('s3://viasthree', env);
    assert.deepEqual([...listed.keys()].sort(), [...SEED_NAMES].sort());
    for (const [n, size] of listed) assert.equal(size, seed.get(n)!.size, `S3 listing size of ${n}`);
    const native = await restList('viasthree');
    assert.deepEqual([...native.keys()].sort(), [...SEED_NAMES].sort());
    for (const n of SEED_NAMES) {
      assert.equal(native.get(n), seed.get(n)!.size, `AIS list size of ${n}`);
      assert.equal(sha256Of(await restGet('viasthree', n)), seed.get(n)!.sha256, `AIS bytes of ${n}`);
    }
    const out = join(work, 'via-s3-got');
    const got = await ferry(['object', 'get', 's3://viasthree/shard-100.tar', out], env);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(sha256FileOf(out), seed.get('shard-100.tar')!.sha256);
    const s3 = new S3Client({
      endpoint: ais.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'ferry', secretAccessKey: 'ferry-secret' },
    });
    t.after(() => s3.destroy());
    const mpu = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'viasthree' }));
    assert.equal(mpu.Uploads?.length ?? 0, 0, 'no incomplete multipart uploads');

    // AIStore's S3 API keeps no x-amz-meta-*: --skip-existing falls back to size + modification time.
    const started = Date.now();
    const again = await ferry(
      [
        'job',
        'start',
        'download',
        `${url}shard-{001..100}.tar`,
        's3://viasthree',
        '--wait',
        '-q',
        '--skip-existing',
      ],
      env,
    );
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(counts(again), { copied: 0, skipped: 100, failed: 0, total: 100 });
    t.diagnostic(
      `--skip-existing re-run into AIStore via s3://: ${((Date.now() - started) / 1000).toFixed(1)} s CLI wall, ` +
        `job ${/in ([\d.]+m?s)/.exec(again.stdout)?.[1]}`,
    );
  });

  test('a reader never sees a partial object; a PUT that fails its length check leaves nothing', async () => {
    const bucket = new AisBucket('atomic', '', {
      endpoint: ais.endpoint,
      endpointFromEnv: true,
      token: undefined,
      verifyMax: 1024 * 1024,
    });
    await bucket.ensure();
    const data = Buffer.alloc(16 * 1024 * 1024, 7);
    // The body advances in lockstep with the reader below: chunk k is sent only once the reader has seen the
    // object absent k times (for the first chunks), so "absent while streaming" is observed by construction,
    // however slowly HEADs return on a loaded machine.
    let absent = 0;
    let looking = true;
    const slow = async function* () {
      for (let i = 0, k = 0; i < data.length; i += 512 * 1024, k++) {
        while (looking && k <= 12 && absent < k) await sleep(5);
        yield data.subarray(i, i + 512 * 1024);
      }
    };
    const put = bucket.put('slow.bin', Readable.from(slow()), {
      size: data.length,
      meta: { sourceUrl: 'http://test/slow.bin', jobId: 'atomic-test' },
      beforeCommit: () => ({ sha256: sha256Of(data), bytes: data.length }),
    });
    let done = false;
    void put.then(() => (done = true));
    const seen: number[] = [];
    while (!done) {
      const h = await restHead('atomic', 'slow.bin');
      if (h.statusCode === 200) {
        seen.push(Number(h.headers['content-length']));
        looking = false;
        break;
      }
      assert.equal(h.statusCode, 404, 'absent while the PUT streams');
      seen.push(0);
      absent++;
      await sleep(20);
    }
    await put;
    assert.ok(seen.filter((x) => x === 0).length >= 10, `HEAD saw it absent while streaming: ${seen.length}`);
    assert.ok(
      seen.every((x) => x === 0 || x === data.length),
      `never a partial size: ${seen.join(',')}`,
    );
    assert.equal(sha256Of(await restGet('atomic', 'slow.bin')), sha256Of(data));

    for (const size of [1000, 4 * 1024 * 1024]) {
      await assert.rejects(
        bucket.put(`short-${size}`, Readable.from([Buffer.alloc(size)]), {
          size,
          meta: { sourceUrl: 'http://test/short', jobId: 'atomic-test' },
          beforeCommit: () => {
            throw new Error('origin sent fewer bytes than Content-Length');
          },
        }),
        /fewer bytes/,
      );
      assert.equal((await restHead('atomic', `short-${size}`)).statusCode, 404, `short-${size} not visible`);
    }
  });

  test('kill -9 of the worker mid-PUT: nothing partial is visible; the job completes on another worker', async (t) => {
    const src = tempDir('ais-kill-src');
    t.after(() => rmrf(src));
    const big = Buffer.alloc(200 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
    writeFileSync(join(src, 'big.bin'), big);
    const env = aisEnv();
    const url = await serve(t, src, env);
    const worker = () =>
      spawn(process.execPath, [CLI, 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const w1 = worker();
    t.after(() => w1.kill('SIGKILL'));
    const start = await ferry(
      ['job', 'start', 'download', `${url}big.bin`, 'ais://kill', '--limit-bph', '36GiB', '--window', '1'],
      env,
    );
    assert.equal(start.code, 0, start.stderr + start.stdout);
    const jobId = start.stdout.split('\n')[0]!.trim();
    // Wait until the bucket exists (prepareBucket ran) and the PUT has been streaming a while (a slow machine
    // only makes the kill land earlier in the PUT, or before it: the checks hold either way).
    for (let i = 0; i < 1200; i++) {
      const r = await request(`${ais.endpoint}/v1/buckets/kill`, { method: 'HEAD' });
      await r.body.dump();
      if (r.statusCode === 200) break;
      await sleep(100);
    }
    await sleep(3000);
    w1.kill('SIGKILL');
    await new Promise((r) => w1.once('exit', r));
    assert.equal((await restHead('kill', 'big.bin')).statusCode, 404, 'no partial object after the kill');

    const w2 = worker();
    t.after(() => w2.kill('SIGKILL'));
    const done = await ferry(['show', 'job', jobId, '--progress'], env, 300_000);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /completed: 1 copied/);
    assert.equal(sha256Of(await restGet('kill', 'big.bin')), sha256Of(big));
    assert.deepEqual([...(await restList('kill')).keys()], ['big.bin']);
  });

  test('bad input: unreachable AIS_ENDPOINT and an invalid bucket name fail before anything starts', async () => {
    const closed = await freePort();
    const U = 'http://127.0.0.1:9/d/x-{1..3}';
    const unreachable = await ferry(
      ['job', 'start', 'download', U, 'ais://never', '--wait'],
      aisEnv({ AIS_ENDPOINT: `http://127.0.0.1:${closed}` }),
    );
    assert.equal(unreachable.code, 2, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach AIStore at AIS_ENDPOINT=http:\/\/127\.0\.0\.1:\d+/);
    const badName = await ferry(['job', 'start', 'download', U, 'ais://a..b', '--wait'], aisEnv());
    assert.equal(badName.code, 2, badName.stderr);
    assert.match(badName.stderr, /AIS bucket names cannot be "\." or contain "\.\."/);
    assert.equal((await rest('HEAD', '/v1/buckets/never')).statusCode, 404, 'nothing created');
  });
});
