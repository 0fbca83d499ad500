// ferry as a package: `npm pack` the built tree, install the tarball into a project of its own
// (test/fixtures/embedder: its own worker, workflow and task queue, FerryPlugin, a non-default namespace) and
// run it against the suite's dev server. Nothing here imports the fixture: it sees ferry only as installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { startFileServer } from '../../lib/file-server/index.js';
import { scratch } from '../helpers/exec.js';
import { testAddress } from '../helpers/temporal.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COUNT = 20;

test('an embedder installs the packed tarball, runs FerryPlugin in its own worker, starts and watches jobs', async (t) => {
  const [work, src, out] = scratch(t, 'embedder', 'embedder-src', 'embedder-out');
  const names = Array.from({ length: COUNT }, (_, i) => `shard-${String(i + 1).padStart(3, '0')}.bin`);
  for (const n of names) writeFileSync(join(src, n), randomBytes(4096 + names.indexOf(n)));

  let t0 = performance.now();
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
    cwd: ROOT,
  });
  const tarball = join(work, packed.stdout.trim().split('\n').pop()!);
  const packSecs = (performance.now() - t0) / 1000;

  const app = join(work, 'app');
  cpSync(join(ROOT, 'test/fixtures/embedder'), app, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  pkg.dependencies.ferry = `file:${tarball}`;
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  t0 = performance.now();
  // A real install from the registry (cache first): the SDK arrives as ferry's peer dependencies, one copy.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    timeout: 300_000,
  });
  const installSecs = (performance.now() - t0) / 1000;
  const sdk = await run('npm', ['ls', '@temporalio/common', '--all', '--parseable'], { cwd: app });
  assert.equal(new Set(sdk.stdout.trim().split('\n')).size, 1, `one copy of the SDK:\n${sdk.stdout}`);

  // A namespace other than 'default', registered as an operator would.
  const namespace = `embedder-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: testAddress() });
  t.after(() => connection.close());
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });

  const server = await startFileServer({ root: src });
  t.after(() => server.close());
  const destA = join(out, 'a');
  const destB = join(out, 'b');
  mkdirSync(destA);
  mkdirSync(destB);
  t0 = performance.now();
  const { stdout } = await run(process.execPath, ['main.js'], {
    cwd: app,
    timeout: 240_000,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: testAddress(),
      TEMPORAL_NAMESPACE: namespace,
      EMBEDDER_TASK_QUEUE: `embedder-${randomUUID()}`,
      EMBEDDER_ORIGIN: `http://127.0.0.1:${server.port}/`,
      EMBEDDER_COUNT: String(COUNT),
      EMBEDDER_DEST_A: destA,
      EMBEDDER_DEST_B: destB,
    },
  });
  const runSecs = (performance.now() - t0) / 1000;
  const seen = JSON.parse(stdout.trim().split('\n').pop()!) as {
    child: { archived: boolean; objects: number; bytes: number };
    jobId: string;
    progress: { state: string; done: number }[];
    state: string;
    report: { copied: number; failed: number };
    resumed: string;
  };
  const bytes = names.reduce((a, n) => a + readFileSync(join(src, n)).length, 0);
  assert.deepEqual(seen.child, { archived: true, objects: COUNT, bytes });
  assert.equal(seen.state, 'completed');
  assert.equal(seen.report.copied, COUNT);
  assert.equal(seen.resumed, 'nothing');
  assert.match(seen.jobId, /^dnl-[0-9a-f]{10}$/);
  assert.ok(seen.progress.length > 0 && seen.progress.at(-1)!.done === COUNT, JSON.stringify(seen.progress));
  for (const dest of [destA, destB]) {
    assert.deepEqual(
      readdirSync(dest)
        .filter((n) => n.endsWith('.bin'))
        .sort(),
      names,
    );
    for (const n of names) assert.ok(readFileSync(join(dest, n)).equals(readFileSync(join(src, n))), n);
  }
  // The jobs ran in the embedder's namespace.
  const listed = connection.workflowService.describeNamespace({ namespace });
  assert.equal((await listed).namespaceInfo?.name, namespace);
  t.diagnostic(
    `npm pack ${packSecs.toFixed(1)} s, npm install ${installSecs.toFixed(1)} s, embedder run ${runSecs.toFixed(1)} s`,
  );
});
