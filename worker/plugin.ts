// FerryPlugin: ferry's activities, with their dependencies, as one Temporal worker plugin. The CLI's workers
// (worker/index.ts) use it, and so does anyone embedding ferry in their own worker:
//   Worker.create({ ..., workflowsPath: <a module that re-exports 'ferry/workflow'>, plugins: [new FerryPlugin()] })
// A TypeScript plugin cannot add workflows to a worker; the embedder's workflows module re-exports ours.
// What the activities hold open (the origin's HTTP pool, file servers of serveDirectory) is closed through
// runContext when the last worker running this plugin stops.
import { appendFileSync } from 'node:fs';
import { SimplePlugin } from '@temporalio/plugin';
import { createActivities, type ActivityDeps, type FerryActivities } from '../activities/index.js';
import { ferryEnv, type Env } from '../lib/env.js';
import { createOrigin } from '../lib/origin.js';

export interface FerryPluginOptions extends ActivityDeps {
  /** Where FERRY_* knobs (HTTP timeouts, checkpoint interval) are read from. @default process.env */
  env?: Env;
}

export class FerryPlugin extends SimplePlugin {
  /** The activities this plugin registers (a test or an embedder may call them directly). */
  readonly activities: FerryActivities;
  constructor(opts: FerryPluginOptions = {}) {
    const { env, ...given } = opts;
    const deps: ActivityDeps = { ...depsFromEnv(env), ...given };
    const servers = (deps.openServers ??= new Set());
    const activities = createActivities(deps);
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
            await deps.origin?.close();
          }
        }
      },
    });
    this.activities = activities;
  }
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
    }),
    checkpointEveryMs: env.checkpointEveryMs(),
    // Test instrumentation: one line per committed object, so crash tests can count objects written twice
    // across worker processes. Off unless FERRY_PUT_JOURNAL is set.
    ...(journal ? { putJournal: (name: string) => appendFileSync(journal, `${name}\n`) } : {}),
  };
}
