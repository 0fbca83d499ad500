// ferry's own metrics, on the Temporal SDK's metric meter: they leave the process through whatever exporter the
// runtime has (`ferry worker --metrics-port`: Prometheus, next to the SDK's own metrics; an embedder: its own
// Prometheus or OpenTelemetry settings). No second HTTP port, no second metrics library.
//
// Objects and bytes are counted when a copyBatch completes, from its result: each batch once, whatever its
// attempts, so over a completed job they add up to the job's report. The origin's requests are observed as
// they happen (latency to response headers, transfers in flight). `job` labels are bounded: the first
// MAX_JOB_LABELS job IDs a process sees get their own, later ones share `other`. A schedule's runs share its
// ID as their label (`sync-2026-11-30T02:00:00Z` → `sync`): one series per recurring sync, not one per run.
import { Context } from '@temporalio/activity';
import { scheduledRunOf } from '../common/ids.js';
import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { CopyBatchOutput } from '../common/schemas.js';
import type { Origin } from './origin.js';
import type { Readable } from 'node:stream';

export const MAX_JOB_LABELS = 100;

/** Every metric ferry exports (the README's Metrics table lists them). */
export const METRIC = {
  objects: 'ferry_objects_total',
  bytes: 'ferry_bytes_total',
  inFlight: 'ferry_transfers_in_flight',
  originLatency: 'ferry_origin_request_latency_ms',
} as const;

/** Bucket bounds (ms) of {@link METRIC.originLatency}, for the runtime's `histogramBucketOverrides`. */
export const ORIGIN_LATENCY_BUCKETS_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000,
];

export interface FerryMetrics {
  /** A copyBatch of job `jobId` completed with `out`. */
  batchDone(jobId: string, out: CopyBatchOutput): void;
  /** `origin`, with its requests observed. */
  observeOrigin(origin: Origin): Origin;
}

/**
 * Metrics on `meter()`, called at first use (after the runtime is installed: asking for
 * `Runtime.instance()` earlier would install a default runtime, and an embedder's own would then fail).
 */
export function createFerryMetrics(meter: () => MetricMeter): FerryMetrics {
  let m:
    | { objects: MetricCounter; bytes: MetricCounter; inFlight: MetricGauge; latency: MetricHistogram }
    | undefined;
  const get = () =>
    (m ??= {
      objects: meter().createCounter(
        METRIC.objects,
        'objects',
        'objects by outcome (copied, skipped, excluded, failed)',
      ),
      bytes: meter().createCounter(METRIC.bytes, 'bytes', 'bytes written to the destination'),
      inFlight: meter().createGauge(
        METRIC.inFlight,
        'int',
        'transfers',
        'origin GETs whose body is being read',
      ),
      latency: meter().createHistogram(
        METRIC.originLatency,
        'int',
        'ms',
        'origin requests: time to response headers',
      ),
    });
  const jobs = new Set<string>();
  const jobLabel = (runId: string): string => {
    const jobId = scheduledRunOf(runId)?.scheduleId ?? runId;
    if (jobs.has(jobId)) return jobId;
    if (jobs.size >= MAX_JOB_LABELS) return 'other';
    jobs.add(jobId);
    return jobId;
  };
  const inFlight = new Map<string, number>();
  const moveInFlight = (job: string, d: number) => {
    const n = (inFlight.get(job) ?? 0) + d;
    inFlight.set(job, n);
    get().inFlight.set(n, { job });
  };
  const currentJob = (): string => {
    try {
      const id = Context.current().info.workflowExecution?.workflowId;
      return id ? jobLabel(id) : 'none';
    } catch {
      return 'none'; // not inside an activity
    }
  };

  return {
    batchDone(jobId, out) {
      const job = jobLabel(jobId);
      const { objects, bytes } = get();
      if (out.totals.copied) objects.add(out.totals.copied, { job, outcome: 'copied' });
      if (out.totals.skipped) objects.add(out.totals.skipped, { job, outcome: 'skipped' });
      if (out.totals.excluded) objects.add(out.totals.excluded, { job, outcome: 'excluded' });
      const byType = new Map<string, number>();
      for (const f of out.failures) byType.set(f.type, (byType.get(f.type) ?? 0) + 1);
      const unknown = out.totals.failed - out.failures.length;
      if (unknown > 0) byType.set('unknown', (byType.get('unknown') ?? 0) + unknown);
      for (const [type, n] of byType) objects.add(n, { job, outcome: 'failed', error_type: type });
      if (out.totals.bytes) bytes.add(out.totals.bytes, { job });
    },

    observeOrigin: function observe(origin: Origin): Origin {
      const timed = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
        const t0 = performance.now();
        try {
          const r = await call();
          get().latency.record(Math.round(performance.now() - t0), { method, outcome: 'ok' });
          return r;
        } catch (err) {
          get().latency.record(Math.round(performance.now() - t0), { method, outcome: 'error' });
          throw err;
        }
      };
      // A GET counts as in flight from its request until its body closes (or, received whole, until it arrives).
      const inFlight = async <T extends object>(call: () => Promise<T>): Promise<T> => {
        const job = currentJob();
        moveInFlight(job, 1);
        let open = true;
        const done = () => {
          if (open) moveInFlight(job, -1);
          open = false;
        };
        try {
          const r = await timed('GET', call);
          if ('body' in r) (r.body as Readable).once('close', done);
          else done();
          return r;
        } catch (err) {
          done();
          throw err;
        }
      };
      return {
        head: (url, signal) => timed('HEAD', () => origin.head(url, signal)),
        get: (url, signal) => inFlight(() => origin.get(url, signal)),
        getWhole: (url, signal, max, hash) => inFlight(() => origin.getWhole(url, signal, max, hash)),
        getRaw: (url, headers, signal) => timed('GET', () => origin.getRaw(url, headers, signal)),
        // A batch's own pool (sized to its lanes, lib/origin.ts) is timed and counted like the shared one.
        forBatch: (n, headers) => observe(origin.forBatch(n, headers)),
        close: () => origin.close(),
      };
    },
  };
}
