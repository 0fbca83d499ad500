/**
 * ferry's benchmark entry: the same datasets, the same origin, every contender in one invocation.
 *
 *   npm run bench -- [--workload NAME[,NAME...]] [--runs N] [--quick] [--contenders a,b] [--ferry-args "..."]
 *                    [--checksum crc32c|crc64nvme|sha256|md5|none] [--streams N]
 *                    [--profile DIR] [--dest-dir DIR] [--no-save] [--ref-bin PATH]
 *                    [--origin nginx|ferry] [--origins ferry,nginx,python] [--origin-workers N] [--origin-ref PATH]
 *
 * --checksum ALGO / --streams N: ferry's --checksum and --streams (default: ferry's defaults, crc32c and 4).
 * --contenders: a subset (e.g. bare,ferry while optimizing); --ferry-args: extra `job start download`
 * options; --ref-bin: another build's bin/ferry.js as contender `ferry-ref` (A/B); --profile: V8 CPU profiles of the ferry process into DIR (summarize with bench/cpuprof.ts);
 * --dest-dir: write under DIR instead of a fresh journaled ext4 (bench/dest-fs.ts); --no-save: no results file.
 *
 * Workloads: small (10,000 × 64 KiB), large (16 × 256 MiB), tiny (50,000 × 4 KiB) into a local directory;
 * s3-small, s3-large into MinIO (skipped with a note when no MinIO binary is built); crash
 * (small with the worker killed at ~50%); origin (the origins themselves: ferry serve, nginx and python's
 * http.server serving small and large to curl → /dev/null, bench/origin-workload.ts). Default: all of them. --quick: 3 runs, large as 4 × 256 MiB and
 * tiny as 10,000 × 4 KiB (aria2c alone takes ~2 min per run of the full one), crash with 2 pairs; about 7 minutes here.
 *
 * Each run: empty the destination and sync (untimed), then time contender + `sync`. Rounds alternate the
 * contenders (A B C, B C A, ...) so drift in machine load spreads over all of them. The copiers' origin is
 * nginx (--origin ferry: ferry's file server in its own process, the setup before issue 12); ferry runs as the real CLI (`job start download --wait`) against one
 * Temporal dev server started for the invocation. Results: a table on stdout, bench/results/<stamp>.json and
 * an SVG chart beside it (bench/chart.ts).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  createReadStream,
} from 'node:fs';
import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { repoRoot } from '../devserver/paths.js';
import { startDevServer, temporalBinary, type DevServer } from '../devserver/temporal.js';
import { minioBinary, startMinio, type MinioServer } from '../devserver/minio.js';
import { renderChart } from './chart.js';
import {
  ALL,
  CONTENDERS,
  writeUrlLists,
  type ContenderName,
  type RunCtx,
  type S3Target,
} from './contenders.js';
import { runCrash } from './crash.js';
import { DATA_ROOT, dataset, ensureDataset, expectedSha256, humanSize, type Dataset } from './dataset.js';
import { prepareDestFs, type DestFs } from './dest-fs.js';
import { emptyDir, procCpuS, timed, versionOf } from './measure.js';
import {
  ORIGIN_KINDS,
  PEERS_HINT,
  originMissing,
  startOrigin,
  type Origin,
  type OriginKind,
} from './origin.js';
import { runOriginWorkload } from './origin-workload.js';
import { formatTable, summarize, type BenchResult, type RunRecord, type WorkloadResult } from './report.js';

interface Workload {
  name: string;
  ds: Dataset;
  dest: 'file' | 's3';
  concurrency: number;
  contenders: ContenderName[];
}

const KiB = 1024;
const MiB = 1024 * KiB;

function workloads(quick: boolean): Workload[] {
  const small = dataset('small', 10_000, 64 * KiB, 'f');
  // Into MinIO small objects go ~4× slower than into a directory: --quick copies a quarter of them.
  const s3Small = quick ? dataset('small-quick', 2_500, 64 * KiB, 'q') : small;
  const large = quick ? dataset('large-quick', 4, 256 * MiB, 'l') : dataset('large', 16, 256 * MiB, 'l');
  const tiny = quick ? dataset('tiny-quick', 10_000, 4 * KiB, 't') : dataset('tiny', 50_000, 4 * KiB, 't');
  const local = CONTENDERS.filter((c) => c !== 'ferry-ref');
  const s3: ContenderName[] = ['bare', 'rclone', 'ferry'];
  return [
    { name: 'small', ds: small, dest: 'file', concurrency: 16, contenders: local },
    { name: 'large', ds: large, dest: 'file', concurrency: 4, contenders: local },
    { name: 'tiny', ds: tiny, dest: 'file', concurrency: 16, contenders: local },
    { name: 's3-small', ds: s3Small, dest: 's3', concurrency: 16, contenders: s3 },
    { name: 's3-large', ds: large, dest: 's3', concurrency: 4, contenders: s3 },
  ];
}

const log = (m: string) => console.error(`[bench] ${m}`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string', multiple: true },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      contenders: { type: 'string' },
      'ferry-args': { type: 'string', default: '' },
      checksum: { type: 'string' },
      streams: { type: 'string' },
      'ref-bin': { type: 'string' },
      profile: { type: 'string' },
      'dest-dir': { type: 'string' },
      'no-save': { type: 'boolean', default: false },
      origin: { type: 'string', default: 'nginx' },
      origins: { type: 'string' },
      'origin-workers': { type: 'string', default: String(DEFAULT_ORIGIN_WORKERS) },
      'origin-ref': { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const runs = Number(values.runs ?? (quick ? 3 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const all = workloads(quick);
  const names = (values.workload ?? []).flatMap((w) => w.split(',')).filter(Boolean);
  const explicit = names.length > 0;
  const known = [...all.map((w) => w.name), 'crash', 'origin', 'origin-small', 'origin-large'];
  for (const n of names)
    if (!known.includes(n)) throw new Error(`unknown workload ${n} (${known.join(', ')})`);
  const selected = explicit ? all.filter((w) => names.includes(w.name)) : all;
  const wantCrash = explicit ? names.includes('crash') : true;
  // `origin` is both of its sets; `origin-small` or `origin-large` one of them.
  const originSets = ['small', 'large'].filter(
    (n) => !explicit || names.includes('origin') || names.includes(`origin-${n}`),
  );
  const originKind = values.origin as OriginKind;
  if (!ORIGIN_KINDS.includes(originKind))
    throw new Error(`--origin must be one of ${ORIGIN_KINDS.join(', ')}`);
  // --origin-ref: A/B a file-server change — another build's origin runs as `ferry-ref` in the same rounds.
  const originRef = values['origin-ref'] ? resolve(values['origin-ref']) : undefined;
  if (originRef && !existsSync(originRef)) throw new Error(`--origin-ref ${originRef}: no such file`);
  const originKinds = (values.origins ?? 'ferry,nginx,python').split(',').filter(Boolean) as OriginKind[];
  if (originRef && !originKinds.includes('ferry-ref')) originKinds.push('ferry-ref');
  for (const k of originKinds)
    if (!ORIGIN_KINDS.includes(k))
      throw new Error(`--origins: unknown origin ${k} (${ORIGIN_KINDS.join(', ')})`);
  const originWorkers = Number(values['origin-workers']);
  if (!Number.isInteger(originWorkers) || originWorkers < 1)
    throw new Error('--origin-workers must be a positive integer');
  const only = values.contenders?.split(',').filter(Boolean) as ContenderName[] | undefined;
  for (const c of only ?? []) if (!CONTENDERS.includes(c)) throw new Error(`unknown contender ${c}`);
  const ferryArgs = values['ferry-args'] ? values['ferry-args'].split(/\s+/).filter(Boolean) : [];
  // ferry's data-plane options as contender options (shown in the table's flags): --checksum, --streams.
  if (values.checksum) ferryArgs.push('--checksum', values.checksum);
  if (values.streams) ferryArgs.push('--streams', values.streams);
  // --ref-bin: A/B a change in one invocation — another checkout's bin/ferry.js runs as `ferry-ref` beside
  // `ferry`, alternating with it like every other contender, against the same dev server and origin.
  const refBin = values['ref-bin'] ? resolve(values['ref-bin']) : undefined;
  if (refBin && !existsSync(refBin)) throw new Error(`--ref-bin ${refBin}: no such file`);
  if (refBin) for (const w of all) if (!w.contenders.includes('ferry-ref')) w.contenders.push('ferry-ref');
  const profileDir = values.profile ? resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const started = new Date();
  const result: BenchResult = {
    date: started.toISOString(),
    quick,
    runs,
    machine: machine(),
    versions: versions(),
    workloads: [],
    skipped: [],
  };
  log(`machine: ${result.machine.cpu} × ${result.machine.cpus}, load ${result.machine.loadStart}`);

  // Which contenders can run here.
  const missing = new Map<ContenderName, string>();
  for (const [tool, key] of [
    ['curl', 'curl'],
    ['aria2c', 'aria2c'],
    ['rclone', 'rclone'],
  ] as const)
    if (!result.versions[key]) missing.set(tool, `${tool} not installed (${PEERS_HINT})`);

  // S3 rows need a MinIO binary (scripts/tools.sh minio).
  const s3Selected = selected.filter((w) => w.dest === 's3');
  let s3Problem: string | undefined;
  if (s3Selected.length) {
    try {
      minioBinary();
    } catch (err) {
      s3Problem = (err as Error).message;
    }
  }
  const runnable = selected.filter((w) => {
    if (w.dest !== 's3' || !s3Problem) return true;
    // Asked for by name: run the peers anyway, so their figures exist; ferry's row is skipped.
    if (explicit && !s3Problem.includes('binary')) return true;
    result.skipped.push({ workload: w.name, reason: `${s3Problem}; these rows run once it exists` });
    return false;
  });

  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  let round = 0;
  let destFs: DestFs | undefined;
  let origin: Origin | undefined;
  let temporal: DevServer | undefined;
  let minio: MinioServer | undefined;
  try {
    for (const w of runnable) {
      const s = await ensureDataset(w.ds, log);
      if (s > 0) log(`generated ${w.ds.name} in ${s.toFixed(1)} s`);
    }
    if (wantCrash) await ensureDataset(all[0]!.ds, log);
    if (originSets.length) {
      const sets = all.filter((w) => originSets.includes(w.name));
      for (const w of sets) await ensureDataset(w.ds, log);
      const timedOut = await originWorkloads(sets, originKinds, {
        runs,
        work,
        workers: originWorkers,
        ...(originRef ? { refEntry: originRef } : {}),
        nextRound: () => round++,
      });
      result.workloads.push(...timedOut.workloads);
      result.skipped.push(...timedOut.skipped);
    }
    const copying = runnable.length > 0 || wantCrash;
    const why = copying ? originMissing(originKind) : undefined;
    if (why) throw new Error(`copier origin: ${why}; or pass --origin ferry`);
    destFs = copying ? prepareDestFs(DATA_ROOT, values['dest-dir'], log) : undefined;
    result.machine.destFs = destFs?.describe ?? 'none (origin workload only)';
    const dstRoot = destFs?.root ?? work;
    origin = copying ? await startOrigin(originKind, DATA_ROOT, { workers: originWorkers, work }) : undefined;
    if (origin) {
      log(`origin ${origin.describe} at ${origin.url} (pid ${origin.pid})`);
      result.machine.origin = origin.describe;
    }
    const needFerry =
      (wantCrash || runnable.some((w) => w.contenders.includes('ferry'))) &&
      (!only || only.includes('ferry') || wantCrash);
    if (needFerry) {
      temporal = await startDevServer({ uiPort: false, logFile: join(work, 'temporal.log') });
      log(`Temporal dev server ${temporal.address} (pid ${temporal.pid})`);
    }
    // Each s3 run gets a MinIO with an empty data directory (untimed): MinIO purges deleted objects lazily, and a
    // second s3-large run into the same directory was refused with XMinioStorageFull.
    let minioRuns = 0;
    let minioDir: string | undefined;
    const freshMinio = async (): Promise<MinioServer> => {
      await minio?.stop();
      if (minioDir) rmSync(minioDir, { recursive: true, force: true });
      minioDir = join(dstRoot, `minio-${minioRuns++}`);
      minio = await startMinio({ dataDir: minioDir, logFile: join(work, 'minio.log') });
      return minio;
    };
    if (runnable.some((w) => w.dest === 's3')) log(`MinIO ${(await freshMinio()).endpoint}`);
    for (const w of runnable) {
      const contenders = w.contenders.filter((c) => {
        if (only && !only.includes(c)) return false;
        if (w.dest === 's3' && c === 'ferry' && s3Problem) return false;
        const why = missing.get(c);
        if (why) log(`${w.name}: skipping ${c}: ${why}`);
        return !why;
      });
      // A workload that fails (a contender exiting non-zero, a wrong copy) is reported and the invocation goes
      // on: one tool's failure must not throw away the figures of the others.
      let wr: WorkloadResult;
      try {
        wr = await runWorkload(w, contenders, {
          runs,
          origin: origin!,
          work,
          dstRoot,
          ferryArgs,
          ...(refBin ? { refBin } : {}),
          ...(profileDir ? { profileDir } : {}),
          ...(temporal ? { temporal } : {}),
          ...(minio ? { freshMinio } : {}),
          nextRound: () => round++,
        });
      } catch (err) {
        const reason = `failed: ${(err as Error).message.split('\n').slice(0, 12).join(' | ')}`;
        log(`${w.name} ${reason}`);
        result.skipped.push({ workload: w.name, reason });
        continue;
      }
      if (w.dest === 's3' && s3Problem) wr.notes.push(`ferry row skipped: ${s3Problem}`);
      if (missing.size)
        for (const [c, why] of missing) if (w.contenders.includes(c)) wr.notes.push(`${c} skipped: ${why}`);
      result.workloads.push(wr);
      console.log(
        formatTable({ ...result, workloads: [wr], skipped: [], crash: undefined }).split('\n\nmachine')[0],
      );
    }
    if (wantCrash && temporal && origin) {
      result.crash = await runCrash({
        ds: all[0]!.ds,
        origin,
        temporal,
        work,
        dest: join(dstRoot, 'crash'),
        runs: quick ? 2 : Math.max(3, Math.min(runs, 5)),
        concurrency: 16,
        log,
      });
    }
  } finally {
    await origin?.stop();
    await temporal?.stop();
    await minio?.stop();
    destFs?.release();
    rmSync(work, { recursive: true, force: true });
  }

  const load = loadavg();
  result.machine.loadEnd = load.map((l) => l.toFixed(2)).join(' ');
  const table = formatTable(result);
  console.log('\n' + table);
  if (!values['no-save']) {
    const dir = join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = started
      .toISOString()
      .replace(/[:.]/g, '-')
      .replace(/-\d\dZ$/, 'Z');
    const base = join(dir, `${stamp}${quick ? '-quick' : ''}`);
    writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(`${base}.svg`, renderChart(result));
    console.log(`\nresults: ${base}.json, chart: ${base}.svg`);
  }
  // A missed floor is a finding reported in the table, not a failure of the benchmark.
  return 0;
}

interface WorkloadEnv {
  runs: number;
  origin: Origin;
  work: string;
  dstRoot: string;
  ferryArgs: string[];
  refBin?: string;
  profileDir?: string;
  temporal?: DevServer;
  /** Stops the running MinIO, deletes its data and starts one on an empty directory. */
  freshMinio?: () => Promise<MinioServer>;
  nextRound(): number;
}

