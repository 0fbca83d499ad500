// Every environment variable ferry reads itself, in one table, with one parser per kind and one unit grammar
// (common/units.ts). The README's Environment table lists exactly these rows (test/unit/env.test.ts checks).
//
// Not here, on purpose: Temporal's connection variables (TEMPORAL_*, read by @temporalio/envconfig) and the AWS
// SDK's credential chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...): those libraries parse them. AWS_REGION and the
// endpoint URLs are here because ferry reads them itself (its own default region, path-style addressing).
//
// Reading is lazy and per variable: `ferryEnv(env).s3PartSize()` parses FERRY_S3_PART_SIZE when called, so a
// malformed S3 knob fails what uses S3 (the preflight, a copy to s3://) with a ConfigError naming the variable,
// not every command. Values are read at call time, never cached: tests set variables after import.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../common/errors.js';
import { UnitError, formatSize, parseDuration, parseSize } from '../common/units.js';
import { ENV_VARS, VarSpecSchema, type Env, type VarKind, type VarName, type VarSpec } from './env-vars.js';

export { ENV_VARS, VarKind, VarSpecSchema, type Env, type VarName, type VarSpec } from './env-vars.js';

/** Stable codes of {@link ConfigError}. */
export const ConfigErrorCode = { BadValue: 'FERRY_ERR_CONFIG_BAD_VALUE' } as const;
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/**
 * A variable of {@link ENV_VARS} holds a value its kind does not accept. The message names the variable, the
 * value and what is accepted: `FERRY_S3_PART_SIZE="12 parsecs" is not a size (unknown unit "parsecs"): use e.g.
 * 16MiB (binary) or 16MB (decimal)`.
 */
export class ConfigError extends InputError {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    readonly value: string,
    /** What is wrong, starting with a verb. */
    readonly detail: string,
  ) {
    super(ConfigErrorCode.BadValue, `${variable}=${shellQuote(value)} ${detail}`);
  }
}

/** The value types of the kinds. */
interface KindValue {
  bool: boolean;
  size: number;
  int: number;
  duration: number;
  string: string;
  path: string;
  url: string;
  enum: string;
}
type ValueOf<N extends VarName> = KindValue[(typeof ENV_VARS)[N]['kind']];
type HasDefault<N extends VarName> = (typeof ENV_VARS)[N] extends { default: string } ? true : false;
/** A variable's value: never undefined when it has a literal default. */
export type VarValue<N extends VarName> = HasDefault<N> extends true ? ValueOf<N> : ValueOf<N> | undefined;

/**
 * One variable's value from `env`: parsed, bounds-checked, the default when unset or blank. Throws
 * {@link ConfigError} for a malformed value.
 */
export function readVar<N extends VarName>(name: N, env: Env = process.env): VarValue<N> {
  const raw = env[name];
  const spec: VarSpec = ENV_VARS[name];
  if (raw === undefined || raw.trim() === '')
    return (spec.default === undefined ? undefined : parseVar(name, spec.default)) as VarValue<N>;
  return parseVar(name, raw) as VarValue<N>;
}

/** Every malformed variable in `env` (the empty list when all are fine): for a startup check or `--help`. */
export function checkEnv(env: Env = process.env): ConfigError[] {
  const out: ConfigError[] = [];
  for (const name of Object.keys(ENV_VARS) as VarName[]) {
    try {
      readVar(name, env);
    } catch (err) {
      if (err instanceof ConfigError) out.push(err);
      else throw err;
    }
  }
  return out;
}

/**
 * Typed getters over `env` (default: this process's environment, read at each call). Activities and tests
 * hand in their own object: `ferryEnv({ FERRY_S3_PART_SIZE: '5MiB' }).s3PartSize()`.
 */
