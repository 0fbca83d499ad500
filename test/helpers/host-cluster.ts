// A ferry deployment over the netns harness (test/helpers/netns.ts), shared by the whole-host tests and
// bench/hosts: host 0 runs Temporal, host 1 is the data host (`ferry worker --serve-root`, its file server on
// the host's own address), hosts 2–4 run copy workers, host 5 runs MinIO. Every worker has the same
// FERRY_SERVE_SECRET, so `ferry migrate DIR BUCKET --host <data host>` works across hosts (lib/serve-token.ts).
//
// What a test needs to judge a job after a fault is here too: an audit of the bucket against the source
// (missing, corrupted by sha256, extra keys, incomplete multipart uploads) and the job's copy batches as
// Temporal recorded them (when each completed, on which host, at which attempt).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { FERRY_SEARCH_ATTRIBUTES } from '../../common/search-attributes.js';
import { hostQueueName } from '../../common/queues.js';
import { MINIO_TEST_ACCESS_KEY, MINIO_TEST_SECRET_KEY } from '../../devserver/minio.js';
import { repoRoot, toolBinary } from '../../devserver/paths.js';
import { Hosts, waitForPort, type HostProcess } from './netns.js';

export const TEMPORAL = 0;
export const DATA = 1;
export const COPY = [2, 3, 4] as const;
export const MINIO = 5;
export const FERRY = join(repoRoot, 'bin', 'ferry.js');

export interface ClusterOptions {
  /** Scratch directory: logs, MinIO's data, journals, state. */
  work: string;
  /** Each copy host's link rate each way (tc tbf), e.g. `16mbit`. */
  rate?: string;
  /** More environment for every worker (multipart thresholds, ...). */
  workerEnv?: Record<string, string>;
}

export interface Audit {
  /** Source objects not in the bucket. */
  missing: number;
  /** Objects whose sha256 differs from the source's. */
  corrupted: number;
  /** Keys that are not source objects (temp or partial objects). */
  extra: number;
  /** Incomplete multipart uploads in the bucket (ListMultipartUploads). */
  multipart: number;
}

/** One copyBatch of a job as Temporal recorded it. */
export interface BatchRecord {
  /** Completion (or failure) time, ms since the epoch, from the server's clock. */
  closedAt: number;
  completed: boolean;
  /** When that attempt started (the started event's time; Temporal records only the last attempt's). */
  startedAt: number;
  /** The attempt that closed it (1 = first). */
  attempt: number;
  /** Identity of the worker that ran that attempt (`pid@host`). */
  identity: string;
}

export class Cluster {
  readonly hosts: Hosts;
  /** The secret every worker shares (FERRY_SERVE_SECRET). */
  readonly secret = randomBytes(24).toString('base64url');
  client!: Client;
  s3!: S3Client;
  private connection?: Connection;

  constructor(readonly opts: ClusterOptions) {
    this.hosts = new Hosts(
      [
        { role: 'temporal' },
        { role: 'data' },
        ...COPY.map(() => ({ role: 'copy', ...(opts.rate ? { rate: opts.rate } : {}) })),
        { role: 'minio' },
      ],
      join(opts.work, 'logs'),
    );
  }

  get temporalAddress(): string {
    return `${this.hosts.ip(TEMPORAL)}:7233`;
  }
  get minioEndpoint(): string {
    return `http://${this.hosts.ip(MINIO)}:9000`;
  }