async function runWorkload(
  w: Workload,
  contenders: ContenderName[],
  env: WorkloadEnv,
): Promise<WorkloadResult> {
  const baseUrl = `${env.origin.url}${w.ds.name}/`;
  const lists = writeUrlLists(w.ds, baseUrl, env.work);
  const dir = join(env.dstRoot, w.name);
  let s3: ReturnType<typeof s3Admin> | undefined;
  const raw = contenders.map((c) => ({ name: c, flags: '', runs: [] as RunRecord[] }));
  log(
    `${w.name}: ${w.ds.count} × ${humanSize(w.ds.size)} → ${w.dest}, concurrency ${w.concurrency}, ` +
      `${env.runs} runs of ${contenders.join(', ')}`,
  );
  const ctxFor = async (tag: string): Promise<RunCtx> => {
    let dest: RunCtx['dest'];
    if (w.dest === 's3') {
      s3 = s3Admin(await env.freshMinio!());
      const bucket = `bench-${tag}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
      await s3.create(bucket);
      dest = { kind: 's3', s3: { ...s3.target, bucket } };
    } else {
      emptyDir(dir);
      dest = { kind: 'file', dir };
    }
    return {
      ds: w.ds,
      baseUrl,
      ...lists,
      dest,
      concurrency: w.concurrency,
      work: env.work,
      tag,
      ferryArgs: env.ferryArgs,
      ...(env.temporal ? { temporalAddress: env.temporal.address } : {}),
      ...(env.profileDir ? { profileDir: env.profileDir } : {}),
      ...(env.refBin ? { refBin: env.refBin } : {}),
    };
  };
  const once = async (c: ContenderName, round: number): Promise<RunRecord> => {
    const tag = `${w.name}-${c}-${round}-${Date.now().toString(36)}`;
    const ctx = await ctxFor(tag);
    const contender = ALL[c];
    const cmd = contender.command(ctx);
    const logFile = join(env.work, `${tag}.log`);
    const o0 = await env.origin.sample();
    const s0 = c.startsWith('ferry') && env.temporal ? procCpuS(env.temporal.pid) : NaN;
    const t = await timed(cmd, logFile);
    const s1 = c.startsWith('ferry') && env.temporal ? procCpuS(env.temporal.pid) : NaN;
    const o1 = await env.origin.sample();
    const output = readFileSync(logFile, 'utf8');
    if (t.exitCode !== 0) throw new Error(`${w.name}/${c} exited ${t.exitCode}:\n${output.slice(-3000)}`);
    // Untimed: the copy must be complete and correct before its time counts.
    if (ctx.dest.kind === 'file') await verifyDir(w.ds, ctx.dest.dir, c);
    else await s3!.verifyAndDrop(ctx.dest.s3.bucket, w.ds.count, c);
    const rec: RunRecord = {
      round,
      wallS: t.wallS,
      cpuS: t.cpuS,
      originCpuS: o1.cpuS - o0.cpuS,
      maxRssMiB: Math.round(t.maxRssMiB),
      load1: Number(t.load1.toFixed(2)),
    };
    if (c.startsWith('ferry')) {
      rec.serverCpuS = s1 - s0;
      const jobId = output.split('\n')[0]?.trim();
      if (jobId && env.temporal) {
        const jobS = await jobSeconds(env.temporal.address, jobId);
        if (jobS !== undefined) rec.jobS = jobS;
      }
    }
    const r = raw.find((x) => x.name === c)!;
    r.flags ||= contender.flags(ctx);
    return rec;
  };

  // One untimed warm-up (page cache of the source, JIT and keep-alive in the origin, the dev server's caches).
  for (const c of contenders.filter((x) => x === 'bare' || x === 'ferry')) await once(c, -1);

  for (let i = 0; i < env.runs; i++) {
    const round = env.nextRound();
    const order = rotate(contenders, i);
    for (const c of order) {
      const rec = await once(c, i);
      raw.find((x) => x.name === c)!.runs.push(rec);
      log(
        `${w.name} run ${i + 1}/${env.runs} ${c}: ${rec.wallS.toFixed(2)} s wall, ${rec.cpuS.toFixed(1)} s CPU` +
          `${rec.jobS !== undefined ? `, job ${rec.jobS.toFixed(2)} s` : ''}, origin ${rec.originCpuS.toFixed(1)} s, load ${rec.load1}` +
          ` (round ${round})`,
      );
    }
  }
  if (!s3) rmSync(dir, { recursive: true, force: true });
  return summarize(
    {
      name: w.name,
      dataset: { name: w.ds.name, count: w.ds.count, size: w.ds.size },
      destination: w.dest,
      concurrency: w.concurrency,
      notes: [],
    },
    raw,
  );
}

/**
 * Worker processes of ferry serve in the `origin` workload and as the copiers' origin, and nginx's
 * worker_processes: the same for both, so neither origin has more cores to itself than the other. 1, as
 * measured here: 2 ferry workers were no faster in either set (README, Origin).
 */
const DEFAULT_ORIGIN_WORKERS = 1;

/** The `origin` workload over small and large: every selected origin side by side, stopped afterwards. */
async function originWorkloads(
  sets: Workload[],
  kinds: OriginKind[],
  o: { runs: number; work: string; workers: number; refEntry?: string; nextRound(): number },
): Promise<{ workloads: WorkloadResult[]; skipped: { workload: string; reason: string }[] }> {
  const skipped: { workload: string; reason: string }[] = [];
  const usable = kinds.filter((k) => {
    const why = originMissing(k);
    if (why) skipped.push({ workload: 'origin', reason: `${k}: ${why}` });
    return !why;
  });
  const origins: Origin[] = [];
  const workloads: WorkloadResult[] = [];
  try {
    for (const k of usable) origins.push(await startOrigin(k, DATA_ROOT, o));
    for (const w of sets) {
      // python's http.server (HTTP/1.0, one thread per connection, 64 KiB reads under the GIL) is the
      // baseline of small files only; on 16 × 256 MiB it would only add minutes.
      const here = origins.filter((x) => !(w.name === 'large' && x.kind === 'python'));
      try {
        const wr = await runOriginWorkload({
          name: `origin-${w.name}`,
          ds: w.ds,
          concurrency: w.concurrency,
          origins: here,
          runs: o.runs,
          work: o.work,
          log,
          nextRound: () => o.nextRound(),
        });
        if (here.length < origins.length) wr.notes.push('python not run on large (minutes per run)');
        workloads.push(wr);
        console.log(
          formatTable({ ...emptyResult(), workloads: [wr], skipped: [], crash: undefined }).split(
            '\n\nmachine',
          )[0],
        );
      } catch (err) {
        const reason = `failed: ${(err as Error).message.split('\n').slice(0, 12).join(' | ')}`;
        log(`origin-${w.name} ${reason}`);
        skipped.push({ workload: `origin-${w.name}`, reason });
      }
    }
  } finally {
    for (const x of origins) await x.stop();
  }
  return { workloads, skipped };
}

function emptyResult(): BenchResult {
  return { date: '', quick: false, runs: 0, machine: {}, versions: {}, workloads: [], skipped: [] };
}

// --- internal ---

function rotate<T>(xs: T[], k: number): T[] {
  const n = xs.length;
  return xs.map((_, i) => xs[(i + k) % n]!);
}

async function verifyDir(ds: Dataset, dir: string, who: string): Promise<void> {
  const names = readdirSync(dir).filter((n) => !n.startsWith('.'));
  if (names.length !== ds.count) throw new Error(`${who}: ${names.length} of ${ds.count} objects in ${dir}`);
  for (const i of [0, ds.count - 1]) {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(join(dir, ds.fileName(i)))) h.update(chunk as Buffer);
    if (h.digest('hex') !== expectedSha256(ds, i))
      throw new Error(`${who}: ${ds.fileName(i)} differs from the source`);
  }
}

async function jobSeconds(address: string, jobId: string): Promise<number | undefined> {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address });
  try {
    const d = await new Client({ connection }).workflow.getHandle(jobId).describe();
    return d.closeTime ? (d.closeTime.getTime() - d.startTime.getTime()) / 1000 : undefined;
  } catch {
    return undefined;
  } finally {
    await connection.close();
  }
}

function s3Admin(minio: MinioServer) {
  const target: Omit<S3Target, 'bucket'> = {
    endpoint: minio.endpoint,
    accessKey: minio.accessKey,
    secretKey: minio.secretKey,
    region: minio.region,
  };
  const client = (async () => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    return new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    });
  })();
  return {
    target,
    async create(bucket: string) {
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await (await client).send(new CreateBucketCommand({ Bucket: bucket }));
    },
    /** Count the objects, then delete them and the bucket (untimed). */
    async verifyAndDrop(bucket: string, expected: number, who: string) {
      const s3 = await client;
      const { ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand } =
        await import('@aws-sdk/client-s3');
      let token: string | undefined;
      let n = 0;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        // ferry's own job files (report segments, a staged manifest) live under `.ferry/`: not objects copied.
        n += keys.filter((k) => !k.Key.startsWith('.ferry/')).length;
        if (keys.length)
          await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
        token = page.NextContinuationToken;
      } while (token);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      if (n !== expected) throw new Error(`${who}: ${n} of ${expected} objects in s3://${bucket}`);
    },
  };
}

