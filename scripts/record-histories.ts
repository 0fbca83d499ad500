// Records the replay corpus (test/histories/): runs every shape migrationWorkflow and serveWorkflow take
// through the real CLI (bin/ferry.js) against dev servers of its own, fetches each run's history and writes
// it as proto3 JSON, with manifest.json (what test/replay/replay.test.ts needs: each run's workflow ID) and
// README.md (generated from the manifest). Every step waits for a state (a GET arrived, the job is paused),
// never for time. See CONTRIBUTING.md for when to record.
//
//   npm run build && node dist/scripts/record-histories.js [--out DIR] [--only NAME,...] [--suffix S] [--overwrite]
//
//   --out DIR      where to write (default: test/histories of this tree)
//   --only NAMES   record only these scenarios (default: all; see test/replay/scenarios.ts)
//   --suffix S     write <file>-S.json: record next to older histories instead of replacing them
//   --overwrite    replace existing files (only together with removing the patch they need)
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { repoRoot } from '../devserver/paths.js';
import { startDevServer, temporalBinary, type DevServer } from '../devserver/temporal.js';
import { CORPUS_DIR, MANIFEST, readManifest, type CorpusEntry } from '../test/replay/corpus.js';
import { historyToJSON } from '../test/replay/history-json.js';
import { Ctx, SUGGEST_CAN_AT_EVENTS, fetchRun, scenarios } from '../test/replay/scenarios.js';
import { messageOf } from '../common/errors.js';

/** Bad arguments or a refused overwrite: the message alone, exit 2. */
class UsageError extends Error {}
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
}

async function main(): Promise<void> {
  const { values } = usage(() =>
    parseArgs({
      options: {
        out: { type: 'string' },
        only: { type: 'string' },
        suffix: { type: 'string' },
        overwrite: { type: 'boolean', default: false },
      },
    }),
  );
  const out = values.out ? resolve(values.out) : CORPUS_DIR;
  const only = values.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((n) => !scenarios.some((s) => s.name === n)) ?? [];
  if (unknown.length)
    throw new UsageError(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`,
    );
  const chosen = scenarios.filter((s) => !only || only.includes(s.name));
  const fileOf = (base: string) => `${base}${values.suffix ? `-${values.suffix}` : ''}.json`;
  const clash = chosen.flatMap((s) => s.files.map(fileOf)).filter((f) => existsSync(join(out, f)));
  if (clash.length && !values.overwrite)
    throw new UsageError(
      `already in ${out}: ${clash.join(', ')}. Old histories stay until the patch they need is removed ` +
        '(CONTRIBUTING.md): record next to them with --suffix, or replace them with --overwrite.',
    );

  mkdirSync(out, { recursive: true });
  const commit = gitCommit();
  const work = mkdtempSync(join(tmpdir(), 'ferry-rec-'));
  let count = 0;
  try {
    for (const kind of ['stock', 'can'] as const) {
      const batch = chosen.filter((s) => s.server === kind);
      if (!batch.length) continue;
      const server = await startServer(kind, work);
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection, namespace: server.namespace });
      try {
        for (const s of batch) {
          const dir = mkdtempSync(join(work, `${s.name}-`));
          const env = {
            ...process.env,
            TEMPORAL_ADDRESS: server.address,
            TEMPORAL_NAMESPACE: server.namespace,
            FERRY_TASK_QUEUE: `rec-${s.name}-${Date.now().toString(36)}`,
            FERRY_STATE_DIR: join(dir, 'state'),
            // A held GET (gated origin) waits on the caller's next step, not on the 60 s headers timeout.
            FERRY_HTTP_HEADERS_TIMEOUT_MS: '600000',
          };
          const ctx = new Ctx(dir, env, client);
          const t0 = Date.now();
          console.log(`# ${s.name}`);
          const recorded: CorpusEntry[] = [];
          try {
            for (const run of await s.run(ctx)) {
              const history = await fetchRun(client, run.workflowId, run.runId);
              const text = historyToJSON(history);
              const file = fileOf(run.file);
              writeFileSync(join(out, file), text);
              const events = history.events?.length ?? 0;
              recorded.push({
                file,
                workflowType:
                  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?',
                workflowId: run.workflowId,
                runId: run.runId,
                shape: run.shape,
                events,
                bytes: Buffer.byteLength(text),
                commit,
                recordedBy: `node dist/scripts/record-histories.js --only ${s.name}${values.suffix ? ` --suffix ${values.suffix}` : ''}`,
                steps: ctx.steps.map((x) => ctx.sanitize(x)),
              });
              console.log(`  ${file}: ${events} events, ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB`);
            }
          } finally {
            await ctx.close();
            // The manifest follows every scenario: no history file is ever left without its entry.
            save(out, recorded);
          }
          count += recorded.length;
          console.log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        }
      } finally {
        await connection.close();
        await server.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`wrote ${count} histories, ${MANIFEST} and README.md to ${out}`);
}

