// Splitting a download URL template into the origin base URL and the object-name template, the way the ais
// CLI names downloaded objects: everything after the last '/' that precedes the first template token is the
// object name (so `http://h/abc/shard-{001..999}.tar` → base `http://h/abc/`, names `shard-001.tar`...).
import { InputError } from './errors.js';
import type { Source } from './schemas.js';

/** A download URL template the user typed is wrong; `code` is `FERRY_ERR_SOURCE_*`. */
export class SourceError extends InputError {
  override readonly name = 'SourceError';
  constructor(message: string, code: string) {
    super(code, message);
  }
}

const TOKEN = /[{@%]/;

export function splitUrlTemplate(urlTemplate: string): { baseUrl: string; template: string } {
  // The authority ends at the first '/', '?' or '#' (RFC 3986), so `http://h?q` is a query, not a host.
  const m = /^(https?):\/\/([^/?#]*)([/?#].*)?$/i.exec(urlTemplate);
  if (!m) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(urlTemplate)?.[1];
    throw new SourceError(
      scheme
        ? `unsupported URL scheme "${scheme}:" in "${urlTemplate}" (supported: http://, https://)`
        : `"${urlTemplate}" is not an http(s) URL template`,
      'FERRY_ERR_SOURCE_BAD_URL',
    );
  }
  const authority = m[2] ?? '';
  if (authority.includes('@'))
    throw new SourceError(
      `credentials in the URL are not accepted (they would be stored in workflow history): "${redact(urlTemplate)}"`,
      'FERRY_ERR_SOURCE_CREDENTIALS_IN_URL',
    );
  if (!authority || TOKEN.test(authority))
    throw new SourceError(`host of "${urlTemplate}" is empty or templated`, 'FERRY_ERR_SOURCE_BAD_HOST');
  const path = m[3] ?? '/';
  if (path.includes('?') || path.includes('#'))
    throw new SourceError(
      `query strings and fragments are not supported in "${urlTemplate}"`,
      'FERRY_ERR_SOURCE_QUERY',
    );
  const first = firstToken(path);
  const cut = first < 0 ? path.lastIndexOf('/') : path.lastIndexOf('/', first);
  const template = path.slice(cut + 1);
  if (!template)
    throw new SourceError(`"${urlTemplate}" names no object (it ends with '/')`, 'FERRY_ERR_SOURCE_NO_NAME');
  // A path that starts with `//` (`http://h//`) names the same directory as `/` on every file server (nginx
  // merges slashes, python's http.server and ferry serve split on them), but undici's redirect handler resolves
  // such a path as a protocol-relative URL and throws ERR_INVALID_URL: the base starts with one slash.
  const dir = path.slice(0, cut + 1).replace(/^\/{2,}/, '/');
  return { baseUrl: `${m[1]!.toLowerCase()}://${authority}${dir}`, template };
}

/** Human form of a source, for summaries and tables. */
export function describeSource(s: Source): string {
  switch (s.kind) {
    case 'template':
      return `${s.baseUrl}${s.template}`;
    case 'list':
      return `${s.baseUrl} (${s.names.length} listed names)`;
    case 'directory':
      return `${s.root}/${s.template} (served by ${s.hostQueue})`;
    case 'listing':
      return `${s.baseUrl} (whole listing)`;
    case 'tree':
      return `${s.root}/ (whole tree, served by ${s.hostQueue})`;
    case 'manifest':
      return `${s.baseUrl} (names from ${'uri' in s.manifest ? s.manifest.uri : 'the staged manifest'})`;
  }
}

/**
 * Index of the token the template engine will parse, or -1. The engine tries braces, then `@`, then a single
 * `%` (AIStore's order), and treats the other characters literally; so must the split, or a percent-escape in a
 * directory (`my%20dir/shard-{1..3}.tar`) would be taken for the token and end up, double-encoded, in every name.
 */
function firstToken(path: string): number {
  const brace = path.search(/[{}]/);
  if (brace >= 0) return brace;
  const at = path.indexOf('@');
  if (at >= 0) return at;
  const percent = path.indexOf('%');
  return percent >= 0 && !path.includes('%', percent + 1) ? percent : -1;
}

function redact(u: string): string {
  return u.replace(/\/\/[^/@]*@/, '//***@');
}