function machine(): Record<string, string | number> {
  const c = cpus();
  const fs = spawnSync('stat', ['-f', '-c', '%T', repoRoot], { encoding: 'utf8' }).stdout.trim();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    os: `Linux ${release()}`,
    sourceFs: `${fs === 'ext2/ext3' ? 'ext4' : fs} (bench/data, read from page cache)`,
    destFs: '',
    loadStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

function versions(): Record<string, string> {
  const v: Record<string, string | undefined> = {
    node: process.version,
    undici: readJson(join(repoRoot, 'node_modules', 'undici', 'package.json'))?.version,
    temporalSdk: readJson(join(repoRoot, 'node_modules', '@temporalio', 'worker', 'package.json'))?.version,
    ferry: gitDescribe(),
    curl: versionOf('curl', ['--version']),
    aria2c: versionOf('aria2c', ['--version']),
    rclone: versionOf('rclone', ['version']),
    hyperfine: versionOf('hyperfine', ['--version']),
  };
  try {
    v.temporal = versionOf(temporalBinary(), ['--version']);
  } catch {
    // not built
  }
  try {
    v.minio = versionOf(minioBinary(), ['--version']);
  } catch {
    // not built
  }
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => e[1] !== undefined));
}

function readJson(p: string): { version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as { version?: string };
  } catch {
    return undefined;
  }
}

function gitDescribe(): string | undefined {
  const r = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
