// The `ferry` CLI, shaped like AIStore's `ais`. Every input is validated here first: a bad template, bucket or
// option prints what is wrong and where, exits 2, and nothing is started or written.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError } from 'commander';
import { BucketUriError, formatBucketUri, parseBucketUri } from '../common/bucket-uri.js';
import type { MigrationInput } from '../common/schemas.js';
import { SourceError, splitUrlTemplate } from '../common/source.js';
import { TemplateError, parseTemplate } from '../common/template.js';
import { stateDir } from '../devserver/paths.js';
import { CLIError, humanBytes, parseBytes, parseIntOption, table } from './format.js';
import { hostname } from 'node:os';
import type { StartFlags } from './jobs.js';
import { validateJob } from './validate.js';

// Heavy modules (Temporal SDK, undici, AWS SDK) load only in the commands that use them: `ferry template`
// or a bad-input error should answer in ~0.1 s, not after loading the SDK (~1 s on these machines).
const jobs = () => import('./jobs.js');
const conn = () => import('./connection.js');
const buckets = () => import('../lib/buckets/index.js');
/** Validate before loading the SDK, then start. */
async function startValidated(prefix: string, input: MigrationInput, flags: StartFlags): Promise<number> {
  validateJob(input);
  return (await jobs()).startJob(prefix, input, flags);
}
const EXIT = { ok: 0, error: 1, usage: 2, failures: 3, stopped: 4 } as const;
const DEFAULT_TASK_QUEUE = 'ferry';
function taskQueueOf(flags: { taskQueue?: string }): string {
  return flags.taskQueue ?? process.env.FERRY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
}
/** Same as worker/run.ts hostQueueName, without loading the worker. */
function hostQueueName(host = hostname()): string {
  return `ferry-host-${host}`;
}

interface JobOpts {
  maxConns?: string;
  limitBph?: string;
  batchSize?: string;
  window?: string;
  skipExisting?: boolean;
  retries?: string;
  sync?: boolean;
  wait?: boolean;
  desc?: string;
  dryRun?: boolean;
  maxNames?: string;
  fmtStart?: string;
  fmtEnd?: string;
  fmtStep?: string;
  taskQueue?: string;
  quiet?: boolean;
}

function jobOptions(cmd: Command, opts: { wait?: boolean } = {}): Command {
  if (opts.wait !== false)
    cmd.option('--wait', 'run an in-process worker and wait for the job to finish', false);
  return cmd
    .option('--max-conns <n>', 'concurrent object transfers across the job (1-1024)', '16')
    .option('--limit-bph <size>', 'bandwidth limit in bytes per hour, e.g. 100GiB (0 = none)', '0')
    .option('--batch-size <n>', 'objects per copy batch (checkpoint and retry unit)', '256')
    .option('--window <n>', 'copy batches in flight at once', '4')
    .option('--retries <n>', 'attempts per batch for transient errors before they are reported (1-100)', '20')
    .option('--skip-existing', 'skip objects whose destination copy has the same size and source ETag', false)
    .option(
      '--sync',
      'after a copy without failures, delete destination objects not in the source (see them first with --dry-run)',
      false,
    )
    .option('--desc <text>', 'job description shown in `show job` and the Temporal UI')
    .option(
      '--dry-run',
      'print the object count, first and last names and the destination; copy nothing',
      false,
    )
    .option('--max-names <n>', 'refuse templates with more names than this', '10000000')
    .option('--fmt-start <n>', 'first index for a %d template', '0')
    .option('--fmt-end <n>', 'last index (inclusive) for a %d template (required with %d)')
    .option('--fmt-step <n>', 'index step for a %d template', '1')
    .option('--task-queue <name>', 'Temporal task queue of the copy workers (env FERRY_TASK_QUEUE)')
    .option('-q, --quiet', 'no progress output', false);
}

function buildOptions(o: JobOpts): NonNullable<MigrationInput['options']> {
  return {
    maxConns: parseIntOption(o.maxConns ?? '16', '--max-conns', 1, 1024),
    limitBph: parseBytes(o.limitBph ?? '0', '--limit-bph'),
    batchSize: parseIntOption(o.batchSize ?? '256', '--batch-size', 1, 10_000),
    window: parseIntOption(o.window ?? '4', '--window', 1, 64),
    skipExisting: o.skipExisting ?? false,
    retries: parseIntOption(o.retries ?? '20', '--retries', 1, 100),
    sync: o.sync ?? false,
    maxNames: parseIntOption(o.maxNames ?? '10000000', '--max-names', 1, 1_000_000_000),
  };
}

