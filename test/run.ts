// Test entry: runs the test files serially with node:test and, when any selected file needs one, ONE real
// Temporal dev server (the Go-built binary) for all of them, stopped whatever the outcome.
//
//   node dist/test/run.js [--unit] [FILTER ...]
//     FILTER   substrings of test file paths (e.g. `unit`, `template`, `integration/job-control`)
//     --unit   only the server-free folders (test/unit, test/replay): no dev server, no Go tools needed
//
// Files under the server-free folders never get a server: a selection made only of them starts none.
//
// No process outlives the runner, however it ends: `node --test` runs in a process group of its own (its
// per-file processes and their plain children share it) that is killed when it exits, when the runner gets a
// signal, and — through a watchdog reading a pipe from the runner — when the runner is SIGKILLed. Processes
// the tests start in groups of their own (test/helpers/cli.ts) carry watchdogs on their test file's process.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchGroup } from '../devserver/process.js';
import { startDevServer } from '../devserver/temporal.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Folders whose tests need no Temporal server (pure code, MockActivityEnvironment, replay from files). */
const SERVER_FREE = ['unit', 'replay'];

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const serverFree = (file: string): boolean => SERVER_FREE.includes(relative(here, file).split(sep)[0]!);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const filters = args.filter((a) => a !== '--unit');
  const files = findTests(here)
    .filter((f) => !unitOnly || serverFree(f))
    .filter((f) => filters.length === 0 || filters.some((flt) => relative(here, f).includes(flt)));
  if (files.length === 0) {
    console.error(`no test files match ${args.join(' ')}`);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FERRY_TEST_WORKDIR: work };
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  try {
    if (!files.every(serverFree)) {
      // With its Web UI (on a free loopback port): integration/web-ui opens job pages in a browser.
      server = await startDevServer({ logFile: join(work, 'temporal.log') });
      console.log(
        `# Temporal dev server ${server.address} (pid ${server.pid}, Go-built binary), Web UI ${server.uiUrl}`,
      );
      Object.assign(env, {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: server.namespace,
        FERRY_TEST_TEMPORAL_ADDRESS: server.address,
        FERRY_TEST_TEMPORAL_UI: server.uiUrl,
      });
    } else console.log(`# no dev server: ${files.length} server-free test file(s)`);
    return await runNodeTest(files, env);
  } finally {
    await server?.stop();
    // Retries: the last test's servers are being killed by their watchdogs and may write for a moment more.
    try {
      rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch (err) {
      console.log(`# cleanup: ${work} not removed (${(err as Error).message})`);
    }
  }
}

/** `node --test` over `files` in a process group of its own that dies with it and with this process. */
function runNodeTest(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
    { stdio: 'inherit', env, detached: true },
  );
  if (child.pid === undefined) throw new Error('could not start node --test');
  const pgid = child.pid;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is empty already
    }
  };
  const watchdog = watchGroup(pgid);
  // Detached, the group is not in the terminal's foreground: forward what a user or CI sends us.
  const forward = () => {
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 3000).unref();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of signals) process.on(sig, forward);
  process.on('exit', () => killGroup('SIGKILL'));
  return new Promise<number>((resolve) => {
    child.once('exit', (code, sig) => {
      // Whatever a killed test file left in the group (plain children of it) goes now.
      killGroup('SIGKILL');
      watchdog.retire();
      for (const sig of signals) process.off(sig, forward);
      resolve(code ?? (sig ? 1 : 0));
    });
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
