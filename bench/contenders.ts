// The contenders: how each tool is invoked on a workload. Same object-level concurrency for all (16 for small
// objects, 4 for large ones); every tool reads the same origin and writes a destination emptied before the run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../devserver/paths.js';
import type { Dataset } from './dataset.js';
import type { Command } from './measure.js';

export const CONTENDERS = ['bare', 'curl', 'aria2c', 'rclone', 'ferry', 'ferry-ref'] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/** Peers: what a user would otherwise run. */
export const PEERS: readonly ContenderName[] = ['curl', 'aria2c', 'rclone'];

export interface S3Target {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
}

export interface RunCtx {
  ds: Dataset;
  /** The dataset's directory on the origin, with a trailing slash. */
  baseUrl: string;
  /** One URL per line (bare, aria2c). */
  urlList: string;
  /** curl --config file: one `url = "..."` per line. */
  curlConfig: string;
  dest: { kind: 'file'; dir: string } | { kind: 's3'; s3: S3Target };
  concurrency: number;
  /** Scratch directory of this invocation (configs, logs). */
  work: string;
  /** Unique per run: task queue names. */
  tag: string;
  temporalAddress?: string;
  /** Extra `ferry job start download` options (experiments). */
  ferryArgs: string[];
  /** When set, the ferry process writes a V8 CPU profile here. */
  profileDir?: string;
  /** `ferry-ref`: another build's bin/ferry.js, run like `ferry` (A/B of a change in one invocation). */
  refBin?: string;
}

export interface Contender {
  name: ContenderName;
  /** Whether it can write this kind of destination. */
  supports(kind: 'file' | 's3'): boolean;
  /** The flags that matter, for the results file. */
  flags(ctx: RunCtx): string;
  command(ctx: RunCtx): Command;
}

const node = process.execPath;
const ferryBin = join(repoRoot, 'bin', 'ferry.js');
const bareJs = fileURLToPath(new URL('./bare.js', import.meta.url));

function s3Env(s3: S3Target): NodeJS.ProcessEnv {
  return {
    AWS_ACCESS_KEY_ID: s3.accessKey,
    AWS_SECRET_ACCESS_KEY: s3.secretKey,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL: s3.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    // Not an SDK variable; ferry's S3 driver may honour it (MinIO on an IP needs path-style addressing).
    AWS_S3_FORCE_PATH_STYLE: 'true',
  };
}

const bare: Contender = {
  name: 'bare',
  supports: () => true,
  flags: (c) =>
    `undici Agent(connections ${c.concurrency}) GET → ${c.dest.kind === 'file' ? 'createWriteStream' : 'S3 PutObject'}, ${c.concurrency} lanes`,
  command: (c) => ({
    cmd: node,
    args: [
      bareJs,
      '--list',
      c.urlList,
      ...(c.dest.kind === 'file' ? ['--dest', c.dest.dir] : ['--s3', c.dest.s3.bucket]),
      '--concurrency',
      String(c.concurrency),
    ],
    ...(c.dest.kind === 's3' ? { env: s3Env(c.dest.s3) } : {}),
  }),
};

const curlFlags = (c: RunCtx) => [
  '--parallel',
  '--parallel-max',
  String(c.concurrency),
  '--remote-name-all',
  '--fail',
  '--silent',
  '--show-error',
];
const curl: Contender = {
  name: 'curl',
  supports: (k) => k === 'file',
  flags: (c) => `${curlFlags(c).join(' ')} --output-dir DEST --config URLS`,
  command: (c) => ({
    cmd: 'curl',
    args: [...curlFlags(c), '--output-dir', (c.dest as { dir: string }).dir, '--config', c.curlConfig],
  }),
};

const aria2Flags = (c: RunCtx) => [
  '-j',
  String(c.concurrency),
  '--file-allocation=none',
  '--console-log-level=warn',
  '--summary-interval=0',
  '--download-result=hide',
];
const aria2c: Contender = {
  name: 'aria2c',
  supports: (k) => k === 'file',
  flags: (c) => `-i URLS -d DEST ${aria2Flags(c).join(' ')}`,
  command: (c) => ({
    cmd: 'aria2c',
    args: ['-i', c.urlList, '-d', (c.dest as { dir: string }).dir, ...aria2Flags(c)],
  }),
};