function fmtOf(o: JobOpts): { start: number; end: number; step: number } | undefined {
  if (o.fmtEnd === undefined) return undefined;
  return {
    start: parseIntOption(o.fmtStart ?? '0', '--fmt-start', 0, Number.MAX_SAFE_INTEGER),
    end: parseIntOption(o.fmtEnd, '--fmt-end', 0, Number.MAX_SAFE_INTEGER),
    step: parseIntOption(o.fmtStep ?? '1', '--fmt-step', 1, Number.MAX_SAFE_INTEGER),
  };
}

function startFlags(o: JobOpts): StartFlags {
  return {
    ...(o.wait ? { wait: true } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.taskQueue ? { taskQueue: o.taskQueue } : {}),
    ...(o.quiet ? { quiet: true } : {}),
  };
}

/** A bucket argument: URI, or a path (made absolute here: the pure parser has no cwd). */
export function bucketArg(text: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || (/^[a-z0-9]+:/i.test(text) && !text.startsWith('/'))) {
    return formatBucketUri(parseBucketUri(text));
  }
  return formatBucketUri(parseBucketUri(resolve(text)));
}

function readList(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CLIError(
      `cannot read object list ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  const names = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (names.length === 0) throw new CLIError(`object list ${file} has no names`);
  return names;
}

const program = new Command('ferry')
  .description('Durable, resumable copies of file datasets into object-store buckets (Temporal workflows)')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('step 1: serve a directory over HTTP (GET/HEAD, Range, listings), loopback by default')
  .argument('<dir>', 'directory to serve')
  .option('--bind <addr>', 'address to bind', '127.0.0.1')
  .option('--port <n>', 'port (0 = any free port)', '51061')
  .option(
    '--token <token>',
    'require `Authorization: Bearer <token>` (env FERRY_SERVE_TOKEN); mandatory off loopback',
  )
  .option('--dotfiles <policy>', 'deny | allow', 'deny')
  .action(async (dir: string, o: { bind: string; port: string; token?: string; dotfiles: string }) => {
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory())
      throw new CLIError(`serve: ${root} is not a directory`);
    if (o.dotfiles !== 'deny' && o.dotfiles !== 'allow')
      throw new CLIError(`invalid --dotfiles "${o.dotfiles}": deny or allow`);
    const token = o.token ?? process.env.FERRY_SERVE_TOKEN;
    const { startFileServer } = await import('../lib/file-server/index.js');
    const server = await startFileServer({
      root,
      bind: o.bind,
      port: parseIntOption(o.port, '--port', 0, 65535),
      dotfiles: o.dotfiles,
      ...(token ? { token } : {}),
    });
    console.log(`serving ${root} at ${server.url} (Ctrl-C to stop)`);
    await new Promise<void>((res) => {
      const stop = () => void server.close().then(res);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });

const object = program.command('object').description('object operations');
object
  .command('get')
  .description('read an object: an http(s) URL or BUCKET/OBJECT; to OUT, or stdout')
  .argument('<src>', 'http(s)://host/path, s3://bucket/obj, ais://bucket/obj, or a local bucket path')
  .argument('[out]', 'output file (default: stdout)')
  .action(async (src: string, out?: string) => {
    const sink = out ? createWriteStream(out) : process.stdout;
    if (/^https?:\/\//i.test(src)) {
      const { request } = await import('undici');
      const res = await request(src);
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new CLIError(`GET ${src}: ${res.statusCode}`, EXIT.error);
      }
      await pipeline(res.body, sink);
    } else {
      const m = /^(s3|ais):\/\/([^/]+)\/(.+)$/.exec(src);
      if (m) {
        const { body } = await (await (await buckets()).openBucket(`${m[1]}://${m[2]}`)).get(m[3]!);
        await pipeline(body, sink);
      } else {
        const path = resolve(src.replace(/^file:\/\//, ''));
        const { createReadStream } = await import('node:fs');
        await pipeline(createReadStream(path), sink);
      }
    }
    if (out) console.error(`wrote ${out}`);
  });

