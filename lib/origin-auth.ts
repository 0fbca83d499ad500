// Bearer tokens for origins that require one — step 1 off loopback is `ferry serve DIR --bind ADDR --token T`,
// and step 2's workers and CLI must then send `Authorization: Bearer T`. Tokens come from the environment
// (`FERRY_ORIGIN_TOKENS="host:port=TOKEN[,host:port=TOKEN…]"`, the worker's and the CLI's), never from workflow
// input or history, and each goes only to the origin it is named for: a job that also reads another origin, or a
// worker that serves other jobs, does not hand the token around. undici's redirect interceptor drops
// Authorization on a hop to another origin.
import { InputError } from '../common/errors.js';
import { ConfigErrorCode, ferryEnv } from './env.js';

let parsedFrom: string | undefined;
let tokens = new Map<string, string>();

/** `host:port` of a URL, the port made explicit (80/443 by scheme) so both spellings match. */
function hostKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.toLowerCase()}:${port}`;
}

/**
 * The FERRY_ORIGIN_TOKENS entries, by `host:port` (`host:*` when no port is given). A malformed entry is an
 * InputError that names its host but never echoes the token.
 */
export function parseOriginTokens(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const host = eq > 0 ? entry.slice(0, eq).trim() : '';
    const token = eq > 0 ? entry.slice(eq + 1).trim() : '';
    // The value is not echoed: it is a secret.
    if (!host || !token || /[/\s]/.test(host))
      throw new InputError(
        ConfigErrorCode.BadValue,
        `FERRY_ORIGIN_TOKENS: an entry is not HOST[:PORT]=TOKEN (host "${host || '?'}"); separate entries with commas`,
      );
    const url = new URL(`http://${host}`);
    out.set(/:\d+$/.test(host) ? hostKey(url) : `${url.hostname.toLowerCase()}:*`, token);
  }
  return out;
}

/** The Authorization header for `url`'s origin, or none. */
export function originAuth(url: string): Record<string, string> {
  const text = ferryEnv().originTokens() ?? '';
  if (text !== parsedFrom) {
    tokens = parseOriginTokens(text);
    parsedFrom = text;
  }
  if (tokens.size === 0) return {};
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return {};
  }
  const token = tokens.get(hostKey(u)) ?? tokens.get(`${u.hostname.toLowerCase()}:*`);
  return token ? { authorization: `Bearer ${token}` } : {};
}
