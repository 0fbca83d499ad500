/**
 * Step 1 of a migration: serve a directory over HTTP/1.1 so that step 2 (and rclone, wget, aria2, curl) can
 * download named files from it.
 *
 * It is `python -m http.server` with what that one lacks for this job: keep-alive, Range requests, validators
 * for conditional GETs, a listing other tools can parse, a hard boundary at `root`, and a bearer token when it
 * is reachable from other hosts. It is the origin of our benchmarks, so the hot path does no synchronous fs
 * call and streams with large reads.
 */
// This module only re-exports: each concern lives in a file of its own (server, safe-path, conditional,
// listing, send-file, respond, auth, content-type).
export { startFileServer } from './server.js';
export type { FileServer, FileServerOptions, FileServerStats } from './types.js';
export { FileServerError, FileServerErrorCode } from './errors.js';
export { resolveSafePath, type SafePath } from './safe-path.js';
export { parseRange } from './conditional.js';
