// The replay corpus: recorded workflow histories under test/histories/ (at the repository root, not in dist/),
// one proto3-JSON file per workflow run, and manifest.json saying what each one is. Histories carry no
// workflow ID, and migrationWorkflow derives its serve child's ID from it, so replay needs the manifest's.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../devserver/paths.js';

export const CORPUS_DIR = join(repoRoot, 'test', 'histories');
export const MANIFEST = 'manifest.json';

export interface CorpusEntry {
  /** File name under the corpus directory. */
  file: string;
  workflowType: string;
  /** The workflow ID the run had: replay runs the code under this ID. */
  workflowId: string;
  runId: string;
  /** What the run does, in a few words. */
  shape: string;
  events: number;
  bytes: number;
  /** `git rev-parse --short HEAD` of the ferry tree that recorded it (`+dirty`: workflows/ or common/ changed). */
  commit: string;
  /** The command that recorded it. */
  recordedBy: string;
  /** The ferry CLI steps of the scenario (temporary paths and ports replaced by placeholders). */
  steps: string[];
}

export interface Manifest {
  histories: CorpusEntry[];
}

/** History files of the corpus: every *.json but the manifest, sorted. */
export function historyFiles(dir = CORPUS_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => n.endsWith('.json') && n !== MANIFEST).sort();
}

export function readManifest(dir = CORPUS_DIR): Manifest {
  let text: string;
  try {
    text = readFileSync(join(dir, MANIFEST), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { histories: [] };
    throw err;
  }
  return JSON.parse(text) as Manifest;
}
