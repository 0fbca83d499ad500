// Scale-out across hosts: the same download job run by 1, 2 and 3 copy hosts, each behind an emulated link of
// --rate each way, from a data host's origin into a MinIO host. Host 0 runs Temporal, 1 the origin, 2-4 copy
// workers, 5 MinIO (bench/hosts/harness.ts; root only). Prints per run the job's duration (workflow start to
// close, from Temporal), MB/s, the speed-up over one host, and each host's share of the objects (from each
// worker's FERRY_PUT_JOURNAL). Every object is then checked in the bucket (count and sizes).
//
//   sudo node dist/bench/hosts/scale.js [--objects 240] [--size-kib 512] [--rate 40mbit] [--hosts 1,2,3]
//        [--window 6] [--max-conns 24] [--batch-size 8] [--max-activities 2] [--kill-host] [--cut-link]
//
// --kill-host / --cut-link run the whole-host failure cases instead (bench/hosts/failures.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { MigrationReport } from '../../common/schemas.js';
import { FERRY_SEARCH_ATTRIBUTES } from '../../common/search-attributes.js';
import { MINIO_TEST_ACCESS_KEY, MINIO_TEST_SECRET_KEY } from '../../devserver/minio.js';
import { repoRoot, toolBinary } from '../../devserver/paths.js';
import { runFailures } from './failures.js';
import { Hosts, hostIp, waitForPort, type HostProcess } from './harness.js';

export const TEMPORAL = 0;
export const DATA = 1;
export const COPY = [2, 3, 4];
export const MINIO = 5;
const ORIGIN_PORT = 8080;
const FERRY = join(repoRoot, 'bin', 'ferry.js');

export interface Bench {
  hosts: Hosts;
  client: Client;
  s3: S3Client;
  work: string;
  names: string[];
  sizes: Map<string, number>;
  bytes: number;
  opts: ScaleOptions;
  /** Start `ferry worker` on copy host i with its journal; returns the process and the journal path. */
  worker(i: number, queue: string, tag: string): { proc: HostProcess; journal: string };
  /** `ferry job start download` of the dataset into s3://bucket on `queue`; returns the job id. */
  start(bucket: string, queue: string): Promise<string>;
  /** Objects in the bucket that are missing or of the wrong size. */
  audit(bucket: string): Promise<{ missing: number; wrongSize: number; extra: number }>;
}