const rcloneFlags = (c: RunCtx) => [
  '--transfers',
  String(c.concurrency),
  '--checkers',
  String(c.concurrency),
];
const rclone: Contender = {
  name: 'rclone',
  supports: () => true,
  flags: (c) =>
    `copy :http: ${c.dest.kind === 'file' ? 'DEST' : ':s3:BUCKET --s3-provider Minio'} --http-url URL ${rcloneFlags(c).join(' ')} ` +
    `(defaults otherwise: HEAD per file, --multi-thread-streams 4 above 250M)`,
  command: (c) => {
    const cfg = join(c.work, 'rclone.conf');
    writeFileSync(cfg, '');
    const dst =
      c.dest.kind === 'file'
        ? [c.dest.dir]
        : [
            `:s3:${c.dest.s3.bucket}`,
            '--s3-provider',
            'Minio',
            '--s3-endpoint',
            c.dest.s3.endpoint,
            '--s3-access-key-id',
            c.dest.s3.accessKey,
            '--s3-secret-access-key',
            c.dest.s3.secretKey,
            '--s3-region',
            c.dest.s3.region,
          ];
    return {
      cmd: 'rclone',
      args: ['copy', ':http:', ...dst, '--http-url', c.baseUrl, ...rcloneFlags(c), '-q'],
      // AWS_CA_BUNDLE (set on these machines for HTTPS) makes rclone's S3 backend fail on a plain-HTTP
      // endpoint ("HTTPClient's transport unsupported type"); undefined removes it from the child's env.
      env: { RCLONE_CONFIG: cfg, AWS_CA_BUNDLE: undefined },
    };
  },
};

const ferryWith = (name: 'ferry' | 'ferry-ref', bin: (c: RunCtx) => string): Contender => ({
  name,
  supports: () => true,
  flags: (c) =>
    `job start download URL/${c.ds.template} DEST --wait -q --max-conns ${c.concurrency}` +
    (c.ferryArgs.length ? ` ${c.ferryArgs.join(' ')}` : ''),
  command: (c) => ({
    cmd: node,
    args: [
      ...(c.profileDir ? ['--cpu-prof', '--cpu-prof-dir', c.profileDir] : []),
      bin(c),
      'job',
      'start',
      'download',
      c.baseUrl + c.ds.template,
      c.dest.kind === 'file' ? c.dest.dir : `s3://${c.dest.s3.bucket}`,
      '--wait',
      '-q',
      '--max-conns',
      String(c.concurrency),
      '--task-queue',
      `bench-${c.tag}`,
      ...c.ferryArgs,
    ],
    env: {
      TEMPORAL_ADDRESS: c.temporalAddress ?? '',
      TEMPORAL_NAMESPACE: 'default',
      FERRY_STATE_DIR: join(c.work, 'ferry-state'),
      ...(c.dest.kind === 's3' ? s3Env(c.dest.s3) : {}),
    },
  }),
});

export const ALL: Record<ContenderName, Contender> = {
  bare,
  curl,
  aria2c,
  rclone,
  ferry: ferryWith('ferry', () => ferryBin),
  'ferry-ref': ferryWith('ferry-ref', (c) => {
    if (!c.refBin) throw new Error('ferry-ref needs --ref-bin');
    return c.refBin;
  }),
};

/** The URL list files every contender reads. */
export function writeUrlLists(
  ds: Dataset,
  baseUrl: string,
  work: string,
): { urlList: string; curlConfig: string } {
  const urls = Array.from({ length: ds.count }, (_, i) => baseUrl + ds.fileName(i));
  const urlList = join(work, `${ds.name}.urls`);
  const curlConfig = join(work, `${ds.name}.curl`);
  writeFileSync(urlList, urls.join('\n') + '\n');
  writeFileSync(curlConfig, urls.map((u) => `url = "${u}"`).join('\n') + '\n');
  return { urlList, curlConfig };
}
