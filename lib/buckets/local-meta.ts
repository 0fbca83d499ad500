// Where the local bucket keeps an object's metadata (source, checksum, job): in an extended attribute of the
// object's own file, `user.ferry`, set on the temp file before the rename — or, where the filesystem refuses
// one, in a sidecar file under `<bucket>/.ferry/meta/` as every release before this one did.
//
// Why an attribute: a sidecar is a second inode and directory entry per object, and that is what made ext4 slow
// down as it filled. `bench/commit-pattern.ts` on a fresh ext4 (2026-12-01, 300,000 objects): temp file +
// rename 35 µs of CPU per object, + xattr 41 µs, + sidecar (ferry's commit until now) 67 µs; at 1,000,000 the
// sidecar's objects/s fell to ×0.31 of the first tenth while the attribute's stayed level (README › Scale).
// The attribute also commits with the data: it belongs to the inode the rename publishes, so no crash can leave
// metadata without its object or the other way round.
//
// Why a library: Node has no xattr calls. @napi-rs/xattr ships prebuilt binaries as per-platform npm packages
// (no compiler, no download at install); where none fits, or the attribute is refused (tmpfs before Linux 6.6,
// ramfs, a value larger than the filesystem's xattr space), the sidecar is written instead. head() reads the
// attribute first and then the sidecar, so objects written by older releases keep their metadata.
import { createRequire } from 'node:module';
import type * as Xattr from '@napi-rs/xattr';
import type { ObjectMeta } from './types.js';

type XattrLib = typeof Xattr;

export const XATTR_NAME = 'user.ferry';

/** What is stored as an object's metadata, in the attribute or the sidecar alike. */
export interface StoredMeta extends ObjectMeta {
  size: number;
  /** Inode of the data file this metadata describes: a sidecar left by a crash before the rename never
   * vouches for an older file under the same name (an attribute cannot: it belongs to the inode). */
  ino: number;
  /** Its mtime: a rewrite in place keeps the inode (and perhaps the size) but not the mtime, which rename keeps. */
  mtimeMs: number;
}

/** The metadata's stored text, for the temp file `st` describes (every commit path writes the same JSON). */
export function metaText(meta: ObjectMeta, size: number, st: { ino: number; mtimeMs: number }): string {
  return JSON.stringify({ ...meta, size, ino: st.ino, mtimeMs: st.mtimeMs } satisfies StoredMeta);
}

const lib: XattrLib | undefined = (() => {
  try {
    return createRequire(import.meta.url)('@napi-rs/xattr') as XattrLib;
  } catch {
    // No binary for this platform: sidecars only.
    return undefined;
  }
})();

/** Whether this process can set attributes at all (a filesystem may still refuse them). */
export const xattrLoaded = lib !== undefined;

/**
 * What became of an attempt to store the metadata as an attribute: `set`; `unsupported` when the filesystem
 * has no user attributes (stop trying on this bucket); `refused` for this value or this moment (too large, no
 * room): write the sidecar for this object.
 */
export type XattrOutcome = 'set' | 'unsupported' | 'refused';

/** The library's errors carry only a message ending "(os error N)". */
function outcome(err: unknown): XattrOutcome {
  const n = /\(os error (\d+)\)/.exec(err instanceof Error ? err.message : String(err))?.[1];
  // 95: EOPNOTSUPP (= ENOTSUP on Linux).
  return n === '95' ? 'unsupported' : 'refused';
}

export function setMetaXattrSync(file: string, text: string): XattrOutcome {
  if (!lib) return 'unsupported';
  try {
    lib.setAttributeSync(file, XATTR_NAME, text);
    return 'set';
  } catch (err) {
    return outcome(err);
  }
}

export async function setMetaXattr(file: string, text: string): Promise<XattrOutcome> {
  if (!lib) return 'unsupported';
  try {
    await lib.setAttribute(file, XATTR_NAME, text);
    return 'set';
  } catch (err) {
    return outcome(err);
  }
}

/** The attribute's text, or undefined when the file has none (or cannot have one, or is gone). */
export async function getMetaXattr(file: string): Promise<string | undefined> {
  if (!lib) return undefined;
  try {
    const v = await lib.getAttribute(file, XATTR_NAME);
    return v ? v.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}