/** Merge `entries` into the manifest of `out` (same file: replaced) and regenerate its README. */
function save(out: string, entries: CorpusEntry[]): void {
  const kept = readManifest(out).histories.filter((e) => !entries.some((n) => n.file === e.file));
  const all = [...kept, ...entries].sort((a, b) => a.file.localeCompare(b.file));
  writeFileSync(join(out, MANIFEST), `${JSON.stringify({ histories: all }, null, 2)}\n`);
  writeFileSync(join(out, 'README.md'), readme(all));
}

/** A dev server of our own; for 'can' the same binary with continue-as-new suggested early. */
async function startServer(kind: 'stock' | 'can', work: string): Promise<DevServer> {
  const opts = { uiPort: false as const, logFile: join(work, `temporal-${kind}.log`) };
  if (kind === 'stock') return startDevServer(opts);
  // startDevServer takes no extra flags: a wrapper adds the dynamic config to the command it runs.
  const wrapper = join(work, 'temporal-can.sh');
  const flag = `limit.historyCount.suggestContinueAsNew=${SUGGEST_CAN_AT_EVENTS}`;
  writeFileSync(wrapper, `#!/bin/sh\nexec '${temporalBinary()}' "$@" --dynamic-config-value ${flag}\n`);
  chmodSync(wrapper, 0o755);
  return startDevServer({ ...opts, binary: wrapper });
}

function gitCommit(): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--', 'workflows', 'common') !== '';
  return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty' : ''}`;
}

function readme(entries: CorpusEntry[]): string {
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  const rows = entries.map(
    (e) =>
      `| \`${e.file}\` | ${e.workflowType} | ${e.shape} | ${e.events} | ${kib(e.bytes)} | ${e.commit} | \`${e.recordedBy}\` |`,
  );
  // One scenario records several files with the same steps: list them once per recorder command.
  const groups = new Map<string, CorpusEntry[]>();
  for (const e of entries) groups.set(e.recordedBy, [...(groups.get(e.recordedBy) ?? []), e]);
  const steps = [...groups].map(
    ([cmd, es]) =>
      `- \`${cmd}\` → ${es.map((e) => `\`${e.file}\``).join(', ')}\n` +
      es[0]!.steps.map((x) => `  - \`${x}\``).join('\n'),
  );
  return `# Replay corpus

Recorded histories of every shape \`migrationWorkflow\` and \`serveWorkflow\` take, one workflow run per file,
as proto3 JSON (\`temporal workflow show --output json\`'s format). \`test/replay/replay.test.ts\` replays each
one against the current workflow code (\`npm test\`; alone: \`node --test dist/test/replay/replay.test.js\`).
\`${MANIFEST}\` holds each run's workflow ID (histories carry none, and replay needs it). This file is generated
by \`scripts/record-histories.ts\` from it; see CONTRIBUTING.md for when to record and when to delete.

Continue-as-new is recorded on a dev server started with
\`--dynamic-config-value limit.historyCount.suggestContinueAsNew=${SUGGEST_CAN_AT_EVENTS}\`: the workflow takes the
same continue-as-new path it takes at \`CONTINUE_AS_NEW_AT_EVENTS\` (4000 events), at a fraction of the size.

| file | workflow | shape | events | size | commit | recorded by |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Total: ${entries.length} histories, ${kib(entries.reduce((n, e) => n + e.bytes, 0))}.

## Steps of each scenario

\`$WORK\` is the recorder's scratch directory, \`$ORIGIN/\` the HTTP origin (\`ferry serve\`; for stop and
pause, test/replay/gated-origin.ts, which holds chosen GETs until the scenario's next step), \`$JOB\` the job ID.

${steps.join('\n')}
`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof UsageError ? `record-histories: ${err.message}` : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