const job = program.command('job').description('start, stop, pause, unpause, resume jobs');
const start = job.command('start').description('start a job');
jobOptions(
  start
    .command('download')
    .description(
      'download templated URLs into a bucket, e.g. "http://host:51061/abc/shard-{001..999}.tar" ais://abc',
    )
    .argument('<url-template>', 'URL with an AIStore template in its object part')
    .argument('<bucket>', 'destination: path, file:///abs, s3://bucket, ais://bucket')
    .option(
      '--object-list <file>',
      'names to download (one per line) relative to <url-template> used as the base URL',
    ),
).action(async (urlTemplate: string, bucket: string, o: JobOpts & { objectList?: string }) => {
  let input: MigrationInput;
  if (o.objectList) {
    const base = urlTemplate.endsWith('/') ? urlTemplate : `${urlTemplate}/`;
    splitUrlTemplate(`${base}x`);
    input = {
      source: { kind: 'list', baseUrl: base, names: readList(o.objectList) },
      destination: bucketArg(bucket),
      options: buildOptions(o),
    };
  } else {
    const { baseUrl, template } = splitUrlTemplate(urlTemplate);
    const fmt = fmtOf(o);
    input = {
      source: { kind: 'template', baseUrl, template, ...(fmt ? { fmt } : {}) },
      destination: bucketArg(bucket),
      options: buildOptions(o),
    };
  }
  if (o.desc) input.description = o.desc;
  process.exitCode = await startValidated('dnl', input, startFlags(o));
});
jobOptions(
  start
    .command('prefetch')
    .description('copy names of a template or list from an HTTP origin into a bucket')
    .argument('<origin>', 'origin base URL, e.g. http://host:51061/abc/')
    .argument('<bucket>', 'destination bucket')
    .option('--template <t>', 'object-name template, e.g. shard-{001..999}.tar')
    .option('--list <file>', 'object names, one per line'),
).action(async (origin: string, bucket: string, o: JobOpts & { template?: string; list?: string }) => {
  if (!o.template === !o.list) throw new CLIError('prefetch: give exactly one of --template or --list');
  const base = origin.endsWith('/') ? origin : `${origin}/`;
  const { baseUrl } = splitUrlTemplate(`${base}x`);
  const fmt = fmtOf(o);
  const input: MigrationInput = {
    source: o.template
      ? { kind: 'template', baseUrl, template: o.template, ...(fmt ? { fmt } : {}) }
      : { kind: 'list', baseUrl, names: readList(o.list!) },
    destination: bucketArg(bucket),
    options: buildOptions(o),
    ...(o.desc ? { description: o.desc } : {}),
  };
  process.exitCode = await startValidated('pre', input, startFlags(o));
});
for (const what of ['stop', 'pause', 'unpause'] as const) {
  job
    .command(what)
    .description(
      `${what} a running job${what === 'stop' ? ' gracefully (in-flight objects finish or are abandoned atomically)' : ''}`,
    )
    .argument('<id>', 'job ID')
    .action(async (id: string) => {
      process.exitCode = await (await jobs()).signalJob(id, what);
    });
}
job
  .command('resume')
  .description(
    'resume a paused, stopped, failed or finished-with-failures job: copies only what is missing or failed',
  )
  .argument('<id>', 'job ID')
  .option('--wait', 'run an in-process worker and wait', false)
  .option('--task-queue <name>', 'task queue of the copy workers')
  .option('-q, --quiet', 'no progress output', false)
  .action(async (id: string, o: { wait?: boolean; taskQueue?: string; quiet?: boolean }) => {
    process.exitCode = await (await jobs()).resumeJob(id, startFlags(o));
  });
job
  .command('set')
  .description('change a running job: --max-conns, --limit-bph')
  .argument('<id>', 'job ID')
  .option('--max-conns <n>', 'concurrent transfers (1-1024)')
  .option('--limit-bph <size>', 'bytes per hour (0 = none)')
  .action(async (id: string, o: { maxConns?: string; limitBph?: string }) => {
    const change = {
      ...(o.maxConns ? { maxConns: parseIntOption(o.maxConns, '--max-conns', 1, 1024) } : {}),
      ...(o.limitBph ? { limitBph: parseBytes(o.limitBph, '--limit-bph') } : {}),
    };
    if (!Object.keys(change).length)
      throw new CLIError('job set: nothing to change (give --max-conns or --limit-bph)');
    process.exitCode = await (await jobs()).setJobOptions(id, change);
  });

program
  .command('show')
  .description('show jobs')
  .command('job')
  .description('job table (running; --all for every job), or one job with [id]')
  .argument('[id]', 'job ID')
  .option('--progress', 'live progress bars with rate and ETA until the job ends', false)
  .option('--all', 'include finished jobs', false)
  .option('--json', 'machine-readable output', false)
  .action(async (id: string | undefined, o: { progress?: boolean; all?: boolean; json?: boolean }) => {
    process.exitCode = id ? await (await jobs()).showJob(id, o) : await (await jobs()).showJobs(o);
  });

