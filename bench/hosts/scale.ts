// Scale-out across hosts: the same cross-host migration run by 1, 2 and 3 copy hosts, each behind an emulated
// link of --rate each way, from the data host's `ferry worker --serve-root` into a MinIO host. The deployment
// is the tests' (test/helpers/host-cluster.ts on test/helpers/netns.ts; root only): host 0 Temporal, 1 the data
// host, 2-4 copy workers, 5 MinIO. Prints per run the job's duration (workflow start to close, from Temporal),
// MB/s, the speed-up over one host, and each host's share of the objects (from each worker's
// FERRY_PUT_JOURNAL). Every object is then checked in the bucket (missing, sha256, extras).
//
//   sudo node dist/bench/hosts/scale.js [--objects 240] [--size-kib 512] [--rate 40mbit] [--hosts 1,2,3]
//        [--window 6] [--max-conns 24] [--batch-size 8] [--max-activities 2] [--keep]
//
// Whole-host failures are tests: test/integration/hosts-failures.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { MigrationReport } from '../../common/schemas.js';
import { COPY, Cluster, DATA, journalCount, waitForPollers } from '../../test/helpers/host-cluster.js';

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
      keep: { type: 'boolean', default: false },
    },
  });
  const objects = Number(values.objects);
  const sizeKiB = Number(values['size-kib']);
  const work = mkdtempSync(join(tmpdir(), 'ferry-hosts-'));
  const data = join(work, 'data');
  mkdirSync(data, { recursive: true });
  const source = new Map<string, string>();
  let bytes = 0;
  for (let i = 0; i < objects; i++) {
    const n = `obj-${String(i).padStart(5, '0')}.bin`;
    const b = randomBytes(sizeKiB * 1024 - (i % 7) * 1000);
    writeFileSync(join(data, n), b);
    source.set(n, createHash('sha256').update(b).digest('hex'));
    bytes += b.length;
  }
  const cluster = new Cluster({ work, rate: values.rate });
  const onSignal = () => void cluster.stop().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await cluster.start();
    const mb = bytes / 1e6;
    console.log(
      `scale-out: ${objects} × ${sizeKiB} KiB (${mb.toFixed(1)} MB), copy hosts at ${values.rate} each way, ` +
        `--max-conns ${values['max-conns']} --window ${values.window} --batch-size ${values['batch-size']}, ` +
        `--max-activities ${values['max-activities']} per worker; \`ferry migrate --host\` from the data host`,
    );
    const rows: string[] = [];
    let one: number | undefined;
    for (const n of values.hosts.split(',').map(Number)) {
      const queue = `ferry-scale-${n}-${Date.now()}`;
      const tag = `n${n}`;
      cluster.dataWorker(data, tag);
      const workers = COPY.slice(0, n).map((i) => ({
        i,
        ...cluster.copyWorker(i, queue, tag, Number(values['max-activities'])),
      }));
      // Every worker polls before the job starts, so no host gets a head start.
      await waitForPollers(cluster.client, queue, n);
      await waitForPollers(cluster.client, cluster.dataHostQueue, 1);
      const bucket = `scale-${n}`;
      const jobId = cluster.migrate(data, bucket, queue, [
        '--max-conns',
        values['max-conns'],
        '--window',
        values.window,
        '--batch-size',
        values['batch-size'],
      ]);
      const handle = cluster.client.workflow.getHandle(jobId);
      const report = (await handle.result()) as MigrationReport;
      const d = await handle.describe();
      const secs = ((d.closeTime?.getTime() ?? Date.now()) - d.startTime.getTime()) / 1000;
      const audit = await cluster.audit(bucket, source);
      const shares = workers.map((w) => journalCount(w.journal));
      for (const i of [DATA, ...COPY]) await cluster.hosts.killHost(i);
      one ??= secs;
      const row =
        `| ${n} | ${secs.toFixed(1)} | ${(mb / secs).toFixed(1)} | ${(one / secs).toFixed(2)}× | ` +
        `${shares.join(' / ')} | ${report.state}, ${report.totals.copied} copied; missing ${audit.missing}, ` +
        `corrupted ${audit.corrupted}, extra ${audit.extra} |`;
      console.log(row);
      rows.push(row);
    }
    console.log('\n| copy hosts | job s | MB/s | speed-up | objects per host | result |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await cluster.stop();
    if (!values.keep) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