export interface ScaleOptions {
  objects: number;
  sizeKiB: number;
  rate: string;
  hosts: number[];
  window: number;
  maxConns: number;
  batchSize: number;
  maxActivities: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      objects: { type: 'string', default: '240' },
      'size-kib': { type: 'string', default: '512' },
      rate: { type: 'string', default: '40mbit' },
      hosts: { type: 'string', default: '1,2,3' },
      window: { type: 'string', default: '6' },
      'max-conns': { type: 'string', default: '24' },
      'batch-size': { type: 'string', default: '8' },
      'max-activities': { type: 'string', default: '2' },
      'kill-host': { type: 'boolean', default: false },
      'cut-link': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const opts: ScaleOptions = {
    objects: Number(values.objects),
    sizeKiB: Number(values['size-kib']),
    rate: values.rate,
    hosts: values.hosts.split(',').map(Number),
    window: Number(values.window),
    maxConns: Number(values['max-conns']),
    batchSize: Number(values['batch-size']),
    maxActivities: Number(values['max-activities']),
  };
  const work = mkdtempSync(join(tmpdir(), 'ferry-hosts-'));
  const hosts = new Hosts(
    [
      { role: 'temporal' },
      { role: 'data' },
      { role: 'copy', rate: opts.rate },
      { role: 'copy', rate: opts.rate },
      { role: 'copy', rate: opts.rate },
      { role: 'minio' },
    ],
    join(work, 'logs'),
  );
  let connection: Connection | undefined;
  const onSignal = () => void hosts.teardown().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    hosts.setup();
    const b = await startBench(hosts, work, opts);
    connection = b.connection;
    if (values['kill-host'] || values['cut-link'])
      await runFailures(b.bench, { kill: values['kill-host'], cut: values['cut-link'] });
    else await runScale(b.bench);
  } finally {
    await connection?.close().catch(() => undefined);
    await hosts.teardown();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

async function startBench(
  hosts: Hosts,
  work: string,
  opts: ScaleOptions,
): Promise<{ bench: Bench; connection: Connection }> {
  const data = join(work, 'data');
  mkdirSync(data, { recursive: true });
  const names: string[] = [];
  const sizes = new Map<string, number>();
  let bytes = 0;
  for (let i = 0; i < opts.objects; i++) {
    const n = `obj-${String(i).padStart(5, '0')}.bin`;
    const size = opts.sizeKiB * 1024 - (i % 7) * 1000;
    writeFileSync(join(data, n), randomBytes(size));
    names.push(n);
    sizes.set(n, size);
    bytes += size;
  }

  // Temporal on host 0 (in memory: a benchmark's history need not survive it).
  // --ip 0.0.0.0, inside host 0's namespace only: the dev server's internal services dial each other on
  // 127.0.0.1 whatever --ip says (with --ip 10.77.0.10 its matching service is unreachable: "dial tcp
  // 127.0.0.1:...: connection refused"). The namespace has no route out, so this is no wider.
  const tArgs = ['server', 'start-dev', '--ip', '0.0.0.0', '--port', '7233', '--headless'];
  tArgs.push('--log-level', 'error', '--http-port', '7243', '--metrics-port', '7244');
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'])
    tArgs.push('--dynamic-config-value', `${key}=1`);
  for (const [name, type] of Object.entries(FERRY_SEARCH_ATTRIBUTES))
    tArgs.push('--search-attribute', `${name}=${type}`);
  hosts.spawn(TEMPORAL, 'temporal', toolBinary('temporal'), tArgs);
  // MinIO on host 5.
  const minioDir = join(work, 'minio');
  mkdirSync(minioDir, { recursive: true });
  const minioEnv = {
    MINIO_ROOT_USER: MINIO_TEST_ACCESS_KEY,
    MINIO_ROOT_PASSWORD: MINIO_TEST_SECRET_KEY,
    MINIO_BROWSER: 'off',
    MINIO_UPDATE: 'off',
    MINIO_REGION: 'us-east-1',
  };
  hosts.spawn(
    MINIO,
    'minio',
    toolBinary('minio'),
    ['server', minioDir, '--address', `${hostIp(MINIO)}:9000`, '--console-address', `${hostIp(MINIO)}:9001`],
    minioEnv,
  );
  // The origin on host 1.
  hosts.spawn(DATA, 'origin', process.execPath, [
    join(repoRoot, 'dist', 'bench', 'hosts', 'data-origin.js'),
    data,
    hostIp(DATA),
    String(ORIGIN_PORT),
  ]);
  await Promise.all([
    waitForPort(hostIp(TEMPORAL), 7233),
    waitForPort(hostIp(MINIO), 9000),
    waitForPort(hostIp(DATA), ORIGIN_PORT),
  ]);
  const connection = await Connection.connect({ address: `${hostIp(TEMPORAL)}:7233` });
  const client = new Client({ connection });
  const s3 = new S3Client({
    endpoint: `http://${hostIp(MINIO)}:9000`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: MINIO_TEST_ACCESS_KEY, secretAccessKey: MINIO_TEST_SECRET_KEY },
  });
  const env = (queue: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    TEMPORAL_ADDRESS: `${hostIp(TEMPORAL)}:7233`,
    FERRY_TASK_QUEUE: queue,
    AWS_ACCESS_KEY_ID: MINIO_TEST_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: MINIO_TEST_SECRET_KEY,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: `http://${hostIp(MINIO)}:9000`,
    ...extra,
  });
  const bench: Bench = {
    hosts,
    client,
    s3,
    work,
    names,
    sizes,
    bytes,
    opts,
    worker(i, queue, tag) {
      const journal = join(work, `journal-${tag}-h${i}.txt`);
      const proc = hosts.spawn(
        i,
        `worker-${tag}-h${i}`,
        process.execPath,
        [FERRY, 'worker', '--max-activities', String(opts.maxActivities)],
        env(queue, { FERRY_PUT_JOURNAL: journal, FERRY_STATE_DIR: join(work, `state-h${i}`) }),
      );
      return { proc, journal };
    },
    async start(bucket, queue) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      const { spawnSync } = await import('node:child_process');
      const last = String(opts.objects - 1).padStart(5, '0');
      const r = spawnSync(
        process.execPath,
        [
          FERRY,
          'job',
          'start',
          'download',
          `http://${hostIp(DATA)}:${ORIGIN_PORT}/obj-{00000..${last}}.bin`,
          `s3://${bucket}`,
          '--max-conns',
          String(opts.maxConns),
          '--window',
          String(opts.window),
          '--batch-size',
          String(opts.batchSize),
        ],
        {
          env: { ...process.env, ...env(queue, { FERRY_STATE_DIR: join(work, 'state-cli') }) },
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`job start: ${r.stderr}`);
      return r.stdout.split('\n')[0]!.trim();
    },
    async audit(bucket) {
      const seen = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of page.Contents ?? []) seen.set(o.Key ?? '', o.Size ?? -1);
        token = page.NextContinuationToken;
      } while (token);
      let missing = 0;
      let wrongSize = 0;
      for (const [n, size] of sizes) {
        const got = seen.get(n);
        if (got === undefined) missing++;
        else if (got !== size) wrongSize++;
      }
      const extra = [...seen.keys()].filter((k) => !sizes.has(k)).length;
      return { missing, wrongSize, extra };
    },
  };
  return { bench, connection };
}

