// FerryPlugin: ferry's activities, with their dependencies, as one Temporal worker plugin. The CLI's workers
// (worker/index.ts) use it, and so does anyone embedding ferry in their own worker:
//   Worker.create({ ..., workflowsPath: <a module that re-exports 'ferry/workflow'>, plugins: [new FerryPlugin()] })
// A TypeScript plugin cannot add workflows to a worker; the embedder's workflows module re-exports ours.
// What the activities hold open (the origin's HTTP pool, file servers of serveDirectory) is closed through
// runContext when the last worker running this plugin stops.
import { appendFileSync } from 'node:fs';
import { SimplePlugin } from '@temporalio/plugin';
import { Runtime } from '@temporalio/worker';
import { createActivities, type ActivityDeps, type FerryActivities } from '../activities/index.js';
import type { CopyBatchInput } from '../common/schemas.js';
import { ferryEnv, type Env } from '../lib/env.js';
import { createFerryMetrics, type FerryMetrics } from '../lib/metrics.js';
import { createHostLimiter } from '../lib/host-limit.js';
import { createOrigin } from '../lib/origin.js';

export interface FerryPluginOptions extends ActivityDeps {
  /** Where FERRY_* knobs (HTTP timeouts, checkpoint interval) are read from. @default process.env */
  env?: Env;
  /**
   * ferry's metrics (lib/metrics.ts); `false` for none. @default on the SDK runtime's metric meter, exported by
   * whatever the runtime was installed with (Prometheus, OpenTelemetry, nothing)
   */
  metrics?: FerryMetrics | false;
}

export class FerryPlugin extends SimplePlugin {
  /** The activities this plugin registers (a test or an embedder may call them directly). */
  readonly activities: FerryActivities;
  constructor(opts: FerryPluginOptions = {}) {
    const { env, metrics: m, ...given } = opts;
    const metrics = m === false ? undefined : (m ?? createFerryMetrics(() => Runtime.instance().metricMeter));
    const deps: ActivityDeps = { ...depsFromEnv(env), ...given };
    const servers = (deps.openServers ??= new Set());
    const origin = deps.origin;
    if (metrics && origin) deps.origin = metrics.observeOrigin(origin);
    const activities = observeBatches(createActivities(deps), metrics);
    /** Workers currently running with this plugin. */
    let running = 0;
    super({
      name: 'ferry',
      activities,
      runContext: async (next) => {
        running++;
        try {
          await next();
        } finally {
          if (--running === 0) {
            // serveDirectory closes its server when cancelled; one left open by a worker that stopped
            // mid-activity is closed here, then the origin's keep-alive pool.
            await Promise.allSettled([...servers].map((s) => s.close()));
            await origin?.close();
          }
        }
      },
    });
    this.activities = activities;
  }
}

/** copyBatch counted into `metrics` as each batch completes (each batch once, whatever its attempts). */
function observeBatches(a: FerryActivities, metrics: FerryMetrics | undefined): FerryActivities {
  if (!metrics) return a;
  const copyBatch = a.copyBatch;
  return {
    ...a,
    async copyBatch(input: CopyBatchInput) {
      const out = await copyBatch(input);
      metrics.batchDone(input.jobId, out);
      return out;
    },
  };
}

/** The activities' dependencies that come from the environment: read here, where the worker is composed. */
export function depsFromEnv(source?: Env): ActivityDeps {
  const env = ferryEnv(source);
  const journal = env.putJournal();
  return {
    origin: createOrigin({
      headersTimeoutMs: env.httpHeadersTimeoutMs(),
      bodyTimeoutMs: env.httpBodyTimeoutMs(),
      connectTimeoutMs: env.httpConnectTimeoutMs(),
      ...(env.userAgent() ? { userAgent: env.userAgent() } : {}),
      ...(env.maxConnsPerHost() ? { hostLimit: createHostLimiter(env.maxConnsPerHost()!) } : {}),
    }),
    checkpointEveryMs: env.checkpointEveryMs(),
    ...(env.serveSecret() ? { serveSecret: env.serveSecret() } : {}),
    serveProcesses: env.serveProcesses(),
    // Test instrumentation: one line per committed object, so crash tests can count objects written twice
    // across worker processes. Off unless FERRY_PUT_JOURNAL is set.
    ...(journal ? { putJournal: (name: string) => appendFileSync(journal, `${name}\n`) } : {}),
  };
}
