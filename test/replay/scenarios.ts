// The scenarios of the replay corpus recorder (scripts/record-histories.ts): each drives the real CLI through
// one shape of migrationWorkflow / serveWorkflow and names the runs to record. A step waits for a state (a GET
// arrived, the job is paused, a run closed), never for time. Add a scenario here when a workflow gains a shape.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/worker';
import type { MigrationReport, Progress } from '../../common/schemas.js';
import {
  makeDataset,
  runFerry,
  spawnFerry,
  waitForProgress,
  type FerryProcess,
  type RunResult,
} from '../helpers/cli.js';
import { startGatedOrigin, type GatedOrigin } from './gated-origin.js';

/**
 * The continue-as-new scenario's server suggests continue-as-new from this many history events on
 * (limit.historyCount.suggestContinueAsNew, default 4096): migrationWorkflow continues as new when its history
 * passes CONTINUE_AS_NEW_AT_EVENTS (4000) or when the server suggests it, so a few dozen objects take the same
 * path (stop launching, drain, continue-as-new with the carry) that 4000 events do, in ~65 KB per run
 * instead of ~3.4 MB (ferry's events average ~850 bytes of proto JSON).
 */
export const SUGGEST_CAN_AT_EVENTS = 60;

/** One recorded run: written to <file>.json. */
export interface Run {
  file: string;
  workflowId: string;
  runId: string;
  shape: string;
}

export interface Scenario {
  name: string;
  /** 'can': the server with the lowered continue-as-new suggestion. */
  server: 'stock' | 'can';
  /** The files it writes (without suffix), known before it runs. */
  files: string[];
  run(ctx: Ctx): Promise<Run[]>;
}

export class Ctx {
  readonly steps: string[] = [];
  private readonly aliases: [string, string][] = [];
  private readonly procs: FerryProcess[] = [];
  private readonly origins: GatedOrigin[] = [];
  constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly client: Client,
  ) {
    this.alias(dir, '$WORK');
  }
  /** Shown as `placeholder` in the recorded steps. */
  alias(value: string, placeholder: string): void {
    this.aliases.push([value, placeholder]);
  }
  /** One CLI command to completion; its exit code must be `expect`. */
  async ferry(args: string[], expect = 0): Promise<RunResult> {
    this.steps.push(`ferry ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`);
    const r = await runFerry(args, { env: this.env, timeoutMs: 300_000 });
    if (r.code !== expect)
      throw new Error(`ferry ${args.join(' ')}: exit ${r.code}, expected ${expect}\n${r.stdout}${r.stderr}`);
    return r;
  }
  /** `ferry serve DIR --port 0`; resolves with its URL once it listens. */
  async serve(root: string): Promise<string> {
    const p = this.spawn('serve', ['serve', root, '--port', '0']);
    const url = (await p.waitFor(/serving .+? at (https?:\/\/\S+)/, 60_000))[1]!;
    this.alias(url, '$ORIGIN/');
    return url;
  }
  /** `ferry worker` on the scenario's task queue; resolves once it polls. */
  async worker(): Promise<FerryProcess> {
    const p = this.spawn('worker', ['worker']);
    await p.waitFor(/ferry worker: .* queue /, 60_000);
    return p;
  }
  async gatedOrigin(root: string, hold: string[]): Promise<GatedOrigin> {
    const o = await startGatedOrigin(root, hold);
    this.origins.push(o);
    this.alias(o.url, '$ORIGIN/');
    return o;
  }
  /** Resolves once the origin holds a GET of each of `names`; rejects if job `jobId` closes first. */
  async arrival(origin: GatedOrigin, names: string[], jobId: string): Promise<void> {
    const closed = this.client.workflow
      .getHandle(jobId)
      .result()
      .then(() => Promise.reject(new Error(`job ${jobId} closed before its GETs of ${names.join(', ')}`)));
    closed.catch(() => undefined);
    await Promise.race([Promise.all(names.map((n) => origin.requested(n))), closed]);
  }
  progress(jobId: string, predicate: (p: Progress) => boolean): Promise<Progress> {
    return waitForProgress(this.client, jobId, predicate, { timeoutMs: 300_000 });
  }
  sanitize(s: string): string {
    return this.aliases.reduce((t, [v, p]) => t.split(v).join(p), s);
  }
  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.kill()));
    await Promise.all(this.origins.map((o) => o.close()));
  }
  private spawn(name: string, args: string[]): FerryProcess {
    this.steps.push(`ferry ${args.join(' ')} &`);
    const p = spawnFerry(name, args, this.env);
    this.procs.push(p);
    return p;
  }
}

