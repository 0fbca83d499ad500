// One request: host, token and method checks, the path under root, then a listing or a file.
import { constants as fsConstants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { authorized, hostAllowed } from './auth.js';
import type { Ctx } from './context.js';
import { sendListing } from './listing.js';
import { sendFsError, sendText } from './respond.js';
import { hasHiddenSegment, resolveSafePath } from './safe-path.js';
import { sendFile } from './send-file.js';

/** Answers one request; counting and tracking it is the server's (server.ts), done just before. */
export async function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Requests pipelined on a busy socket while we close get their answer, then the socket goes.
  if (ctx.closing) res.shouldKeepAlive = false;

  if (ctx.checkHost && !hostAllowed(req.headers.host)) {
    return sendText(ctx, req, res, 403, 'Forbidden: unexpected Host header; use an IP address or localhost');
  }
  if (!authorized(ctx, req.headers.authorization)) {
    return sendText(ctx, req, res, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer realm="ferry"' });
  }
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    return sendText(ctx, req, res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
  }

  const target = req.url ?? '/';
  const safe = resolveSafePath(ctx.realRoot, target);
  if (!safe.ok) return sendText(ctx, req, res, 400, 'Bad Request');
  if (safe.hidden && ctx.denyDotfiles) return sendText(ctx, req, res, 404, 'Not Found');

  // Resolve symlinks of the target only: the root's real path was computed once at start. The native
  // realpath is a single threadpool call, cheaper than an lstat per segment from JavaScript.
  // (A local user who can swap path components between this check and open() could race it; our threat is
  // the HTTP client, who cannot.)
  let real: string;
  try {
    real = safe.segments.length === 0 ? ctx.realRoot : await realpath(safe.fsPath);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  if (real !== ctx.realRoot && !real.startsWith(ctx.rootPrefix)) {
    return sendText(ctx, req, res, 403, 'Forbidden');
  }
  // A symlink with an innocent name may point at a dotfile inside root.
  if (ctx.denyDotfiles && hasHiddenSegment(real.slice(ctx.rootPrefix.length))) {
    return sendText(ctx, req, res, 404, 'Not Found');
  }

  if (safe.directory) return sendListing(ctx, req, res, safe, real, target);

  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise block a threadpool thread until a writer shows up. It has no
    // effect on reads of regular files, which are all we serve.
    fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  await sendFile(ctx, req, res, fh, safe);
}
