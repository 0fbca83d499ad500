// Lifecycle of a single-drive MinIO server on loopback (built from the pinned Go module by scripts/tools.sh):
// the S3 endpoint ferry's tests, benchmarks and demo write `s3://` buckets to.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolBinary } from './paths.js';
import { httpOk } from './probe.js';
import { freePort, spawnGroup, waitFor, type GroupProcess } from './process.js';

export interface MinioOptions {
  /** S3 API port. @default a free port */
  port?: number;
  /** Web console port. @default a free port */
  consolePort?: number;
  /** Where objects live. @default a fresh temp dir, removed by `stop()` */
  dataDir?: string;
  /** Root user, i.e. the S3 access key. @default 'ferry-test' */
  accessKey?: string;
  /** Root password, i.e. the S3 secret key (MinIO wants at least 8 characters). @default 'ferry-test-secret' */
  secretKey?: string;
  /** @default $FERRY_MINIO_BIN, then <repo>/.tools/bin/minio */
  binary?: string;
  /** Server output (stdout+stderr). @default `minio.log` beside a temp data dir; discarded for a given dataDir */
  logFile?: string;
  /** How long to wait for /minio/health/ready. @default 60000 */
  readyTimeoutMs?: number;
}

export interface MinioServer {
  /** `http://127.0.0.1:<port>`: the S3 endpoint (use path-style addressing). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: 'us-east-1';
  /** Web console, `http://127.0.0.1:<consolePort>`. */
  consoleUrl: string;
  dataDir: string;
  pid: number;
  process: GroupProcess;
  /** SIGTERM (SIGKILL after 5 s), then remove the data dir if this call created it. */
  stop(): Promise<void>;
}

export const MINIO_TEST_ACCESS_KEY = 'ferry-test';
export const MINIO_TEST_SECRET_KEY = 'ferry-test-secret';

const HOST = '127.0.0.1';

export function minioBinary(): string {
  return toolBinary('minio');
}

export async function startMinio(opts: MinioOptions = {}): Promise<MinioServer> {
  const binary = opts.binary ?? minioBinary();
  const accessKey = opts.accessKey ?? MINIO_TEST_ACCESS_KEY;
  const secretKey = opts.secretKey ?? MINIO_TEST_SECRET_KEY;
  const port = opts.port ?? (await freePort(HOST));
  const consolePort = opts.consolePort ?? (await freePort(HOST));

  let ownRoot: string | undefined;
  let dataDir = opts.dataDir;
  let logFile = opts.logFile;
  if (dataDir === undefined) {
    ownRoot = mkdtempSync(join(tmpdir(), 'ferry-minio-'));
    dataDir = join(ownRoot, 'data');
    logFile ??= join(ownRoot, 'minio.log');
  }
  mkdirSync(dataDir, { recursive: true });
  const cleanup = (): void => {
    if (ownRoot) rmSync(ownRoot, { recursive: true, force: true });
  };

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MINIO_ROOT_USER: accessKey,
    MINIO_ROOT_PASSWORD: secretKey,
    // No phoning home from a test server, and no surprises from the caller's MinIO settings.
    MINIO_UPDATE: 'off',
    MINIO_REGION: 'us-east-1',
  };
  delete env.MINIO_VOLUMES;
  delete env.MINIO_OPTS;
  delete env.MINIO_CONFIG_ENV_FILE;

  let proc: GroupProcess;
  try {
    proc = spawnGroup(
      binary,
      ['server', dataDir, '--address', `${HOST}:${port}`, '--console-address', `${HOST}:${consolePort}`],
      { env, ...(logFile ? { logFile } : {}) },
    );
  } catch (err) {
    cleanup();
    throw err;
  }
  let exitedWith: string | undefined;
  void proc.exited.then((code) => {
    exitedWith = `minio exited early (${code})${logFile ? `; see ${logFile}` : ''}`;
  });

  const endpoint = `http://${HOST}:${port}`;
  try {
    await waitFor(
      () => httpOk(`${endpoint}/minio/health/ready`),
      opts.readyTimeoutMs ?? 60_000,
      `MinIO at ${endpoint}`,
      {
        intervalMs: 100,
        abortIf: () => exitedWith,
      },
    );
  } catch (err) {
    await proc.stop(1000);
    cleanup();
    throw err;
  }

  return {
    endpoint,
    accessKey,
    secretKey,
    region: 'us-east-1',
    consoleUrl: `http://${HOST}:${consolePort}`,
    dataDir,
    pid: proc.pid,
    process: proc,
    async stop() {
      await proc.stop(5000);
      cleanup();
    },
  };
}