  /** Make the hosts, start Temporal and MinIO and connect to both. */
  async start(): Promise<void> {
    this.hosts.setup();
    // --ip 0.0.0.0 inside host 0's namespace only: the dev server's own services dial each other on 127.0.0.1
    // whatever --ip says. The namespace has no route out, so this is no wider.
    const tArgs = ['server', 'start-dev', '--ip', '0.0.0.0', '--port', '7233', '--headless'];
    tArgs.push('--log-level', 'error', '--http-port', '7243', '--metrics-port', '7244');
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'])
      tArgs.push('--dynamic-config-value', `${key}=1`);
    for (const [name, type] of Object.entries(FERRY_SEARCH_ATTRIBUTES))
      tArgs.push('--search-attribute', `${name}=${type}`);
    this.hosts.spawn(TEMPORAL, 'temporal', toolBinary('temporal'), tArgs);
    const minioDir = join(this.opts.work, 'minio');
    mkdirSync(minioDir, { recursive: true });
    const m = this.hosts.ip(MINIO);
    this.hosts.spawn(
      MINIO,
      'minio',
      toolBinary('minio'),
      ['server', minioDir, '--address', `${m}:9000`, '--console-address', `${m}:9001`],
      {
        MINIO_ROOT_USER: MINIO_TEST_ACCESS_KEY,
        MINIO_ROOT_PASSWORD: MINIO_TEST_SECRET_KEY,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
        MINIO_REGION: 'us-east-1',
      },
    );
    await Promise.all([waitForPort(this.hosts.ip(TEMPORAL), 7233), waitForPort(m, 9000)]);
    this.connection = await Connection.connect({ address: this.temporalAddress });
    this.client = new Client({ connection: this.connection });
    this.s3 = new S3Client({
      endpoint: this.minioEndpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: MINIO_TEST_ACCESS_KEY, secretAccessKey: MINIO_TEST_SECRET_KEY },
    });
  }

  /** Environment of a ferry process (worker or CLI) of this deployment on copy queue `queue`. */
  env(queue: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.temporalAddress,
      FERRY_TASK_QUEUE: queue,
      AWS_ACCESS_KEY_ID: MINIO_TEST_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: MINIO_TEST_SECRET_KEY,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: this.minioEndpoint,
      FERRY_SERVE_SECRET: this.secret,
      ...extra,
    };
  }

  /** `ferry worker` on copy host i, with a put journal (one line per committed object). */
  copyWorker(
    i: number,
    queue: string,
    tag: string,
    maxActivities = 2,
    extra: Record<string, string> = {},
  ): { proc: HostProcess; journal: string } {
    const journal = join(this.opts.work, `journal-${tag}-h${i}.txt`);
    const proc = this.hosts.spawn(
      i,
      `worker-${tag}-h${i}`,
      process.execPath,
      [FERRY, 'worker', '--max-activities', String(maxActivities)],
      this.env(queue, {
        FERRY_PUT_JOURNAL: journal,
        FERRY_STATE_DIR: join(this.opts.work, `state-h${i}`),
        ...this.opts.workerEnv,
        ...extra,
      }),
    );
    return { proc, journal };
  }

  /**
   * `ferry worker --serve-root root` on the data host, its file server bound to the host's address. It polls
   * a copy queue of its own that no job uses, so it serves and does not copy: the copy hosts' share is theirs.
   */
  dataWorker(root: string, tag: string): HostProcess {
    return this.hosts.spawn(
      DATA,
      `data-${tag}`,
      process.execPath,
      [FERRY, 'worker', '--serve-root', root, '--bind', this.hosts.ip(DATA), '--max-activities', '4'],
      this.env(`serve-only-${tag}`, { FERRY_STATE_DIR: join(this.opts.work, 'state-data') }),
    );
  }

  /** The data host's queue, on which its worker runs step 1 (`ferry migrate --host <name>`). */
  get dataHostName(): string {
    return this.hosts.hostName(DATA);
  }

  /** `ferry migrate dir s3://bucket --host <data host>` from this (the root) namespace; returns the job ID. */
  migrate(dir: string, bucket: string, queue: string, args: string[] = []): string {
    const r = spawnSync(
      process.execPath,
      [FERRY, 'migrate', dir, `s3://${bucket}`, '--host', this.dataHostName, ...args],
      {
        env: { ...process.env, ...this.env(queue, { FERRY_STATE_DIR: join(this.opts.work, 'state-cli') }) },
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`ferry migrate exited ${r.status}: ${r.stderr}`);
    return r.stdout.split('\n')[0]!.trim();
  }

  /** The data host's queue name as `ferry migrate --host` computes it. */
  get dataHostQueue(): string {
    return hostQueueName(this.dataHostName);
  }

  /** The bucket against the source files (name → sha256). */
  async audit(bucket: string, source: Map<string, string>): Promise<Audit> {
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
      );
      // `.ferry/jobs/<job>/` holds the job's report parts (lib/job-files.ts): ferry's own files, not objects.
      for (const o of page.Contents ?? []) if (!o.Key?.startsWith('.ferry/')) keys.add(o.Key ?? '');
      token = page.NextContinuationToken;
    } while (token);
    let missing = 0;
    let corrupted = 0;
    for (const [name, sha] of source) {
      if (!keys.has(name)) {
        missing++;
        continue;
      }
      const got = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: name }));
      const h = createHash('sha256');
      for await (const c of got.Body as AsyncIterable<Uint8Array>) h.update(c);
      if (h.digest('hex') !== sha) corrupted++;
    }
    const extra = [...keys].filter((k) => !source.has(k)).length;
    return { missing, corrupted, extra, multipart: await this.multipartUploads(bucket) };
  }

  /** Incomplete multipart uploads in `bucket`. */
  async multipartUploads(bucket: string): Promise<number> {
    const r = await this.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return r.Uploads?.length ?? 0;
  }

  /** The job's copy batches, from its history (every run of it). */
  async batches(jobId: string): Promise<BatchRecord[]> {
    const out: BatchRecord[] = [];
    let runId: string | undefined;
    for (;;) {
      const h = this.client.workflow.getHandle(jobId, runId);
      const history = await h.fetchHistory();
      const scheduled = new Set<string>();
      const started = new Map<string, { attempt: number; identity: string; at: number }>();
      let next: string | undefined;
      for (const e of history.events ?? []) {
        const id = String(e.eventId);
        const at = Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
        const s = e.activityTaskScheduledEventAttributes;
        if (s && s.activityType?.name === 'copyBatch') scheduled.add(id);
        const st = e.activityTaskStartedEventAttributes;
        if (st && scheduled.has(String(st.scheduledEventId)))
          started.set(String(st.scheduledEventId), {
            attempt: st.attempt ?? 1,
            identity: st.identity ?? '',
            at,
          });
        const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
        if (done && scheduled.has(String(done.scheduledEventId))) {
          const s0 = started.get(String(done.scheduledEventId));
          out.push({
            closedAt: at,
            startedAt: s0?.at ?? at,
            completed: !!e.activityTaskCompletedEventAttributes,
            attempt: s0?.attempt ?? 1,
            identity: s0?.identity ?? '',
          });
        }
        const can = e.workflowExecutionContinuedAsNewEventAttributes;
        if (can?.newExecutionRunId) next = can.newExecutionRunId;
      }
      if (!next) break;
      runId = next;
    }
    return out.sort((a, b) => a.closedAt - b.closedAt);
  }

  /** Whether a copyBatch of `jobId` is running now on host i (its last attempt started by a worker there). */
  async runningOn(jobId: string, i: number): Promise<boolean> {
    const d = await this.client.workflow.getHandle(jobId).describe();
    const host = `@${this.hosts.hostName(i)}`;
    return (d.raw.pendingActivities ?? []).some(
      (a) =>
        a.activityType?.name === 'copyBatch' &&
        Number(a.state) === 2 /* STARTED */ &&
        (a.lastWorkerIdentity ?? '').endsWith(host),
    );
  }

  async stop(): Promise<void> {
    this.s3?.destroy();
    await this.connection?.close().catch(() => undefined);
    await this.hosts.teardown();
  }
}

/** Lines in a put journal (objects a worker committed). */
export function journalCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** Wait until `n` distinct workers poll activity queue `queue` (the server's own count). */
export async function waitForPollers(
  client: Client,
  queue: string,
  n: number,
  timeoutMs = 60_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    // A dev server just started may answer before its matching service listens: retry until the deadline.
    const r = await client.workflowService
      .describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType: 2 })
      .catch((err: unknown) => {
        if (Date.now() > until) throw err;
        return { pollers: [] };
      });
    const ids = new Set((r.pollers ?? []).map((p) => p.identity));
    if (ids.size >= n) return;
    if (Date.now() > until) throw new Error(`only ${ids.size} of ${n} workers poll ${queue}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
