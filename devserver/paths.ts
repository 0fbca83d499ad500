// Where ferry finds its tools and keeps its state. Shared by the CLI, tests and benchmarks.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOL_BIN_VARS, ferryEnv } from '../lib/env.js';

/** Repository root: this file compiles to dist/devserver/paths.js. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** User state directory (embedded dev server DB, logs): $FERRY_STATE_DIR or XDG state home. */
export function stateDir(): string {
  return ferryEnv().stateDir();
}

/** The pins in scripts/tools.sh, for finding a cached build when .tools/bin is absent. */
export const TOOL_VERSIONS: Record<string, string> = {
  temporal: 'v1.5.1',
  minio: 'v0.0.0-20260212201848-7aac2a2c5b7c',
  aisnode: 'v1.5.0',
};

/**
 * Resolve a tool binary: explicit env override, the working tree's .tools/bin, then the per-user cache
 * that scripts/tools.sh fills. Throws a message that says how to build it.
 */
export function toolBinary(name: 'temporal' | 'minio' | 'aisnode'): string {
  const env = ferryEnv();
  const fromEnv = env.toolBin(name);
  if (fromEnv) return fromEnv;
  const local = join(repoRoot, '.tools', 'bin', name);
  if (existsSync(local)) return local;
  const version = TOOL_VERSIONS[name];
  if (version) {
    const cached = join(env.toolsCache(), `${name}-${version}`, 'bin', name);
    if (existsSync(cached)) return cached;
  }
  throw new Error(
    `${name} binary not found (looked at $${TOOL_BIN_VARS[name]}, ${local}). Build it with: npm run tools -- ${name}`,
  );
}
