// Lifecycle of a minimal AIStore cluster on loopback -- one proxy (gateway) and one storage target, both
// `aisnode` built from the pinned Go module by scripts/tools.sh -- for ferry's `ais://` tests, benchmarks
// and demo. Every config file is generated here; nothing is read from ~/.ais* or /etc/ais.
//
// What aisnode (AIStore 5.0, module v1.5.0) wants, and why the values below:
// - `-config` is the cluster-wide config (JSON; omitted sections take AIStore's defaults), `-local_config`
//   the node's own (its network, config dir, log dir and, for a target, its mountpaths). Both nodes share
//   the cluster config; the primary proxy is named in it and in AIS_PRIMARY_EP.
// - 5.0 keeps the public network apart from the intra-cluster ones (control, data): each node listens on
//   three ports. When all three share one IP, aisnode binds the PUBLIC port on every interface
//   (`*:port`, see pubAddrAny in ais/htrun.go); only control and data stay on 127.0.0.1. It binds the public
//   port to its address alone when the intra-cluster networks use the same port number on another IP, and
//   it accepts only IPs that are configured on an interface. So: if a second loopback address exists (e.g.
//   `ip addr add 127.0.0.2/8 dev lo`, or `intraHost`), intra-cluster traffic goes there and every listener
//   is loopback-only (`loopbackOnly: true`); otherwise the two public ports are reachable from the network
//   for the life of the cluster, which holds only test data.
// - A target's mountpath must be a directory on a filesystem with a resolvable block device and user
//   xattrs: a plain directory under /tmp (ext4 here) works; tmpfs is refused ("has no disks"). We use real
//   `fspaths` rather than the dev-only `test_fspaths`, so the target runs its production checks.
// - timeout.startup_time is the primary's wait for targets to join and settle; 30 s is the minimum aisnode
//   accepts (join_startup_time must be at least twice that). With -ntargets=1 it settles in ~12 s.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolBinary } from './paths.js';
import { httpJson, httpOk, httpText } from './probe.js';
import { freePort, spawnGroup, waitFor, type GroupProcess } from './process.js';

export interface AistoreOptions {
  /** Root for configs, metadata, the target's mountpath and logs. @default a fresh temp dir, removed by `stop()` */
  dataDir?: string;
  /** @default $FERRY_AISNODE_BIN, then <repo>/.tools/bin/aisnode */
  binary?: string;
  /** Proxy's public port (the cluster endpoint). @default a free port */
  port?: number;
  /**
   * Loopback address for intra-cluster (control, data) listeners, e.g. '127.0.0.2'; must be configured on
   * an interface. With one, every listener is loopback-only. @default the first 127.x address other than
   * 127.0.0.1 found on an interface, else none
   */
  intraHost?: string;
  /**
   * Serve the S3 API (`<endpoint>/s3`) by reverse-proxying to the target instead of answering 307: AWS SDKs
   * do not follow redirects. AIStore's `S3-Reverse-Proxy` feature flag. @default true
   */
  s3ReverseProxy?: boolean;
  /** How long to wait for the cluster to be ready. @default 90000 */
  readyTimeoutMs?: number;
}

export interface AistoreNode {
  /** Public URL, e.g. `http://127.0.0.1:<port>`. */
  url: string;
  /** AIStore node ID, e.g. `t[AbCd1234]` is shown for target `AbCd1234`. */
  id: string;
  pid: number;
  process: GroupProcess;
  /** aisnode's own logs (`aisproxy.INFO`, `aistarget.ERROR`, ...). */
  logDir: string;
}