/** Workflow start to close, in seconds, from the server's own clock. */
export async function jobSeconds(client: Client, jobId: string): Promise<number> {
  const d = await client.workflow.getHandle(jobId).describe();
  return ((d.closeTime?.getTime() ?? Date.now()) - d.startTime.getTime()) / 1000;
}

export function journalCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

async function runScale(b: Bench): Promise<void> {
  const mb = b.bytes / 1e6;
  console.log(
    `scale-out: ${b.opts.objects} × ${b.opts.sizeKiB} KiB (${mb.toFixed(1)} MB), copy hosts at ${b.opts.rate} each way, ` +
      `--max-conns ${b.opts.maxConns} --window ${b.opts.window} --batch-size ${b.opts.batchSize}, ` +
      `--max-activities ${b.opts.maxActivities} per worker`,
  );
  const rows: string[] = [];
  let one: number | undefined;
  for (const n of b.opts.hosts) {
    const queue = `ferry-scale-${n}-${Date.now()}`;
    const tag = `n${n}`;
    const workers = COPY.slice(0, n).map((i) => ({ i, ...b.worker(i, queue, tag) }));
    // Every worker polls before the job starts, so no host gets a head start.
    await waitForPollers(b.client, queue, n);
    const bucket = `scale-${n}`;
    const jobId = await b.start(bucket, queue);
    const report = (await b.client.workflow.getHandle(jobId).result()) as MigrationReport;
    const secs = await jobSeconds(b.client, jobId);
    const audit = await b.audit(bucket);
    const shares = workers.map((w) => journalCount(w.journal));
    for (const w of workers) await b.hosts.killHost(w.i);
    one ??= secs;
    const row =
      `| ${n} | ${secs.toFixed(1)} | ${(mb / secs).toFixed(1)} | ${(one / secs).toFixed(2)}× | ` +
      `${shares.join(' / ')} | ${report.state}, ${report.totals.copied} copied; missing ${audit.missing}, ` +
      `wrong size ${audit.wrongSize}, extra ${audit.extra} |`;
    console.log(row);
    rows.push(row);
  }
  console.log('\n| copy hosts | job s | MB/s | speed-up | objects per host | result |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

/** Wait until `n` workers poll `queue` (the server's own count of pollers on the activity queue). */
export async function waitForPollers(client: Client, queue: string, n: number): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    // A dev server just started may answer before its matching service listens: retry until the deadline.
    const r = await client.workflowService
      .describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: queue },
        taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
      })
      .catch((err: unknown) => {
        if (Date.now() > until) throw err;
        return { pollers: [] };
      });
    const ids = new Set((r.pollers ?? []).map((p) => p.identity));
    if (ids.size >= n) return;
    if (Date.now() > until) throw new Error(`only ${ids.size} of ${n} workers poll ${queue}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

if (process.argv[1]?.endsWith('scale.js')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