jobOptions(
  program
    .command('migrate')
    .description(
      "both steps in one durable workflow: serve DIR on this host and copy the template's names into BUCKET",
    )
    .argument('<dir>', 'source directory (on this host)')
    .argument('<bucket>', 'destination bucket')
    .requiredOption('--template <t>', 'object names relative to <dir>, e.g. shard-{001..999}.tar')
    .option('--no-wait', 'start and return (a worker with --serve-root covering <dir> must run on this host)')
    .option(
      '--host <name>',
      'the data host, when <dir> is on another machine running `ferry worker --serve-root` (implies --no-wait)',
    ),
  { wait: false },
).action(async (dir: string, bucket: string, o: JobOpts & { template: string; host?: string }) => {
  const root = resolve(dir);
  if (!o.host && (!existsSync(root) || !statSync(root).isDirectory()))
    throw new CLIError(`migrate: ${root} is not a directory`);
  const fmt = fmtOf(o);
  const wait = o.wait !== false && !o.host;
  const jobId = `mig-${randomBytes(5).toString('hex')}`;
  // With --wait this process serves the directory itself, on a queue of its own: another worker of this
  // host (with a different --serve-root) must not pick up step 1. Without it, the host's shared queue,
  // served by `ferry worker --serve-root` there.
  const hostQueue = wait ? `${hostQueueName()}-${jobId}` : hostQueueName(o.host);
  const input: MigrationInput = {
    source: { kind: 'directory', root, hostQueue, template: o.template, ...(fmt ? { fmt } : {}) },
    destination: bucketArg(bucket),
    options: buildOptions(o),
    ...(o.desc ? { description: o.desc } : {}),
  };
  process.exitCode = await startValidated('mig', input, {
    ...startFlags(o),
    wait,
    jobId,
    ...(wait ? { serveRoot: root, hostQueue } : {}),
  });
});

program
  .command('ls')
  .description('list objects of a bucket (NAME SIZE)')
  .argument('<bucket>', 'path, file:///abs, s3://bucket, ais://bucket')
  .option('--prefix <p>', 'only names starting with this')
  .option('--limit <n>', 'at most this many objects')
  .option('--json', 'JSON lines', false)
  .action(async (bucketText: string, o: { prefix?: string; limit?: string; json?: boolean }) => {
    const b = await (await buckets()).openBucket(bucketArg(bucketText));
    if (!(await b.exists())) throw new CLIError(`bucket ${b.uri} does not exist`, EXIT.error);
    const limit = o.limit ? parseIntOption(o.limit, '--limit', 1, Number.MAX_SAFE_INTEGER) : Infinity;
    const rows: string[][] = [];
    let token: string | undefined;
    let n = 0;
    do {
      const page = await b.list({
        ...(o.prefix ? { prefix: o.prefix } : {}),
        ...(token ? { token } : {}),
        limit: 1000,
      });
      for (const it of page.items) {
        if (n++ >= limit) break;
        if (o.json) console.log(JSON.stringify({ name: it.name, size: it.size }));
        else rows.push([it.name, humanBytes(it.size)]);
      }
      token = page.next;
    } while (token && n < limit);
    if (!o.json) console.log(rows.length ? table(['NAME', 'SIZE'], rows) : 'no objects');
  });

program
  .command('template')
  .description('expand an AIStore template: bash ranges {0010..0111..2}, pfx@00100, %06d, {a,b,c}')
  .argument('<template>', 'the template')
  .option('--count', 'print only the number of names', false)
  .option('--from <i>', 'first index', '0')
  .option('--limit <n>', 'print at most n names', '100')
  .option('--max-names <n>', 'refuse more names than this', '10000000')
  .option('--fmt-start <n>', 'first index for %d', '0')
  .option('--fmt-end <n>', 'last index for %d')
  .option('--fmt-step <n>', 'step for %d', '1')
  .action((text: string, o: JobOpts & { count?: boolean; from: string; limit: string }) => {
    const fmt = fmtOf(o);
    const t = parseTemplate(text, {
      maxNames: parseIntOption(o.maxNames ?? '10000000', '--max-names', 1, 1_000_000_000),
      ...(fmt ? { fmt } : {}),
    });
    if (o.count) {
      console.log(t.count);
      return;
    }
    const from = parseIntOption(o.from, '--from', 0, Number.MAX_SAFE_INTEGER);
    if (from >= t.count && t.count > 0)
      throw new CLIError(`--from ${from} is past the last index ${t.count - 1}`);
    for (const name of t.names(from, parseIntOption(o.limit, '--limit', 0, Number.MAX_SAFE_INTEGER)))
      console.log(name);
  });

