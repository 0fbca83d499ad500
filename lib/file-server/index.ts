/**
 * Step 1 of a migration: serve a directory over HTTP/1.1 so that step 2 (and rclone, wget, aria2, curl) can
 * download named files from it.
 *
 * It is `python -m http.server` with what that one lacks for this job: keep-alive, Range requests, validators
 * for conditional GETs, a listing other tools can parse, a hard boundary at `root`, and a bearer token when it
 * is reachable from other hosts. It is step 1 of every migration, so it is built to keep up with nginx
 * (bench `origin`): like nginx, a file request makes its few fs calls synchronously (open-file.ts says why),
 * and large files stream with large reads.
 */
// This module only re-exports: each concern lives in a file of its own (server, safe-path, conditional,
// open-file, listing, send-file, respond, auth, content-type).
export { startFileServer } from './server.js';
export type { FileServer, FileServerOptions, FileServerStats } from './types.js';
export { FileServerError, FileServerErrorCode } from './errors.js';
export { resolveSafePath, type SafePath } from './safe-path.js';
export { parseRange } from './conditional.js';
