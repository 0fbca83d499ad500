// Live progress: one bar per job, redrawn on a TTY, a line every 5 s otherwise, until the job closes. With no
// worker polling, the bar's place says so (and the watch goes on: the job moves again when one starts).
import { setTimeout as sleep } from 'node:timers/promises';
import { Listr } from 'listr2';
import { JobState, type Progress } from '../common/schemas.js';
import type { Connected } from './connection.js';
import { bar, humanBytes, humanDuration } from './format.js';
import { jobSnapshot, withInFlight } from './job-state.js';

const OPEN_STATES = new Set<string>([JobState.Running, JobState.Paused, JobState.Stopping]);

export function progressLine(p: Progress): string {
  // A job still open with a total of 0 has not counted its names yet (a walk's first page, a manifest being
  // staged): say so, rather than "100.0% 0/0" while it runs. A closed job of 0 objects is done.
  const counting = p.total === 0 && OPEN_STATES.has(p.state);
  const frac = p.total ? p.done / p.total : counting ? 0 : 1;
  return (
    `${bar(frac)} ${counting ? '-' : (frac * 100).toFixed(1)}% ${p.done}/${counting ? '?' : p.total} ` +
    `(${p.totals.copied} copied, ${p.totals.skipped} skipped, ${p.totals.failed} failed${p.totals.excluded ? `, ${p.totals.excluded} excluded` : ''}) ` +
    `${humanBytes(p.bytesPerSec)}/s ${p.objectsPerSec.toFixed(0)} obj/s ETA ${humanDuration(p.etaMs)} [${p.state}]`
  );
}

/** Live progress of one or more jobs until they close. */
export async function watchJobs(
  conn: Connected,
  ids: string[],
  opts: { quiet: boolean; ownWorker?: boolean },
): Promise<void> {
  // listr2 renders on stdout (and falls back to plain lines itself when stdout is no terminal): decide on
  // stdout too, or `… --progress > log` from a terminal wrote a line every 500 ms.
  const tty = process.stdout.isTTY === true && !opts.quiet;
  const tasks = new Listr(
    ids.map((id) => ({
      title: id,
      task: async (_ctx: unknown, task: { output: string; title: string }) => {
        let lastPrint = 0;
        let lastLine = '';
        const handle = conn.client.workflow.getHandle(id);
        // Wake up as soon as the job closes (result() long-polls and follows continue-as-new), not at the
        // next poll: `job start --wait` of a short job spent ~0.9 s here after the job had finished. The
        // pending sleep is cancelled too, or its timer alone would hold the process that long before exit.
        const closed = new AbortController();
        void handle.result().then(
          () => closed.abort(),
          () => closed.abort(),
        );
        for (;;) {
          const snap = await jobSnapshot(conn, id, undefined, opts.ownWorker);
          if (snap.status !== 'running') {
            // The closed job's state (completed-with-failures, stopped) rather than a stale [running] bar.
            task.title = `${id}: ${snap.state}`;
            if (tty) task.output = '';
            return;
          }
          const line = snap.progress
            ? progressLine(withInFlight(snap.progress, snap.pending))
            : (snap.unanswered ?? '');
          // A state change (a worker gone or back) is shown at once, progress at most every 5 s off a TTY.
          if (tty || line.startsWith('[') !== lastLine.startsWith('[') || Date.now() - lastPrint > 5000) {
            task.output = line;
            lastPrint = Date.now();
            lastLine = line;
          }
          await sleep(tty ? 500 : 1000, undefined, { signal: closed.signal }).catch(() => undefined);
        }
      },
      rendererOptions: { persistentOutput: true, outputBar: 1 },
    })),
    {
      concurrent: true,
      exitOnError: false,
      renderer: opts.quiet ? 'silent' : tty ? 'default' : 'simple',
      rendererOptions: {},
    },
  );
  await tasks.run();
}