export function ferryEnv(env: Env = process.env) {
  const get = <N extends VarName>(name: N): VarValue<N> => readVar(name, env);
  const home = () => env.HOME || homedir();
  return Object.freeze({
    env,
    taskQueue: () => get('FERRY_TASK_QUEUE'),
    stateDir: () =>
      get('FERRY_STATE_DIR') ?? join(env.XDG_STATE_HOME || join(home(), '.local', 'state'), 'ferry'),
    toolsCache: () =>
      get('FERRY_TOOLS_CACHE') ?? join(env.XDG_CACHE_HOME || join(home(), '.cache'), 'ferry', 'tools'),
    /** An explicit binary for a tool that devserver/ starts, if the environment names one. */
    toolBin: (tool: 'temporal' | 'minio' | 'aisnode') => get(TOOL_BIN_VARS[tool]),
    serveToken: () => get('FERRY_SERVE_TOKEN'),
    serveSecret: () => get('FERRY_SERVE_SECRET'),
    serveProcesses: () => get('FERRY_SERVE_PROCESSES'),
    logLevel: () => get('FERRY_LOG_LEVEL') as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR',
    awsRegion: () => get('AWS_REGION') ?? get('AWS_DEFAULT_REGION'),
    /** A custom S3 endpoint; undefined means AWS. */
    s3Endpoint: () => get('AWS_ENDPOINT_URL_S3') ?? get('AWS_ENDPOINT_URL'),
    /** Path-style addressing: as set, else on exactly when a custom endpoint is configured. */
    s3ForcePathStyle: () =>
      get('FERRY_S3_FORCE_PATH_STYLE') ??
      (get('AWS_ENDPOINT_URL_S3') ?? get('AWS_ENDPOINT_URL')) !== undefined,
    rangeThreshold: () => get('FERRY_RANGE_THRESHOLD'),
    s3MultipartThreshold: () => get('FERRY_S3_MULTIPART_THRESHOLD'),
    s3PartSize: () => get('FERRY_S3_PART_SIZE'),
    s3QueueSize: () => get('FERRY_S3_QUEUE_SIZE'),
    /** The AIStore proxy URL, without trailing slashes. */
    aisEndpoint: () => get('AIS_ENDPOINT').replace(/\/+$/, ''),
    /** Whether AIS_ENDPOINT is set (error messages say where the endpoint came from). */
    aisEndpointFromEnv: () => (env.AIS_ENDPOINT ?? '').trim() !== '',
    aisAuthnToken: () => get('AIS_AUTHN_TOKEN'),
    aisVerifyMax: () => get('FERRY_AIS_VERIFY_MAX'),
    skipPreflight: () => get('FERRY_SKIP_PREFLIGHT'),
    trace: () => get('FERRY_TRACE'),
    debug: () => get('FERRY_DEBUG'),
    reclaim: () => get('FERRY_RECLAIM'),
    httpHeadersTimeoutMs: () => get('FERRY_HTTP_HEADERS_TIMEOUT_MS'),
    httpBodyTimeoutMs: () => get('FERRY_HTTP_BODY_TIMEOUT_MS'),
    userAgent: () => get('FERRY_USER_AGENT'),
    originTokens: () => get('FERRY_ORIGIN_TOKENS'),
    maxConnsPerHost: () => get('FERRY_MAX_CONNS_PER_HOST'),
    httpConnectTimeoutMs: () => get('FERRY_HTTP_CONNECT_TIMEOUT_MS'),
    demoDir: () => get('FERRY_DEMO_DIR') ?? join(env.TMPDIR || tmpdir(), 'ferry-demo'),
    putJournal: () => get('FERRY_PUT_JOURNAL'),
    checkpointEveryMs: () => get('FERRY_CHECKPOINT_EVERY_MS'),
  });
}
export type FerryEnv = ReturnType<typeof ferryEnv>;

/** The variable that names each binary devserver/ starts. */
export const TOOL_BIN_VARS = {
  temporal: 'FERRY_TEMPORAL_BIN',
  minio: 'FERRY_MINIO_BIN',
  aisnode: 'FERRY_AISNODE_BIN',
} as const satisfies Record<string, VarName>;

// --- internal ---

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function parseVar(name: VarName, raw: string): KindValue[VarKind] {
  const spec: VarSpec = ENV_VARS[name];
  const fail = (detail: string) => new ConfigError(name, raw, detail);
  const t = raw.trim();
  switch (spec.kind) {
    case 'bool': {
      const v = t.toLowerCase();
      if (TRUE.has(v)) return true;
      if (FALSE.has(v)) return false;
      throw fail('is not 0 or 1');
    }
    case 'size':
    case 'duration': {
      let v: number;
      try {
        v = spec.kind === 'size' ? parseSize(t) : parseDuration(t);
      } catch (err) {
        if (err instanceof UnitError) throw fail(err.detail);
        throw err;
      }
      const show = spec.kind === 'size' ? (n: number) => formatSize(n) : (n: number) => `${n}ms`;
      if (spec.min !== undefined && v < spec.min) throw fail(`is below the minimum, ${show(spec.min)}`);
      if (spec.max !== undefined && v > spec.max) throw fail(`is above the maximum, ${show(spec.max)}`);
      return v;
    }
    case 'int': {
      const lo = spec.min ?? 0;
      const hi = spec.max ?? Number.MAX_SAFE_INTEGER;
      const v = /^\d+$/.test(t) ? Number(t) : Number.NaN;
      if (!(v >= lo && v <= hi)) throw fail(`is not an integer in [${lo}, ${hi}]`);
      return v;
    }
    case 'enum': {
      const v = spec.values?.find((x) => x.toLowerCase() === t.toLowerCase());
      if (v === undefined) throw fail(`is not one of ${(spec.values ?? []).join(', ')}`);
      return v;
    }
    case 'url': {
      let ok = false;
      try {
        ok = /^https?:$/.test(new URL(t).protocol);
      } catch {
        ok = false;
      }
      if (!ok) throw fail('is not an http(s) URL');
      return t;
    }
    case 'string':
    case 'path':
      return t;
  }
}

/** `VAR=value` as a shell would take it back: bare when that is unambiguous, else double-quoted. */
function shellQuote(v: string): string {
  return /^[\w@%+=:,./-]+$/.test(v) ? v : JSON.stringify(v);
}

// The table is data: check it once, at load (here, below everything it uses), so a typo in a default fails
// every test rather than one user.
for (const [name, spec] of Object.entries(ENV_VARS) as [VarName, VarSpec][]) {
  const r = VarSpecSchema.safeParse(spec);
  if (!r.success) throw new Error(`lib/env.ts: ${name}: ${r.error.message}`);
  if (spec.default !== undefined) parseVar(name, spec.default);
}
