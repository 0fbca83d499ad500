/**
 * What --streams and FERRY_RANGE_THRESHOLD should be: one object of each size copied by copyBatch (the activity
 * itself, in this process: no Temporal in the way, so the figure is the data path's) from nginx into a local
 * bucket, at each --streams, median wall time of --runs. --streams 1 is the plain single-stream copy.
 *
 *   node dist/bench/range-sweep.js --dest-dir DIR [--sizes 8,16,32,64,128,256] [--streams 1,2,4,8] [--runs 3]
 *
 * The batch has 8 lanes and one object, so a ranged object can borrow up to 7 (lib/lane-slots.ts).
 */
process.env.FERRY_RANGE_THRESHOLD = '1MiB';

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities/index.js';
import type { CopyBatchInput, CopyBatchOutput } from '../common/schemas.js';
import { LocalBucket } from '../lib/buckets/local.js';
import { startOrigin } from './origin.js';

const { values } = parseArgs({
  options: {
    'dest-dir': { type: 'string' },
    sizes: { type: 'string', default: '8,16,32,64,128,256' },
    streams: { type: 'string', default: '1,2,4,8' },
    runs: { type: 'string', default: '3' },
  },
});
if (!values['dest-dir']) throw new Error('--dest-dir DIR is required');
const dir = path.resolve(values['dest-dir']);
const src = path.join(dir, 'src');
const MiB = 1024 * 1024;
const sizes = values.sizes.split(',').map(Number);
const streamsList = values.streams.split(',').map(Number);
const runs = Number(values.runs);

mkdirSync(src, { recursive: true });
for (const s of sizes) {
  const f = path.join(src, `obj-${s}.bin`);
  if (statSync(f, { throwIfNoEntry: false })?.size !== s * MiB) writeFileSync(f, randomBytes(s * MiB));
}
const origin = await startOrigin('nginx', src, { workers: 1, work: path.join(dir, 'nginx') });
const { copyBatch } = createActivities({ checkpointEveryMs: 250 });
const run = (input: CopyBatchInput): Promise<CopyBatchOutput> =>
  new MockActivityEnvironment().run(copyBatch, input);

const rows: string[] = [`| size | ${streamsList.map((n) => `--streams ${n}`).join(' | ')} |`];
rows.push(`|---|${streamsList.map(() => '---').join('|')}|`);
try {
  for (const s of sizes) {
    const cells: string[] = [];
    for (const streams of streamsList) {
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        // A fresh directory each run: buckets are cached per URI, with the directories they made.
        const dest = path.join(dir, 'dest', `${s}-${streams}-${r}`);
        rmSync(path.join(dir, 'dest'), { recursive: true, force: true });
        const bucket = new LocalBucket(dest);
        await bucket.ensure();
        const t0 = performance.now();
        const out = await run({
          jobId: 'sweep',
          baseUrl: origin.url,
          names: [`obj-${s}.bin`],
          maxNames: 10,
          start: 0,
          end: 1,
          destination: dest,
          concurrency: 8,
          skipExisting: false,
          limitBps: 0,
          streams,
        });
        if (out.totals.copied !== 1) throw new Error(`copy failed: ${JSON.stringify(out)}`);
        times.push((performance.now() - t0) / 1000);
      }
      const med = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
      cells.push(`${((s * MiB) / med / MiB).toFixed(0)} MiB/s (${med.toFixed(2)} s)`);
      console.error(`# ${s} MiB --streams ${streams}: ${times.map((x) => x.toFixed(2)).join(', ')} s`);
    }
    rows.push(`| ${s} MiB | ${cells.join(' | ')} |`);
  }
} finally {
  await origin.stop();
  rmSync(path.join(dir, 'dest'), { recursive: true, force: true });
}
console.log(rows.join('\n'));
