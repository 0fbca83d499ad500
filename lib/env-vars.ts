// The table of every environment variable ferry reads itself (lib/env.ts parses and serves them): name, kind,
// default and one line of meaning each. The README's Environment table lists exactly these rows, in this order
// (test/unit/env.test.ts checks).
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../common/queues.js';
/** An environment: `process.env`, or an object a test or an activity hands in. */
export type Env = Readonly<Record<string, string | undefined>>;

export const VarKind = z.enum(['bool', 'size', 'int', 'duration', 'string', 'path', 'url', 'enum']);
export type VarKind = z.infer<typeof VarKind>;

/** One row of {@link ENV_VARS}. */
export const VarSpecSchema = z
  .object({
    kind: VarKind,
    /** The default as the variable would be written (`64MiB`, `1`, `ferry`); parsed by the variable's own kind. */
    default: z.string().optional(),
    /** For a default computed at run time (a path under $XDG_STATE_HOME, ...): what it is, for people. */
    defaultText: z.string().optional(),
    /** One line, as the README's table shows it. */
    meaning: z
      .string()
      .min(1)
      .regex(/^[^\n|]+$/, 'one line, no "|" (it is a Markdown table cell)'),
    /** Bounds: bytes for sizes, milliseconds for durations. */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** The accepted values of an `enum` (matched case-insensitively, returned as listed here). */
    values: z.array(z.string()).min(1).readonly().optional(),
    /** Read only to let tests observe or speed up the code; not a setting for users. */
    testInstrumentation: z.boolean().optional(),
  })
  .strict()
  .refine(
    (v) => !(v.default !== undefined && v.defaultText !== undefined),
    'default or defaultText, not both',
  )
  .refine(
    (v) => (v.kind === 'enum') === (v.values !== undefined),
    'values go with kind enum, and only there',
  );
export type VarSpec = z.infer<typeof VarSpecSchema>;

