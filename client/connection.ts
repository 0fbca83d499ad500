// How the CLI finds Temporal: the Temporal way first (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_PROFILE
// and the profile file, via @temporalio/envconfig); with nothing configured, a server already listening on
// 127.0.0.1:7233; with none listening, the embedded default — the pinned dev server started by ferry itself as
// a background daemon, with its database in the user's state directory.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { repoRoot, stateDir } from '../devserver/paths.js';
import { freePort } from '../devserver/process.js';
import { pingTemporal, startDevServer } from '../devserver/temporal.js';
import { CLIError, EXIT, noteServerAddress } from './errors.js';
import { messageOf } from '../common/errors.js';

export interface Resolved {
  address: string;
  namespace: string;
  connectionOptions: ConnectionOptions;
  /** Set when ferry runs its own dev server (the embedded default). */
  embedded?: { uiUrl?: string; pid: number; started: boolean };
}

export interface Connected extends Resolved {
  connection: Connection;
  client: Client;
  close(): Promise<void>;
}

const DEFAULT_ADDRESS = '127.0.0.1:7233';
const DEFAULT_UI_PORT = 8233;

interface EmbeddedState {
  address: string;
  uiUrl?: string;
  pid: number;
  dbFile: string;
}

export function embeddedStatePath(): string {
  return join(stateDir(), 'server.json');
}

export function readEmbeddedState(): EmbeddedState | undefined {
  try {
    return JSON.parse(readFileSync(embeddedStatePath(), 'utf8')) as EmbeddedState;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolve (and if needed start) the Temporal server the CLI talks to. */
export async function resolveTemporal(
  opts: { allowEmbedded?: boolean; log?: (m: string) => void } = {},
): Promise<Resolved> {
  const cfg = loadClientConnectConfig();
  const configured = cfg.connectionOptions.address;
  const namespace = cfg.namespace ?? 'default';
  const connectionOptions = { ...(cfg.connectionOptions as ConnectionOptions) };
  if (configured) return { address: configured, namespace, connectionOptions };

  // A running embedded server of ours?
  const st = readEmbeddedState();
  if (st && pidAlive(st.pid) && (await pingTemporal(st.address, namespace))) {
    return {
      address: st.address,
      namespace,
      connectionOptions: { ...connectionOptions, address: st.address },
      embedded: { ...(st.uiUrl ? { uiUrl: st.uiUrl } : {}), pid: st.pid, started: false },
    };
  }
  // Someone else's server on the conventional port?
  if (await pingTemporal(DEFAULT_ADDRESS, namespace)) {
    return {
      address: DEFAULT_ADDRESS,
      namespace,
      connectionOptions: { ...connectionOptions, address: DEFAULT_ADDRESS },
    };
  }
  if (opts.allowEmbedded === false) {
    throw new CLIError(
      `no Temporal server: set TEMPORAL_ADDRESS, or start the embedded one with \`ferry server start\``,
      EXIT.error,
    );
  }
  const started = await startEmbeddedServer(opts.log);
  return {
    address: started.address,
    namespace,
    connectionOptions: { ...connectionOptions, address: started.address },
    embedded: { ...(started.uiUrl ? { uiUrl: started.uiUrl } : {}), pid: started.pid, started: true },
  };
}

export async function startEmbeddedServer(log?: (m: string) => void): Promise<EmbeddedState> {
  const dir = stateDir();
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'temporal.db');
  // Conventional ports when free (so the Web UI is where Temporal users look), otherwise any free ones.
  const port = (await portFree(7233)) ? 7233 : await freePort();
  const uiPort = (await portFree(DEFAULT_UI_PORT)) ? DEFAULT_UI_PORT : await freePort();
  log?.(`starting the embedded Temporal dev server (state: ${dbFile}) ...`);
  const server = await startDevServer({
    port,
    uiPort,
    dbFile,
    logFile: join(dir, 'temporal.log'),
    watchdog: false,
    readyTimeoutMs: 90_000,
  });
  // A daemon: it outlives this command so jobs keep running and `ferry show job` can find them.
  server.process.release();
  const st: EmbeddedState = {
    address: server.address,
    pid: server.pid,
    dbFile,
    ...(server.uiUrl ? { uiUrl: server.uiUrl } : {}),
  };
  writeFileSync(embeddedStatePath(), JSON.stringify(st, null, 2));
  log?.(
    `Temporal dev server at ${st.address}; Web UI: ${st.uiUrl ?? '(headless)'}  (stop it with \`ferry server stop\`)`,
  );
  return st;
}

export async function connect(
  opts: { allowEmbedded?: boolean; log?: (m: string) => void } = {},
): Promise<Connected> {
  const r = await resolveTemporal(opts);
  const connection = await Connection.connect({ ...r.connectionOptions, address: r.address }).catch(
    (err: unknown) => {
      throw unreachable(r.address, err);
    },
  );
  noteServerAddress(r.address);
  const client = new Client({ connection, namespace: r.namespace });
  return { ...r, connection, client, close: () => connection.close() };
}

/**
 * The one line for a server that cannot be reached, with what to do. The client's error ("Failed to connect
 * before the deadline") and the worker's native one (a Rust `tonic::transport::Error(…ConnectionRefused…)`
 * dump) say neither where nor what next.
 */
export function unreachable(address: string, err: unknown): CLIError {
  const raw = messageOf(err);
  const why = /refused/i.test(raw)
    ? 'connection refused'
    : /deadline|timed? ?out/i.test(raw)
      ? 'no answer in time'
      : /dns|resolve|name or service/i.test(raw)
        ? 'unknown host'
        : (raw.split('\n', 1)[0] ?? raw);
  return new CLIError(
    `cannot reach the Temporal server at ${address} (${why}): start one with \`ferry server start\`, or point ` +
      'TEMPORAL_ADDRESS (or your Temporal config profile) at yours',
    EXIT.error,
  );
}

/** Whether a worker's native connection failed to reach the server at all (not a refusal once connected). */
export function isConnectFailure(err: unknown): boolean {
  return /tonic::transport::Error|tcp connect error|Failed to connect/i.test(messageOf(err));
}

// --- internal ---
async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export function workerPidPath(): string {
  return join(stateDir(), 'worker.pid');
}

/** Identifies the build a background worker runs: every `tsc` run rewrites dist/.tsbuildinfo. */
export function buildId(): string {
  try {
    return String(Math.round(statSync(join(repoRoot, 'dist', '.tsbuildinfo')).mtimeMs));
  } catch {
    return 'unknown';
  }
}

/**
 * The background worker's pid if it is alive and runs the current build; a worker of an older build is
 * stopped (it would run stale activity code), and undefined returned.
 */
export function embeddedWorkerAlive(): boolean {
  const p = workerPidPath();
  if (!existsSync(p)) return false;
  const [pidText, build] = readFileSync(p, 'utf8').trim().split(/\s+/);
  const pid = Number(pidText);
  if (!(Number.isInteger(pid) && pid > 0 && pidAlive(pid))) return false;
  if (build === buildId()) return true;
  process.kill(pid, 'SIGTERM');
  return false;
}
