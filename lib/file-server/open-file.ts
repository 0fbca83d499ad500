// Opening the file a request names, and proving that what was opened lies inside root.
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readlinkSync,
  realpathSync,
} from 'node:fs';
import type { Stats } from 'node:fs';

import type { Ctx } from './context.js';
import { hasHiddenSegment, type SafePath } from './safe-path.js';

/** An open descriptor with its fstat, or why the request is refused; fs errors are thrown (respond.ts maps them). */
export type Opened = { fd: number; st: Stats } | 'forbidden' | 'hidden';

/**
 * Opens `safe.fsPath` and checks the real path of the opened object against root and the dotfile rule.
 *
 * Synchronous on purpose, like nginx: for a file in the page cache open, fstat and readlink take microseconds
 * each, while every thread-pool round trip of the async API costs a futex wake-up and a context switch on
 * each side, which on a busy 2-core machine is most of a small file's time (bench `origin`: see README). A
 * filesystem that blocks (a network mount, a cold disk) then stalls every connection in turn, as it does
 * nginx without `aio threads`.
 *
 * On Linux the real path comes from /proc/self/fd/N *after* open: that is the object actually opened, so a
 * symlink swapped between a check and the open cannot race it, and it is one readlink instead of one per
 * path component. Elsewhere (no /proc) it falls back to realpath before open.
 */
export function openInRoot(ctx: Ctx, safe: Extract<SafePath, { ok: true }>): Opened {
  let fd: number;
  let real: string;
  if (procFd) {
    fd = openSync(safe.fsPath, OPEN_FLAGS);
    try {
      real = readlinkSync(`/proc/self/fd/${fd}`);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  } else {
    real = safe.segments.length === 0 ? ctx.realRoot : realpathSync.native(safe.fsPath);
    const refused = refuse(ctx, real);
    if (refused) return refused;
    fd = openSync(safe.fsPath, OPEN_FLAGS);
  }
  const refused = procFd ? refuse(ctx, real) : undefined;
  if (refused) {
    closeSync(fd);
    return refused;
  }
  try {
    return { fd, st: fstatSync(fd) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

// --- internal ---

/**
 * O_NONBLOCK: opening a FIFO would otherwise block until a writer shows up (here: the event loop). It has no
 * effect on reads of regular files, which are all we serve. O_NOCTTY: a terminal never becomes ours.
 */
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY;

/** Whether /proc/self/fd names open descriptors by their path (Linux with /proc mounted). */
const procFd = ((): boolean => {
  if (process.platform !== 'linux') return false;
  try {
    const fd = openSync('/', fsConstants.O_RDONLY);
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === '/';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
})();

function refuse(ctx: Ctx, real: string): 'forbidden' | 'hidden' | undefined {
  if (real !== ctx.realRoot && !real.startsWith(ctx.rootPrefix)) return 'forbidden';
  // A symlink with an innocent name may point at a dotfile inside root.
  if (ctx.denyDotfiles && hasHiddenSegment(real.slice(ctx.rootPrefix.length))) return 'hidden';
  return undefined;
}