export interface AistoreCluster {
  /** Proxy URL: the value for AIS_ENDPOINT and the base of the native REST API (`/v1/...`). */
  endpoint: string;
  /** `<endpoint>/s3`: AIStore's S3-compatible API (path-style; any credentials are accepted). */
  s3Endpoint: string;
  proxy: AistoreNode;
  target: AistoreNode;
  /** PIDs of both nodes (each leads its own process group). */
  pids: number[];
  dataDir: string;
  /** The target's only mountpath. */
  mountpath: string;
  /** True when every listener of both nodes is on loopback (see `intraHost`). */
  loopbackOnly: boolean;
  /** AIStore version as the proxy reports it, e.g. `5.0.6b7de24`. */
  version: string;
  /** SIGTERM both nodes (SIGKILL after 10 s), then remove the data dir if this call created it. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** cmn/feat: S3ReverseProxy = 1 << 13. */
const FEAT_S3_REVERSE_PROXY = 1 << 13;

export function aisnodeBinary(): string {
  return toolBinary('aisnode');
}

export async function startAistore(opts: AistoreOptions = {}): Promise<AistoreCluster> {
  try {
    return await startOnce(opts);
  } catch (err) {
    // Seen once in three CI runs on a busy machine: the target gave up joining the primary ("failed to join
    // cluster: Smap v0") 17 s after start. A start-up failure of the tool, not of what a test checks: one
    // more start, in a fresh directory, before giving up.
    if (!/failed to join cluster/.test((err as Error).message)) throw err;
    console.error(`aistore: ${(err as Error).message.slice(0, 200)}; starting the cluster once more`);
    return await startOnce(opts);
  }
}

async function startOnce(opts: AistoreOptions): Promise<AistoreCluster> {
  const binary = opts.binary ?? aisnodeBinary();
  const intraHost = opts.intraHost ?? secondaryLoopback();
  const loopbackOnly = intraHost !== undefined;

  let ownRoot: string | undefined;
  let root = opts.dataDir;
  if (root === undefined) {
    ownRoot = mkdtempSync(join(tmpdir(), 'ferry-aistore-'));
    root = ownRoot;
  }
  mkdirSync(root, { recursive: true });
  const cleanup = (): void => {
    if (ownRoot) rmSync(ownRoot, { recursive: true, force: true });
  };

  const ports = async (pub?: number): Promise<NodeNet> => {
    const p = pub ?? (await freePort(HOST));
    if (intraHost) {
      // Same port number on the intra-cluster address: that is what keeps the public listener on HOST.
      return { pub: p, control: p, data: await freePort(intraHost), intraHost };
    }
    return { pub: p, control: await freePort(HOST), data: await freePort(HOST), intraHost: HOST };
  };
  const proxyNet = await ports(opts.port);
  const targetNet = await ports();
  const endpoint = `http://${HOST}:${proxyNet.pub}`;

  const clusterConfig = join(root, 'ais.json');
  writeFileSync(
    clusterConfig,
    JSON.stringify(makeClusterConfig(endpoint, opts.s3ReverseProxy ?? true), null, 2),
  );
  const mountpath = join(root, 'target', 'mp1');
  mkdirSync(mountpath, { recursive: true });
  const proxyDir = writeNodeConfig(root, 'proxy', proxyNet);
  const targetDir = writeNodeConfig(root, 'target', targetNet, mountpath);

  const env: NodeJS.ProcessEnv = { ...process.env, AIS_PRIMARY_EP: endpoint };
  // A caller's AIStore client settings must not leak into the nodes.
  for (const k of ['AIS_ENDPOINT', 'AIS_AUTHN_TOKEN', 'AIS_AUTHN_URL', 'AIS_USE_HTTPS', 'AIS_DAEMON_ID'])
    delete env[k];

  const started: GroupProcess[] = [];
  const spawnNode = (role: 'proxy' | 'target', dir: string): GroupProcess => {
    const args = [
      `-config=${clusterConfig}`,
      `-local_config=${join(dir, 'ais_local.json')}`,
      `-role=${role}`,
    ];
    if (role === 'proxy') args.push('-ntargets=1');
    const proc = spawnGroup(binary, args, { env, cwd: dir, logFile: join(dir, 'aisnode.out') });
    started.push(proc);
    return proc;
  };
  const stopAll = async (graceMs: number): Promise<void> => {
    await Promise.all(started.map((p) => p.stop(graceMs)));
  };

  let proxy: GroupProcess;
  let target: GroupProcess;
  try {
    proxy = spawnNode('proxy', proxyDir);
    target = spawnNode('target', targetDir);
  } catch (err) {
    await stopAll(1000);
    cleanup();
    throw err;
  }
  let exitedWith: string | undefined;
  for (const [role, proc, dir] of [
    ['proxy', proxy, proxyDir],
    ['target', target, targetDir],
  ] as const) {
    void proc.exited.then((code) => {
      exitedWith ??= `aisnode ${role} exited early (${code}): ${tail(join(dir, 'aisnode.out'))}`;
    });
  }

  const targetUrl = `http://${HOST}:${targetNet.pub}`;
  let smap: Smap | undefined;
  let version = '';
  try {
    const timeoutMs = opts.readyTimeoutMs ?? 90_000;
    const deadline = Date.now() + timeoutMs;
    const left = (): number => Math.max(1000, deadline - Date.now());
    const abortIf = (): string | undefined => exitedWith;
    // prr = "primary ready to rebalance": the primary has finished its startup sequence. Plain readiness
    // answers 200 earlier, while bucket operations still get 503 "cluster is starting up".
    await waitFor(() => httpOk(`${endpoint}/v1/health?prr=true`), left(), `AIStore proxy at ${endpoint}`, {
      intervalMs: 250,
      abortIf,
    });
    await waitFor(
      async () => {
        smap = await httpJson<Smap>(`${endpoint}/v1/daemon?what=smap`);
        return Object.values(smap?.tmap ?? {}).some((si) => si.public_net?.direct_url === targetUrl);
      },
      left(),
      `AIStore target ${targetUrl} in the cluster map`,
      { intervalMs: 250, abortIf },
    );
    await waitFor(
      () => httpOk(`${targetUrl}/v1/health?readiness=true`),
      left(),
      `AIStore target at ${targetUrl}`,
      {
        intervalMs: 250,
        abortIf,
      },
    );
    version = ((await httpText(`${endpoint}/v1/daemon?what=software_version`)) ?? '').trim();
  } catch (err) {
    await stopAll(2000);
    cleanup();
    throw err;
  }

  const idOf = (url: string, map: Record<string, SmapNode> | undefined): string =>
    Object.entries(map ?? {}).find(([, si]) => si.public_net?.direct_url === url)?.[0] ?? '';
  return {
    endpoint,
    s3Endpoint: `${endpoint}/s3`,
    proxy: {
      url: endpoint,
      id: idOf(endpoint, smap?.pmap),
      pid: proxy.pid,
      process: proxy,
      logDir: join(proxyDir, 'log'),
    },
    target: {
      url: targetUrl,
      id: idOf(targetUrl, smap?.tmap),
      pid: target.pid,
      process: target,
      logDir: join(targetDir, 'log'),
    },
    pids: [proxy.pid, target.pid],
    dataDir: root,
    mountpath,
    loopbackOnly,
    version,
    async stop() {
      await stopAll(10_000);
      cleanup();
    },
  };
}

// --- internal ---

interface NodeNet {
  pub: number;
  control: number;
  data: number;
  intraHost: string;
}

interface SmapNode {
  public_net?: { direct_url?: string };
}

interface Smap {
  pmap?: Record<string, SmapNode>;
  tmap?: Record<string, SmapNode>;
}

/** The first IPv4 loopback address other than 127.0.0.1 configured on an interface, if any. */
function secondaryLoopback(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && a.internal && a.address.startsWith('127.') && a.address !== HOST)
        return a.address;
    }
  }
  return undefined;
}