const pad2 = (i: number) => String(i).padStart(2, '0');
const jobIdOf = (r: RunResult) => r.stdout.split('\n')[0]!.trim();

export const scenarios: Scenario[] = [
  {
    name: 'continue-as-new',
    server: 'can',
    files: [
      'migration-continue-as-new-first',
      'migration-continue-as-new-second',
      'migration-continue-as-new-last',
    ],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 48, name: (i) => `c-${pad2(i)}.bin`, size: 8 });
      const url = await ctx.serve(src);
      const r = await ctx.ferry([
        'job',
        'start',
        'download',
        `${url}c-{00..47}.bin`,
        join(ctx.dir, 'bucket'),
        '--batch-size',
        '1',
        '--wait',
        '-q',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runs = await runChain(ctx.client, id);
      if (runs.length < 3)
        throw new Error(`job ${id} ran ${runs.length} time(s); lower SUGGEST_CAN_AT_EVENTS or add objects`);
      const at = (shape: string, runId: string, file: string): Run => ({
        file,
        workflowId: id,
        runId,
        shape,
      });
      return [
        at('template download, batch-size 1: first run, continues as new', runs[0]!, this.files[0]!),
        at('second run: starts from the carry, continues as new', runs[1]!, this.files[1]!),
        at(`last run (${runs.length}): starts from the carry, completes`, runs.at(-1)!, this.files[2]!),
      ];
    },
  },
  {
    name: 'object-list',
    server: 'stock',
    files: ['migration-object-list'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      const names = Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0 ? `d${i % 2}/f-${i}.dat` : `f-${i}.dat`,
      );
      makeDataset(src, { count: names.length, name: (i) => names[i]!, size: [100, 400] });
      const list = join(ctx.dir, 'list.txt');
      writeFileSync(list, `# scattered names, some in subdirectories\n${names.join('\n')}\n`);
      const url = await ctx.serve(src);
      const r = await ctx.ferry([
        'job',
        'start',
        'download',
        url,
        join(ctx.dir, 'bucket'),
        '--object-list',
        list,
        '--batch-size',
        '3',
        '--wait',
        '-q',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      return [
        { file: this.files[0]!, workflowId: id, runId: await lastRun(ctx.client, id), shape: 'object list' },
      ];
    },
  },
  {
    name: 'migrate',
    server: 'stock',
    files: ['migration-migrate', 'serve-migrate'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 12, name: (i) => `m-${pad2(i)}.bin`, size: [50, 500] });
      const r = await ctx.ferry([
        'migrate',
        src,
        join(ctx.dir, 'bucket'),
        '--template',
        'm-{00..11}.bin',
        '--batch-size',
        '3',
        '-q',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runId = await lastRun(ctx.client, id);
      const child = (await fetchRun(ctx.client, id, runId)).events?.find(
        (e) => e.childWorkflowExecutionStartedEventAttributes,
      )?.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (!child?.workflowId || !child.runId) throw new Error(`job ${id} started no serve child`);
      // `ferry migrate` exits when the job closes; the serve child's last workflow task (after the migration
      // cancelled it) is left to whichever worker polls the queue next. Run one and wait for the child to close.
      const worker = await ctx.worker();
      await ctx.client.workflow.getHandle(child.workflowId, child.runId).result();
      await worker.kill();
      return [
        { file: this.files[0]!, workflowId: id, runId, shape: 'migrate: serve child, then the copy' },
        { file: this.files[1]!, workflowId: child.workflowId, runId: child.runId, shape: 'the serve child' },
      ];
    },
  },
  {
    // --verify as a job's last phase (a verifyWorkflow child), then `job verify` of the same job after one object
    // was corrupted behind ferry's back: the verification's two shapes, all verified and with a mismatch.
    name: 'verify',
    server: 'stock',
    files: ['migration-verify', 'verify-child', 'verify-mismatch'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 12, name: (i) => `v-${pad2(i)}.bin`, size: [50, 500] });
      const bucket = join(ctx.dir, 'bucket');
      const r = await ctx.ferry([
        'migrate',
        src,
        bucket,
        '--template',
        'v-{00..11}.bin',
        '--batch-size',
        '3',
        '--verify',
        'transferred',
        '-q',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runId = await lastRun(ctx.client, id);
      const verifyId = `${id}.verify`;
      const child = await lastRun(ctx.client, verifyId);
      // The serve child's last task (see 'migrate'): let a worker close it before the next command.
      const worker = await ctx.worker();
      const flipped = readFileSync(join(bucket, 'v-05.bin'));
      flipped[0] = flipped[0]! ^ 0xff;
      writeFileSync(join(bucket, 'v-05.bin'), flipped);
      await ctx.ferry(['job', 'verify', id, '--no-worker', '-q'], 3);
      await worker.kill();
      const mismatch = await lastRun(ctx.client, verifyId);
      if (mismatch === child) throw new Error(`job ${id}: job verify started no new verification run`);
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId,
          shape: 'migrate --verify transferred: the verify child last',
        },
        {
          file: this.files[1]!,
          workflowId: verifyId,
          runId: child,
          shape: 'verifyWorkflow as a child: 12 verified',
        },
        {
          file: this.files[2]!,
          workflowId: verifyId,
          runId: mismatch,
          shape: 'job verify after one object was corrupted: 11 verified, 1 mismatch',
        },
      ];
    },
  },
  {
    name: 'failure-resume',
    server: 'stock',
    files: ['migration-failed', 'migration-resumed'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      const hold = join(ctx.dir, 'hold');
      mkdirSync(hold);
      makeDataset(src, { count: 16, name: (i) => `r-${pad2(i)}.bin`, size: [50, 500] });
      const missing = ['r-03.bin', 'r-04.bin', 'r-13.bin'];
      for (const n of missing) renameSync(join(src, n), join(hold, n));
      const bucket = join(ctx.dir, 'bucket');
      const r = await ctx.ferry(
        ['migrate', src, bucket, '--template', 'r-{00..15}.bin', '--batch-size', '4', '-q'],
        3,
      );
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const failed = await lastRun(ctx.client, id);
      for (const n of missing) renameSync(join(hold, n), join(src, n));
      await ctx.ferry(['job', 'resume', id, '--wait', '-q']);
      const resumed = await lastRun(ctx.client, id);
      if (resumed === failed) throw new Error(`job ${id}: resume started no new run`);
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId: failed,
          shape: 'migrate: completed with 3 failed (404)',
        },
        {
          file: this.files[1]!,
          workflowId: id,
          runId: resumed,
          shape: 'job resume: only the failed indexes',
        },
      ];
    },
  },
  {
    // More failures than the ledger's sample (FAILURE_SAMPLE, 100): the patch ledger-failure-sample's marker.
    name: 'many-failures',
    server: 'stock',
    files: ['migration-many-failures'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, {
        count: 10,
        name: (i) => `f-${String(i * 15).padStart(3, '0')}.bin`,
        size: [50, 500],
      });
      const bucket = join(ctx.dir, 'bucket');
      const r = await ctx.ferry(
        ['migrate', src, bucket, '--template', 'f-{0000..1199}.bin', '--batch-size', '64', '-q'],
        3,
      );
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId: await lastRun(ctx.client, id),
          shape:
            'migrate: completed with 1,190 of 1,200 failed (404): a sample of 100 kept, the rest as ranges',
        },
      ];
    },
  },
  {
    name: 'stop',
    server: 'stock',
    files: ['migration-stopped'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 8, name: (i) => `s-${pad2(i)}.bin`, size: [50, 500] });
      // Window 2: s-00 and s-01 are copied, then s-02 and s-03 fill the window and are held.
      const held = ['s-02.bin', 's-03.bin'];
      const origin = await ctx.gatedOrigin(src, held);
      await ctx.worker();
      const url = `${origin.url}s-{00..07}.bin`;
      const bucket = join(ctx.dir, 'bucket');
      const r = await ctx.ferry([
        'job',
        'start',
        'download',
        url,
        bucket,
        '--batch-size',
        '1',
        '--window',
        '2',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      await ctx.arrival(origin, held, id); // two batches running that cannot finish, four never started
      await ctx.ferry(['job', 'stop', id]);
      const report = (await ctx.client.workflow.getHandle(id).result()) as MigrationReport;
      if (report.state !== 'stopped') throw new Error(`job ${id} ended ${report.state}, not stopped`);
      const shape = 'stopped with two batches in flight (cancelled) and four never started';
      return [{ file: this.files[0]!, workflowId: id, runId: await lastRun(ctx.client, id), shape }];
    },
  },
  {
    name: 'pause-set',
    server: 'stock',
    files: ['migration-paused-set'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 8, name: (i) => `p-${pad2(i)}.bin`, size: [50, 500] });
      // Window 2: p-00 and p-01 are copied, then p-02 and p-03 fill the window and are held.
      const held = ['p-02.bin', 'p-03.bin'];
      const origin = await ctx.gatedOrigin(src, held);
      await ctx.worker();
      const url = `${origin.url}p-{00..07}.bin`;
      const bucket = join(ctx.dir, 'bucket');
      const r = await ctx.ferry([
        'job',
        'start',
        'download',
        url,
        bucket,
        '--batch-size',
        '1',
        '--window',
        '2',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      await ctx.arrival(origin, held, id);
      await ctx.ferry(['job', 'pause', id]);
      await ctx.progress(id, (p) => p.state === 'paused' && p.inFlightBatches === 2);
      await ctx.ferry(['job', 'set', id, '--max-conns', '8', '--limit-bph', '10GiB']);
      await ctx.progress(id, (p) => p.maxConns === 8);
      for (const n of held) origin.release(n);
      // Both batches finish while paused; nothing new starts until unpause.
      await ctx.progress(id, (p) => p.state === 'paused' && p.inFlightBatches === 0 && p.done === 4);
      await ctx.ferry(['job', 'unpause', id]);
      const report = (await ctx.client.workflow.getHandle(id).result()) as MigrationReport;
      if (report.state !== 'completed') throw new Error(`job ${id} ended ${report.state}`);
      const shape = 'paused with two batches in flight, job set while paused, unpaused, completed';
      return [{ file: this.files[0]!, workflowId: id, runId: await lastRun(ctx.client, id), shape }];
    },
  },
  {
    name: 'lane-budget',
    server: 'stock',
    files: ['migration-lane-budget', 'migration-lane-budget-tree'],
    async run(ctx) {
      // --max-conns 4 over a window of 3: the lane-budget-v1 patch (common/lanes.ts), template and tree paths.
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 12, name: (i) => `d${i % 2}/w-${pad2(i)}.bin`, size: [50, 500] });
      const url = await ctx.serve(src);
      const lanes = ['--max-conns', '4', '--window', '3', '--batch-size', '2'];
      const a = await ctx.ferry([
        'job',
        'start',
        'download',
        `${url}d0/w-{00..10..2}.bin`,
        join(ctx.dir, 'bucket-a'),
        ...lanes,
        '--wait',
        '-q',
      ]);
      const idA = jobIdOf(a);
      ctx.alias(idA, '$JOB_A');
      const b = await ctx.ferry(['migrate', src, join(ctx.dir, 'bucket-b'), ...lanes, '-q']);
      const idB = jobIdOf(b);
      ctx.alias(idB, '$JOB_B');
      return [
        {
          file: this.files[0]!,
          workflowId: idA,
          runId: await lastRun(ctx.client, idA),
          shape: 'template download, --max-conns 4 --window 3: lane-budget-v1 marker, lanes 2/1/1',
        },
        {
          file: this.files[1]!,
          workflowId: idB,
          runId: await lastRun(ctx.client, idB),
          shape: 'migrate with no template, --max-conns 4 --window 3: lane-budget-v1 marker in the walk',
        },
      ];
    },
  },
  {
    name: 'migrate-tree',
    server: 'stock',
    files: ['migration-migrate-tree', 'serve-migrate-tree'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      const names = [
        'a/b/t-0.bin',
        'a/t-1.bin',
        'a.bin',
        'sp ace/t-2.bin',
        'ü/t-3.bin',
        't-4.bin',
        'z/y/x.bin',
      ];
      makeDataset(src, { count: names.length, name: (i) => names[i]!, size: [50, 500] });
      const r = await ctx.ferry(['migrate', src, join(ctx.dir, 'bucket'), '--batch-size', '2', '-q']);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runId = await lastRun(ctx.client, id);
      const child = (await fetchRun(ctx.client, id, runId)).events?.find(
        (e) => e.childWorkflowExecutionStartedEventAttributes,
      )?.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (!child?.workflowId || !child.runId) throw new Error(`job ${id} started no serve child`);
      const worker = await ctx.worker();
      await ctx.client.workflow.getHandle(child.workflowId, child.runId).result();
      await worker.kill();
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId,
          shape: 'migrate with no template: serve child, then the walk (scanListing) and its span batches',
        },
        { file: this.files[1]!, workflowId: child.workflowId, runId: child.runId, shape: 'its serve child' },
      ];
    },
  },
  {
    name: 'prefetch-listing',
    server: 'can',
    files: ['migration-prefetch-listing-first', 'migration-prefetch-listing-last'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      makeDataset(src, { count: 40, name: (i) => `d${i % 4}/l-${pad2(i)}.bin`, size: 8 });
      const url = await ctx.serve(src);
      const r = await ctx.ferry([
        'job',
        'start',
        'prefetch',
        url,
        join(ctx.dir, 'bucket'),
        '--batch-size',
        '1',
        '--wait',
        '-q',
      ]);
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runs = await runChain(ctx.client, id);
      if (runs.length < 2) throw new Error(`job ${id} ran ${runs.length} time(s); add objects`);
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId: runs[0]!,
          shape: 'prefetch of a listing (no names), batch-size 1: first run, continues as new mid-walk',
        },
        {
          file: this.files[1]!,
          workflowId: id,
          runId: runs.at(-1)!,
          shape: `last run (${runs.length}): resumes the walk after the carried key, completes`,
        },
      ];
    },
  },
  {
    name: 'manifest',
    server: 'can',
    files: ['migration-manifest-first', 'migration-manifest-last'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      const { names } = makeDataset(src, {
        count: 40,
        name: (i) => `m${i % 3}/n ${pad2(i)}.bin`,
        size: 8,
      });
      // A manifest with sizes (one wrong: ManifestMismatch), a comment, a blank line and CRLF endings.
      const lines = names.map((n, i) => `${n}\t${i === 4 ? 9 : 8}\r`);
      const manifest = join(ctx.dir, 'manifest.tsv');
      writeFileSync(manifest, `# name, size\n\n${lines.join('\n')}\n`);
      const url = await ctx.serve(src);
      const r = await ctx.ferry(
        [
          'job',
          'start',
          'prefetch',
          url,
          join(ctx.dir, 'bucket'),
          '--list',
          manifest,
          '--exclude',
          'm2/*',
          '--batch-size',
          '1',
          '--wait',
          '-q',
        ],
        3,
      );
      const id = jobIdOf(r);
      ctx.alias(id, '$JOB');
      const runs = await runChain(ctx.client, id);
      if (runs.length < 2) throw new Error(`job ${id} ran ${runs.length} time(s); add objects`);
      return [
        {
          file: this.files[0]!,
          workflowId: id,
          runId: runs[0]!,
          shape:
            'prefetch of a staged manifest (sizes, --exclude, one size mismatch), batch-size 1: first run, continues as new mid-manifest',
        },
        {
          file: this.files[1]!,
          workflowId: id,
          runId: runs.at(-1)!,
          shape: `last run (${runs.length}): resumes at the carried byte offset, completes with the mismatch failed`,
        },
      ];
    },
  },
  {
    name: 'filter-sync',
    server: 'stock',
    files: ['migration-listing-filter-sync', 'migration-manifest-filter-sync'],
    async run(ctx) {
      const src = join(ctx.dir, 'src');
      const { names } = makeDataset(src, { count: 12, name: (i) => `d${i % 2}/y-${pad2(i)}.bin`, size: 8 });
      const url = await ctx.serve(src);
      const manifest = join(ctx.dir, 'manifest.txt');
      writeFileSync(manifest, `${names.join('\n')}\n`);
      const out: Run[] = [];
      for (const [file, args, shape] of [
        [
          this.files[0]!,
          [url],
          'prefetch of a listing with --exclude and --sync: excluded rows, syncScanned',
        ],
        [
          this.files[1]!,
          [url, '--list', manifest],
          'prefetch of a manifest with --exclude and --sync: syncScanned',
        ],
      ] as const) {
        const bucket = join(ctx.dir, `bucket-${out.length}`);
        mkdirSync(bucket, { recursive: true });
        writeFileSync(join(bucket, 'stale.bin'), 'stale');
        const r = await ctx.ferry([
          'job',
          'start',
          'prefetch',
          ...args,
          bucket,
          '--exclude',
          'd1/*',
          '--sync',
          '--batch-size',
          '4',
          '--wait',
          '-q',
        ]);
        const id = jobIdOf(r);
        ctx.alias(id, `$JOB${out.length}`);
        out.push({ file, workflowId: id, runId: await lastRun(ctx.client, id), shape });
      }
      return out;
    },
  },
];

export async function fetchRun(client: Client, workflowId: string, runId: string): Promise<History> {
  return client.workflow.getHandle(workflowId, runId).fetchHistory();
}

export async function lastRun(client: Client, workflowId: string): Promise<string> {
  return (await client.workflow.getHandle(workflowId).describe()).runId;
}

/** The job's runs linked by continue-as-new, oldest first, ending with its latest run. */
export async function runChain(client: Client, workflowId: string): Promise<string[]> {
  const chain: string[] = [];
  let runId: string | null | undefined = await lastRun(client, workflowId);
  while (runId) {
    chain.unshift(runId);
    const history: History = await fetchRun(client, workflowId, runId);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
  }
  return chain;
}
