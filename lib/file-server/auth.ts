// Who may ask: the bearer token, the Host check against DNS rebinding, and what counts as loopback.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';

import type { Ctx } from './context.js';

/** Token digests: hashing both sides gives timingSafeEqual equal-length buffers (see server.ts). */
export function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Whether `bind` is reachable from this host only, so serving without a token is safe. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '[::1]') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** Without a token, only IP literals and this machine's own names are accepted in Host (DNS rebinding). */
export function hostAllowed(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  let name = hostHeader.toLowerCase();
  if (name.startsWith('[')) return true; // an IPv6 literal
  const colon = name.lastIndexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  const own = osHostname().toLowerCase();
  return name === own || name === own.split('.')[0];
}

/** Whether the Authorization header carries the token, compared in constant time; true when none is set. */
export function authorized(ctx: Ctx, header: string | undefined): boolean {
  if (ctx.tokenDigest === undefined) return true;
  if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ')
    return false;
  return timingSafeEqual(sha256(header.slice(7).trim()), ctx.tokenDigest);
}