function makeClusterConfig(primaryUrl: string, s3ReverseProxy: boolean): Record<string, unknown> {
  return {
    backend: {}, // ais:// buckets only; the binary has no cloud backends compiled in
    proxy: { primary_url: primaryUrl, original_url: primaryUrl, discovery_url: '', non_electable: false },
    timeout: {
      cplane_operation: '2s',
      max_keepalive: '4s',
      cold_get_conflict: '5s',
      max_host_busy: '20s',
      startup_time: '30s', // minimum accepted
      join_startup_time: '1m', // must be >= 2 * startup_time
      send_file_time: '5m',
      ec_streams_time: '10m',
      object_md: '2h',
    },
    // A test machine's disk is shared with everything else: no capacity-driven cleanup surprises.
    space: {
      cleanupwm: 65,
      lowwm: 75,
      highwm: 90,
      out_of_space: 95,
      batch_size: 32768,
      dont_cleanup_time: '120m',
    },
    memsys: {
      min_free: '2gb',
      default_buf: '32kb',
      to_gc: '4gb',
      hk_time: '3m',
      min_pct_total: 0,
      min_pct_free: 0,
    },
    versioning: { enabled: true, validate_warm_get: false },
    resilver: { enabled: true },
    net: {
      l4: { proto: 'tcp', sndrcv_buf_size: 131072 },
      http: {
        use_https: false,
        chunked_transfer: true,
        idle_conn_time: '6s',
        idle_conns_per_host: 32,
        idle_conns: 256,
      },
      use_ipv6: false,
    },
    auth: {},
    features: String(s3ReverseProxy ? FEAT_S3_REVERSE_PROXY : 0),
  };
}

function writeNodeConfig(root: string, role: 'proxy' | 'target', net: NodeNet, mountpath?: string): string {
  const dir = join(root, role);
  mkdirSync(join(dir, 'log'), { recursive: true });
  const local = {
    confdir: dir,
    log_dir: join(dir, 'log'),
    host_net: {
      hostname: HOST,
      hostname_intra_control: net.intraHost,
      hostname_intra_data: net.intraHost,
      port: String(net.pub),
      port_intra_control: String(net.control),
      port_intra_data: String(net.data),
    },
    fspaths: mountpath ? { [mountpath]: '' } : {},
    test_fspaths: { root: '', count: 0, instance: 0 },
  };
  writeFileSync(join(dir, 'ais_local.json'), JSON.stringify(local, null, 2));
  return dir;
}

/** The last lines of a log file, for error messages. */
function tail(file: string, lines = 5): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
    return text ? `${text} (${file})` : `see ${file}`;
  } catch {
    return `see ${file}`;
  }
}
