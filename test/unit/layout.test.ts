// The house rule CONTRIBUTING.md states: no source file outside test/ and bench/ over 400 lines, so that a
// newcomer reads one concern per file. Checked here, not left to review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../devserver/paths.js';

const MAX_LINES = 400;
const SOURCE_DIRS = [
  'common',
  'workflows',
  'activities',
  'lib',
  'worker',
  'client',
  'devserver',
  'scripts',
  'plugin',
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test(`no source file outside test/ and bench/ is over ${MAX_LINES} lines`, () => {
  const files = SOURCE_DIRS.flatMap((d) => tsFiles(join(repoRoot, d)));
  assert.ok(files.length > 50, `found only ${files.length} source files: is repoRoot right?`);
  const long = files
    .map((f) => ({ f: relative(repoRoot, f), n: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter(({ n }) => n > MAX_LINES)
    .map(({ f, n }) => `${f} (${n})`);
  assert.deepEqual(long, [], 'split these into files of one concern each');
});