/** The table. Order is the README's order. */
export const ENV_VARS = {
  FERRY_TASK_QUEUE: {
    kind: 'string',
    default: DEFAULT_TASK_QUEUE,
    meaning: 'copy task queue (the CLI and workers)',
  },
  FERRY_STATE_DIR: {
    kind: 'path',
    defaultText: '$XDG_STATE_HOME/ferry (~/.local/state/ferry)',
    meaning: 'embedded server DB, logs, pid files',
  },
  FERRY_TOOLS_CACHE: {
    kind: 'path',
    defaultText: '$XDG_CACHE_HOME/ferry/tools (~/.cache/ferry/tools)',
    meaning: 'where `scripts/tools.sh` caches Go-built binaries',
  },
  FERRY_TEMPORAL_BIN: {
    kind: 'path',
    defaultText: '.tools/bin/temporal, then the tools cache',
    meaning: 'use this `temporal` binary instead of the built one',
  },
  FERRY_MINIO_BIN: {
    kind: 'path',
    defaultText: '.tools/bin/minio, then the tools cache',
    meaning: 'use this `minio` binary (tests, benchmarks)',
  },
  FERRY_AISNODE_BIN: {
    kind: 'path',
    defaultText: '.tools/bin/aisnode, then the tools cache',
    meaning: 'use this `aisnode` binary (tests, benchmarks)',
  },
  FERRY_SERVE_TOKEN: { kind: 'string', meaning: 'bearer token for `ferry serve`' },
  FERRY_SERVE_SECRET: {
    kind: 'string',
    meaning:
      "workers: one secret shared by all; a migration's file server requires a token derived from it, so copy workers on other hosts can fetch (cross-host `migrate`)",
  },
  FERRY_SERVE_PROCESSES: {
    kind: 'int',
    default: '1',
    min: 1,
    max: 64,
    meaning:
      "workers with `--serve-root`: processes of a migration's file server sharing its socket (as `ferry serve --processes`)",
  },
  FERRY_WORKER_HEAP: {
    kind: 'size',
    default: '192MiB',
    min: 0,
    meaning:
      "`ferry worker`: the V8 old-generation heap of each worker process (`--max-old-space-size`); `0` leaves Node's default (a quarter of RAM, grown lazily). Ignored when NODE_OPTIONS or the node command line already sets one",
  },
  FERRY_LOG_LEVEL: {
    kind: 'enum',
    default: 'WARN',
    values: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'],
    meaning: 'Temporal SDK log level in workers',
  },
  AWS_REGION: {
    kind: 'string',
    meaning: '`s3://` region (not read from a profile); else AWS_DEFAULT_REGION',
  },
  AWS_DEFAULT_REGION: {
    kind: 'string',
    default: 'us-east-1',
    meaning: '`s3://` region when AWS_REGION is unset',
  },
  AWS_ENDPOINT_URL_S3: {
    kind: 'url',
    meaning: 'another S3 endpoint (MinIO, `http://<ais-proxy>/s3`); switches to path-style addressing',
  },
  AWS_ENDPOINT_URL: { kind: 'url', meaning: 'the same, when AWS_ENDPOINT_URL_S3 is unset' },
  FERRY_S3_FORCE_PATH_STYLE: {
    kind: 'bool',
    defaultText: '1 with an endpoint URL, else 0',
    meaning: '`1`/`0`: force path-style or virtual-hosted addressing',
  },
  FERRY_RANGE_THRESHOLD: {
    kind: 'size',
    default: '64MiB',
    min: 1024 * 1024,
    meaning: 'objects at least this large are fetched as `--streams` parallel Range requests',
  },
  FERRY_S3_MULTIPART_THRESHOLD: {
    kind: 'size',
    default: '64MiB',
    min: 0,
    meaning: 'objects above this size, or of unknown size, go multipart',
  },
  FERRY_S3_PART_SIZE: {
    kind: 'size',
    default: '16MiB',
    min: 5 * 1024 ** 2,
    meaning: 'multipart part size (at least 5MiB; grown to fit 10,000 parts)',
  },
  FERRY_S3_QUEUE_SIZE: {
    kind: 'int',
    default: '4',
    min: 1,
    max: 64,
    meaning: 'multipart part buffers per object',
  },
  AIS_ENDPOINT: {
    kind: 'url',
    default: 'http://127.0.0.1:8080',
    meaning: '`ais://` cluster: the URL of a proxy (the same default as the ais CLI)',
  },
  AIS_AUTHN_TOKEN: { kind: 'string', meaning: 'bearer token for an AuthN-enabled AIStore' },
  FERRY_AIS_VERIFY_MAX: {
    kind: 'size',
    default: '4MiB',
    min: 0,
    meaning:
      '`ais://` objects up to this size are read into memory first so AIStore verifies their sha256 before committing',
  },
  FERRY_SKIP_PREFLIGHT: {
    kind: 'bool',
    default: '0',
    meaning: '`1`: do not check the destination from the CLI before starting a job',
  },
  FERRY_TRACE: {
    kind: 'bool',
    default: '0',
    meaning:
      '`1`: the CLI prints when each phase of a command begins, in seconds since process start, to stderr; ' +
      "a worker prints when a local bucket's small objects leave the synchronous commit (its commits' moving " +
      'average passed 20 ms)',
  },
  FERRY_DEBUG: {
    kind: 'bool',
    default: '0',
    meaning: '`1`: a CLI error line is followed by its stack',
  },
  FERRY_RECLAIM: {
    kind: 'bool',
    default: '1',
    meaning:
      '`0`: a starting worker does not hand back the attempts of dead workers on this host (see Guarantees)',
  },
  FERRY_HTTP_HEADERS_TIMEOUT_MS: {
    kind: 'duration',
    default: '60000',
    min: 1,
    meaning: 'origin requests: time to wait for response headers',
  },
  FERRY_HTTP_BODY_TIMEOUT_MS: {
    kind: 'duration',
    default: '60000',
    min: 1,
    meaning: 'origin requests: longest gap between two body chunks',
  },
  FERRY_HTTP_CONNECT_TIMEOUT_MS: {
    kind: 'duration',
    default: '10000',
    min: 1,
    meaning: 'origin requests: time to establish a connection',
  },
  FERRY_METRICS_PORT: {
    kind: 'int',
    min: 1,
    max: 65535,
    meaning: '`ferry worker` serves Prometheus metrics on this port (all interfaces), as `--metrics-port`',
  },
  FERRY_MAX_CONNS_PER_HOST: {
    kind: 'int',
    min: 1,
    max: 100000,
    meaning:
      'workers: at most this many origin requests in flight per origin host, across all batches and jobs of the process (protects an origin several jobs share)',
  },
  FERRY_ORIGIN_TOKENS: {
    kind: 'string',
    meaning:
      'workers and CLI: bearer tokens for origins that require one, `HOST[:PORT]=TOKEN` separated by commas (e.g. the `--token` of a `ferry serve` off loopback); each is sent only to its host',
  },
  FERRY_USER_AGENT: {
    kind: 'string',
    defaultText: 'ferry/VERSION (ferry/0.1.0)',
    meaning: 'origin requests: the User-Agent header (tell an origin owner who is copying)',
  },
  FERRY_DEMO_DIR: {
    kind: 'path',
    defaultText: '$TMPDIR/ferry-demo',
    meaning: 'where `scripts/demo.ts` makes its dataset and bucket',
  },
  FERRY_PUT_JOURNAL: {
    kind: 'path',
    testInstrumentation: true,
    meaning: 'append each committed object name to this file',
  },
  FERRY_CHECKPOINT_EVERY_MS: {
    kind: 'duration',
    default: '250',
    min: 0,
    testInstrumentation: true,
    meaning: 'minimum gap between two copy-batch checkpoints handed to the SDK (0 = after every object)',
  },
} as const satisfies Record<string, VarSpec>;
export type VarName = keyof typeof ENV_VARS;
