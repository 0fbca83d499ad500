// Replay: every history in test/histories/ runs through the current workflow code, as the worker loads it
// (worker/index.ts workflowBundle(): the prebuilt dist/workflow-bundle.js, or a fresh bundle when that is
// stale). A change to workflows/ that would break a job recorded by older code fails here, naming the file.
// Needs no Temporal server. Recording: node dist/scripts/record-histories.js (see CONTRIBUTING.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker, type History, type ReplayResult } from '@temporalio/worker';
import { repoRoot } from '../../devserver/paths.js';
import { installRuntime, workflowBundle } from '../../worker/index.js';
import { CORPUS_DIR, MANIFEST, historyFiles, readManifest, type CorpusEntry } from './corpus.js';
import { historyFromJSON } from './history-json.js';

const where = relative(repoRoot, CORPUS_DIR);

test('every recorded workflow history replays against the current workflow code', async (t) => {
  const files = historyFiles();
  assert.ok(
    files.length > 0,
    `the replay corpus ${where}/ has no histories: record them with node dist/scripts/record-histories.js`,
  );
  const entries = new Map(readManifest().histories.map((e) => [e.file, e]));
  const unlisted = files.filter((f) => !entries.has(f));
  assert.deepEqual(
    unlisted,
    [],
    `history files missing from ${where}/${MANIFEST} (replay needs each run's workflowId): ${unlisted.join(', ')}`,
  );
  const absent = [...entries.keys()].filter((f) => !files.includes(f));
  assert.deepEqual(absent, [], `${where}/${MANIFEST} lists files that are not there: ${absent.join(', ')}`);

  const corpus = files.map((file) => {
    const entry = entries.get(file)!;
    let history: History;
    try {
      history = historyFromJSON(JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')));
    } catch (err) {
      throw new Error(`${where}/${file}: not a readable history: ${messageOf(err)}`, { cause: err });
    }
    return { file, entry, history };
  });

  installRuntime();
  const replayed: { file: string; entry: CorpusEntry; result: ReplayResult }[] = [];
  let current: string | undefined;
  function* feed() {
    for (const { file, entry, history } of corpus) {
      current = file;
      yield { workflowId: entry.workflowId, history };
    }
  }
  try {
    // One replay worker for the whole corpus; it replays one history at a time and yields its result.
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, feed());
    for await (const result of results) {
      const { file, entry } = corpus[replayed.length]!;
      replayed.push({ file, entry, result });
    }
  } catch (err) {
    throw new Error(
      `replay stopped at ${where}/${current ?? '(before the first history)'}: ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }

  for (const { file, entry, result } of replayed) {
    await t.test(file, () => {
      if (result.error)
        assert.fail(
          `${where}/${file} (${entry.workflowType} ${entry.workflowId}, ${entry.shape}) does not replay on the ` +
            `current workflow code: ${result.error.name}: ${result.error.message}\n` +
            'A change to workflows/ that alters the commands of a recorded run must be guarded with patched() ' +
            '(CONTRIBUTING.md).',
        );
      assert.equal(
        result.runId,
        entry.runId,
        `${where}/${file} holds run ${result.runId}, but ${MANIFEST} says ${entry.runId}`,
      );
    });
  }
  assert.ok(
    replayed.length >= files.length,
    `replayed ${replayed.length} histories of the ${files.length} in ${where}/`,
  );
});

function messageOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