program
  .command('worker')
  .description("run a worker: the copy queue, plus this host's queue when --serve-root is given")
  .option('--serve-root <dir>', 'directories under this one may be served to migrations (step 1)')
  .option('--task-queue <name>', 'copy task queue (env FERRY_TASK_QUEUE)')
  .option('--host-queue <name>', `this host's queue (default ${hostQueueName()})`)
  .option('--advertise-host <host>', 'host name other workers use to reach the file server')
  .option('--bind <addr>', 'file server bind address (non-loopback requires a token)')
  .option('--max-activities <n>', 'concurrent activities on the copy queue', '16')
  .action(
    async (o: {
      serveRoot?: string;
      taskQueue?: string;
      hostQueue?: string;
      advertiseHost?: string;
      bind?: string;
      maxActivities: string;
    }) => {
      const { resolveTemporal } = await conn();
      const { startWorkers } = await import('../worker/run.js');
      const r = await resolveTemporal({ log: (m) => console.error(m) });
      const serveRoot = o.serveRoot ? resolve(o.serveRoot) : undefined;
      if (serveRoot && !(existsSync(serveRoot) && statSync(serveRoot).isDirectory()))
        throw new CLIError(`--serve-root ${serveRoot} is not a directory`);
      const w = await startWorkers({
        address: r.address,
        namespace: r.namespace,
        connectionOptions: r.connectionOptions as Record<string, unknown>,
        taskQueue: taskQueueOf(o),
        maxConcurrentActivities: parseIntOption(o.maxActivities, '--max-activities', 1, 1024),
        ...(serveRoot ? { serveRoot } : {}),
        ...(o.hostQueue ? { hostQueue: o.hostQueue } : {}),
        ...(o.advertiseHost ? { advertiseHost: o.advertiseHost } : {}),
        ...(o.bind ? { bind: o.bind } : {}),
        log: (m) => console.error(`ferry worker: ${m}`),
      });
      console.error(
        `ferry worker: ${r.address} namespace ${r.namespace}, queue ${taskQueueOf(o)}` +
          (serveRoot ? `, host queue ${o.hostQueue ?? hostQueueName()} serving under ${serveRoot}` : ''),
      );
      const stop = () => void w.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await w.done;
    },
  );

const server = program
  .command('server')
  .description('the embedded Temporal dev server (when TEMPORAL_ADDRESS is unset)');
server
  .command('start')
  .description('start it (as a background daemon) if it is not running')
  .action(async () => {
    const { readEmbeddedState, pidAlive, startEmbeddedServer } = await conn();
    const st = readEmbeddedState();
    if (st && pidAlive(st.pid)) {
      console.log(`running: ${st.address}, Web UI ${st.uiUrl ?? '-'} (pid ${st.pid})`);
      return;
    }
    await startEmbeddedServer((m) => console.error(m));
  });
server
  .command('status')
  .description('print address, Web UI and state directory')
  .action(async () => {
    const { readEmbeddedState, pidAlive } = await conn();
    const st = readEmbeddedState();
    if (st && pidAlive(st.pid))
      console.log(`running: ${st.address}, Web UI ${st.uiUrl ?? '-'} (pid ${st.pid}, db ${st.dbFile})`);
    else console.log(`not running (state directory ${stateDir()})`);
  });
server
  .command('stop')
  .description('stop the embedded server and background worker')
  .action(async () => {
    const { readEmbeddedState, pidAlive, workerPidPath, embeddedStatePath } = await conn();
    for (const pidFile of [workerPidPath()]) {
      try {
        const pid = Number(readFileSync(pidFile, 'utf8').trim().split(/\s+/)[0]);
        if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGTERM');
      } catch {
        // no worker
      }
    }
    const st = readEmbeddedState();
    if (!st || !pidAlive(st.pid)) {
      console.log('not running');
      return;
    }
    process.kill(-st.pid, 'SIGTERM');
    for (let i = 0; i < 100 && pidAlive(st.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (pidAlive(st.pid)) process.kill(-st.pid, 'SIGKILL');
    console.log(`stopped (state kept in ${embeddedStatePath()})`);
  });

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
  if (err instanceof CLIError) {
    console.error(`ferry: ${err.message}`);
    return err.code;
  }
  if (err instanceof TemplateError || err instanceof BucketUriError || err instanceof SourceError) {
    console.error(`ferry: ${err.message}`);
    return EXIT.usage;
  }
  console.error(err);
  return EXIT.error;
}

await main(process.argv);
