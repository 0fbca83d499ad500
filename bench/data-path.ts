/**
 * The copier's data path without Temporal: the files of bench/data/<set> fetched from a local nginx through the
 * same library code a copy batch uses (lib/origin.ts, lib/ranged-get.ts, lib/streams.ts, lib/buckets/local*.ts)
 * into a local bucket, reporting this process's CPU time per MiB and per object. CPU time, not wall time: on a
 * loaded machine it is what a change to the data path moves, and what `--cpu-prof` then explains.
 *
 *   node dist/bench/data-path.js --set large|small|tiny --dest DIR [--concurrency 4] [--streams 4] [--runs 3]
 *                                [--checksum crc32c] [--count N] [--sink bucket|none] [--als] [--stream]
 *
 * --sink none: each body is read and dropped (one stream per object, no write, no checksum): the CPU Node and undici
 * cost to receive the bytes at all, the floor under everything else the copy does.
 *
 * --stream: small objects read through undici's request() and a stream, as before lib/origin-whole.ts (an A/B).
 *
 * --als: the lanes run inside an AsyncLocalStorage context, as an activity's do (the SDK's Context.current()): in
 * Node 20 that turns on V8's promise hooks for every promise the data path makes, a cost the SDK adds to each.
 *
 * The dataset must exist (run `npm run bench -- --workload <set>` once). DIR is emptied before every run.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DATA_ROOT } from './dataset.js';
import { startOrigin } from './origin.js';
import { createOrigin } from '../lib/origin.js';
import { LocalBucket } from '../lib/buckets/local.js';
import { copyRanged, rangeable } from '../lib/ranged-get.js';
import { createHasher, recorded } from '../lib/checksum.js';
import { HashCounter, link, receiveWhole } from '../lib/streams.js';
import type { ChecksumAlgo } from '../common/schemas.js';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: 'large' },
    dest: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    streams: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    checksum: { type: 'string', default: 'crc32c' },
    count: { type: 'string' },
    sink: { type: 'string', default: 'bucket' },
    als: { type: 'boolean', default: false },
    stream: { type: 'boolean', default: false },
  },
});
if (!values.dest) throw new Error('--dest DIR is required');
if (values.sink !== 'bucket' && values.sink !== 'none') throw new Error('--sink bucket|none');
const src = join(DATA_ROOT, values.set);
const names = readdirSync(src)
  .filter((n) => !n.startsWith('.'))
  .sort()
  .slice(0, values.count ? Number(values.count) : undefined);
const totalBytes = names.reduce((s, n) => s + statSync(join(src, n)).size, 0);
const algo = values.checksum as ChecksumAlgo;
const streams = Number(values.streams);
const concurrency = Number(values.concurrency);
const MiB = 1024 * 1024;

const work = join(values.dest, '..', 'data-path-work');
mkdirSync(work, { recursive: true });
const nginx = await startOrigin('nginx', src, { workers: 1, work });
try {
  for (let run = 0; run < Number(values.runs); run++) {
    rmSync(values.dest, { recursive: true, force: true });
    const bucket = new LocalBucket(values.dest);
    await bucket.ensure();
    const origin = createOrigin().forBatch(concurrency);
    const rangeOrigin = createOrigin().forBatch(concurrency * (streams - 1));
    const signal = new AbortController().signal;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    // How many small objects were committed while the bucket had them on its asynchronous path (the switch of
    // lib/buckets/slow-commits.ts): a diagnostic.
    const asyncNow = () => bucket.slow.asyncNow();
    let asyncCommits = 0;
    const lane = async () => {
      for (let i = next++; i < names.length; i = next++) {
        const name = names[i]!;
        const url = nginx.url + name;
        const meta = { sourceUrl: url, jobId: 'bench' };
        if (values.sink === 'bucket' && !values.stream) {
          // The copy's small-object way (activities/copy-batch.ts): received whole when small, else a stream.
          const got = await origin.getWhole(url, signal, bucket.putBytesMax, await createHasher(algo));
          if ('whole' in got) {
            await bucket.putBytes(name, got.whole.chunks, {
              meta: { ...meta, ...recorded(algo, got.whole.digest) },
              bytes: got.head.size!,
            });
            continue;
          }
          got.body.destroy();
        }
        const { head, body } = await origin.get(url, signal);
        if (values.sink === 'none') {
          for await (const chunk of body) void chunk;
          continue;
        }
        if (rangeable(head, streams, algo, 64 * MiB)) {
          const writer = await bucket.openRanged(name, { size: head.size, meta, checksum: algo, signal });
          await copyRanged({ origin: rangeOrigin, url, head, first: body, writer, streams, algo, signal });
        } else if (head.size !== undefined && head.size <= bucket.putBytesMax) {
          if (asyncNow()) asyncCommits++;
          const { chunks, digest } = await receiveWhole(body, head.size, url, await createHasher(algo));
          await bucket.putBytes(name, chunks, {
            meta: { ...meta, ...recorded(algo, digest) },
            bytes: head.size,
          });
        } else {
          const hasher = new HashCounter(await createHasher(algo));
          link(body, hasher);
          await bucket.put(name, hasher, {
            size: head.size,
            meta,
            checksum: algo,
            beforeCommit: () => ({ ...recorded(algo, hasher.digest()), bytes: hasher.bytes }),
          });
        }
      }
    };
    const all = () => Promise.all(Array.from({ length: concurrency }, lane));
    await (values.als ? new AsyncLocalStorage<object>().run({}, all) : all());
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    await Promise.all([origin.close(), rangeOrigin.close()]);
    console.log(
      `${values.set} run ${run + 1}: ${names.length} objects, ${(totalBytes / MiB).toFixed(0)} MiB in ${wallS.toFixed(2)} s; ` +
        `CPU ${(cpuMs / 1000).toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, sys ${(cpu.system / 1e6).toFixed(2)}) = ` +
        `${(cpuMs / (totalBytes / MiB)).toFixed(3)} ms/MiB, ${((cpuMs * 1000) / names.length).toFixed(0)} µs/object, ${asyncCommits} on the asynchronous path; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
    );
  }
} finally {
  await nginx.stop();
}
