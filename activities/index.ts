// Activity factory: activities that need dependencies get them from here (STYLE.md), and workflows proxy
// `ReturnType<typeof createActivities>` so they import types only.
import { hostname } from 'node:os';

export interface ActivityDeps {
  /** Root directory this worker may serve (`ferry worker --serve-root`); undefined = none. */
  serveRoot?: string;
}

export function createActivities(_deps: ActivityDeps = {}) {
  return {
    async greet(input: { name: string }): Promise<string> {
      return `hello ${input.name} from ${hostname()}`;
    },
  };
}
