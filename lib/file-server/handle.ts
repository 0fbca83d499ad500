// One request: host, token and method checks, the path under root, then a listing or a file.
import { realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { authorized, hostAllowed } from './auth.js';
import type { Ctx } from './context.js';
import { sendListing } from './listing.js';
import { openInRoot, type Opened } from './open-file.js';
import { sendFsError, sendText } from './respond.js';
import { hasHiddenSegment, resolveSafePath, type SafePath } from './safe-path.js';
import { sendFile } from './send-file.js';

/**
 * Answers one request; counting and tracking it is the server's (server.ts), done just before. A file is
 * answered synchronously (no promise per request on the hot path); only listings return a promise.
 */
export function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): void | Promise<void> {
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

  if (safe.directory) return listing(ctx, req, res, safe, target);

  let opened: Opened;
  try {
    opened = openInRoot(ctx, safe);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  if (opened === 'forbidden') return sendText(ctx, req, res, 403, 'Forbidden');
  if (opened === 'hidden') return sendText(ctx, req, res, 404, 'Not Found');
  return sendFile(ctx, req, res, opened.fd, opened.st, safe);
}

// --- internal ---

/** Listings are rare next to file GETs: the async realpath (root's real path was computed once at start). */
async function listing(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  safe: Extract<SafePath, { ok: true }>,
  target: string,
): Promise<void> {
  let real: string;
  try {
    real = safe.segments.length === 0 ? ctx.realRoot : await realpath(safe.fsPath);
  } catch (err) {
    return sendFsError(ctx, req, res, err);
  }
  if (real !== ctx.realRoot && !real.startsWith(ctx.rootPrefix)) {
    return sendText(ctx, req, res, 403, 'Forbidden');
  }
  if (ctx.denyDotfiles && hasHiddenSegment(real.slice(ctx.rootPrefix.length))) {
    return sendText(ctx, req, res, 404, 'Not Found');
  }
  return sendListing(ctx, req, res, safe, real, target);
}
