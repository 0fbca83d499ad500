// AIStore's REST API at the wire level: the endpoint settings, response headers, and errors mapped onto
// ferry's vocabulary. The driver itself (requests, PUT protocol, checksums) is ais.ts.
import type { Dispatcher } from 'undici';
import { ErrorType } from '../../common/errors.js';
import { FerryError } from '../classify-error.js';
import { ENV_VARS, ferryEnv, type Env } from '../env.js';

/** The ais CLI's default cluster URL (the table in lib/env.ts holds it). */
export const DEFAULT_AIS_ENDPOINT = ENV_VARS.AIS_ENDPOINT.default;
/** Statuses with which a proxy sends a request on to the target that owns the object. */
export const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface AisSettings {
  endpoint: string;
  /** Whether the endpoint came from AIS_ENDPOINT (for error messages). */
  endpointFromEnv: boolean;
  token: string | undefined;
  /** Objects up to this size are buffered and verified by AIStore before commit. @default 4 MiB */
  verifyMax: number;
}

/** The AIStore settings of an environment (this process's by default). Throws ConfigError on a malformed knob. */
export function aisSettingsFromEnv(env: Env = process.env): AisSettings {
  const e = ferryEnv(env);
  return {
    endpoint: e.aisEndpoint(),
    endpointFromEnv: e.aisEndpointFromEnv(),
    token: e.aisAuthnToken(),
    verifyMax: e.aisVerifyMax(),
  };
}

/** A response header's (first) value. */
export function headerOf(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The checksum AIStore reports for an object (HEAD, GET) or computed for a PUT. */
export function checksumOf(h: Dispatcher.ResponseData['headers']): { type?: string; value?: string } {
  const type = headerOf(h, 'ais-checksum-type');
  const value = headerOf(h, 'ais-checksum-value');
  return { ...(type ? { type } : {}), ...(value ? { value } : {}) };
}

/** AIStore reports an error of a body-less answer (HEAD) in the `Hdr-Error` header. */
export function headerError(res: Dispatcher.ResponseData): string {
  return headerOf(res.headers, 'hdr-error') ?? '';
}

/** Custom properties as AIStore takes them: one `Ais-Custom-Md: key=value` header line each. */
export function customMd(wire: Record<string, string>): string[] {
  return Object.entries(wire).map(([k, v]) => `${k}=${v}`);
}

/** Maps an AIStore answer (status + its JSON error `{tcode, message}`) onto ferry's error vocabulary. */
export function aisError(status: number, body: string, what: string): FerryError {
  let tcode = '';
  let detail = body.trim().slice(0, 300);
  try {
    const j = JSON.parse(body) as { tcode?: string; message?: string };
    tcode = j.tcode ?? '';
    detail = j.message ?? detail;
  } catch {
    // not JSON: keep the text
  }
  const msg = `${what}: ${status}${tcode ? ` ${tcode}` : ''}${detail ? `: ${detail}` : ''}`;
  if (status === 401 || status === 403) return new FerryError(ErrorType.DestinationForbidden, msg);
  if (tcode === 'ErrBckNotFound' || (status === 404 && /bucket .* does not exist/.test(detail)))
    return new FerryError(ErrorType.DestinationNotFound, msg);
  if (status === 507 || /out of space|OOS|insufficient storage/i.test(`${tcode} ${detail}`))
    return new FerryError(ErrorType.DestinationFull, msg);
  // ErrBadCksum: the bytes were damaged on the way; another attempt sends them again.
  if (tcode === 'ErrBadCksum' || status === 408 || status === 429 || status >= 500)
    return new FerryError(ErrorType.DestinationUnavailable, msg);
  return new FerryError(ErrorType.DestinationRejected, msg);
}
