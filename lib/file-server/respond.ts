// Small responses: fixed-text bodies, filesystem errors mapped to status codes, and the last-resort 500.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import type { Ctx } from './context.js';
import { messageOf } from '../../common/errors.js';

export function sendFsError(ctx: Ctx, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = fsErrorStatus(err);
  if (status === 500)
    ctx.log(`fs error on ${req.url ?? ''}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  // Error texts are fixed strings: fs messages carry absolute paths, which a client has no business seeing.
  sendText(ctx, req, res, status, STATUS_TEXT[status]);
}

export function sendText(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extra?: OutgoingHttpHeaders,
): void {
  sendBody(ctx, req, res, status, text + '\n', { ...extra, 'Content-Type': 'text/plain; charset=utf-8' });
}

export function sendBody(
  ctx: Ctx,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders,
): void {
  const buf = Buffer.from(body, 'utf8');
  headers['Content-Length'] = buf.length;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') {
    res.end();
  } else {
    ctx.stats.bytesSent += buf.length;
    res.end(buf);
  }
}

export function failRequest(ctx: Ctx, res: ServerResponse, err: unknown): void {
  ctx.log(`internal error: ${messageOf(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = 'Internal Server Error\n';
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

// --- internal ---

function fsErrorStatus(err: unknown): 403 | 404 | 500 {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENAMETOOLONG':
    case 'ELOOP':
      return 404;
    case 'EACCES':
    case 'EPERM':
      return 403;
    default:
      return 500;
  }
}

const STATUS_TEXT = { 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' } as const;
