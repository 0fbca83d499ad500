// Test entry: starts ONE real Temporal dev server (the Go-built binary) for the whole suite, runs every
// test file serially with node:test against it, and stops the server whatever the outcome.
//
//   node dist/test/run.js [FILTER ...]   FILTER: substrings of test file paths (e.g. `unit`, `template`)
import { spawn } from 'node:child_process';
import { readdirSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../devserver/temporal.js';

const here = dirname(fileURLToPath(import.meta.url));

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = findTests(here).filter(
    (f) => filters.length === 0 || filters.some((flt) => relative(here, f).includes(flt)),
  );
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), 'ferry-test-'));
  const server = await startDevServer({ uiPort: false, logFile: join(work, 'temporal.log') });
  console.log(`# Temporal dev server ${server.address} (pid ${server.pid}, Go-built binary)`);
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
        {
          stdio: 'inherit',
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: server.address,
            TEMPORAL_NAMESPACE: server.namespace,
            FERRY_TEST_TEMPORAL_ADDRESS: server.address,
            FERRY_TEST_WORKDIR: work,
          },
        },
      );
      child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
    });
    return code;
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
