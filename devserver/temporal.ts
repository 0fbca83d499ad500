// Lifecycle of the Temporal dev server (`temporal server start-dev`, built from the pinned Go module by
// scripts/tools.sh). Used by the test harness, the benchmarks and the CLI's embedded default.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { FERRY_SEARCH_ATTRIBUTES } from '../common/search-attributes.js';
import { freePort, spawnGroup, waitFor, type GroupProcess } from './process.js';
import { toolBinary } from './paths.js';

export interface DevServerOptions {
  /** gRPC frontend port. @default a free port */
  port?: number;
  /** Web UI port, or `false` for headless. @default a free port */
  uiPort?: number | false;
  /** Persistent SQLite file; without it state lives in memory and dies with the server. */
  dbFile?: string;
  /** @default '127.0.0.1' — servers we start never listen beyond loopback. */
  ip?: string;
  namespace?: string;
  /** Server log destination (stdout+stderr). */
  logFile?: string;
  /** @default 'warn' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** How long to wait for the frontend to answer. @default 60000 */
  readyTimeoutMs?: number;
  /** Kill the server when this process dies. `false` makes a daemon that outlives us. @default true */
  watchdog?: boolean;
  binary?: string;
}

export interface DevServer {
  /** host:port of the gRPC frontend, the value for TEMPORAL_ADDRESS. */
  address: string;
  uiUrl?: string;
  namespace: string;
  pid: number;
  process: GroupProcess;
  stop(): Promise<void>;
}

export function temporalBinary(): string {
  return toolBinary('temporal');
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(ip));
  const uiPort = opts.uiPort === false ? false : (opts.uiPort ?? (await freePort(ip)));
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port)];
  args.push('--log-level', opts.logLevel ?? 'warn');
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  // The dev server picks random ports for these otherwise; pin them to loopback-free ports we chose so
  // two servers on one machine never collide on them.
  args.push('--http-port', String(await freePort(ip)), '--metrics-port', String(await freePort(ip)));
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    // WAL lets the UI's reads run beside the server's writes; synchronous=NORMAL is durable across process
    // crashes (what our kill -9 tests exercise), only a power loss can drop the last transactions.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  // One partition per task queue. With the default four, a task added before any poller waits on a partition
  // nobody polls until matching forwards it: the first workflow task of a `job start --wait` (whose worker
  // starts beside the workflow) then waited 1.7-2.0 s in about half the runs. A single-process server gains
  // nothing from partitions.
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'])
    args.push('--dynamic-config-value', `${key}=1`);
  for (const [name, type] of Object.entries(FERRY_SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  const proc = spawnGroup(opts.binary ?? temporalBinary(), args, {
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    watchdog: opts.watchdog ?? true,
  });
  let exitedWith: string | undefined;
  void proc.exited.then((c) => {
    exitedWith = `server exited early (${c})${opts.logFile ? `; see ${opts.logFile}` : ''}`;
  });
  const address = `${ip}:${port}`;
  await waitFor(
    () => pingTemporal(address, namespace),
    opts.readyTimeoutMs ?? 60_000,
    `Temporal dev server at ${address}`,
    {
      intervalMs: 200,
      abortIf: () => exitedWith,
    },
  );
  return {
    address,
    ...(uiPort === false ? {} : { uiUrl: `http://${ip}:${uiPort}` }),
    namespace,
    pid: proc.pid,
    process: proc,
    stop: () => proc.stop(),
  };
}

/** True when a Temporal frontend at `address` serves `namespace`. */
export async function pingTemporal(
  address: string,
  namespace = 'default',
  timeoutMs = 2000,
): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: timeoutMs });
    await conn.withDeadline(Date.now() + timeoutMs, () =>
      conn!.workflowService.describeNamespace({ namespace }),
    );
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}
