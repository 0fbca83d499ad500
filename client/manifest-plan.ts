// A manifest before its job starts (`--object-list` / `--list`): where it is, every line checked (a bad line is
// one error naming its line number, before anything is written), what it holds (objects, bytes, first and last
// names, for --dry-run and the job's summary), and — for a local file — staging it into the destination as the
// job's file `manifest` (lib/job-files.ts), where workers on any host read it.
//
// Duplicates are found without holding the names: a 64-bit hash per object (8 bytes each, 80 MB for 10 million)
// is sorted, and only on a repeated hash is the manifest read again to compare the names themselves.
import { createHash } from 'node:crypto';
import { createReadStream, statSync, type ReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BucketUriError, parseBucketUri } from '../common/bucket-uri.js';
import { parseManifestLine } from '../common/manifest.js';
import type { KeyFilterSpec } from '../lib/listing/filter.js';
import type { ManifestRef } from '../common/schemas.js';
import { CLIError, EXIT } from './errors.js';
import { showName } from './validate.js';

/** A manifest argument: a local file (staged), or a URI every worker reads itself. */
export interface ManifestArg {
  ref: ManifestRef;
  /** Absolute path of a local file the CLI stages. */
  local?: string;
  /** As typed, for messages. */
  text: string;
  /** A remote manifest's bytes are kept here as the check reads them (client/manifest-stage.ts). */
  spool?: string;
}

export interface ManifestPlan {
  objects: number;
  /** Names the filter left out. */
  excluded: number;
  /** Sum of the size column; undefined when some line states none. */
  bytes: number | undefined;
  first: string | undefined;
  last: string | undefined;
}

/** Parse `--object-list` / `--list`: checks a local file is readable now, a URI is well formed. */
export function manifestArg(text: string): ManifestArg {
  if (/^https?:\/\//i.test(text)) {
    if (/^https?:\/\/[^/?#]*@/i.test(text))
      throw new CLIError(
        `manifest URL ${text.replace(/\/\/[^/@]*@/, '//***@')}: credentials in a URL are not accepted (they would be stored in workflow history)`,
      );
    return { ref: { uri: text }, text };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      const u = parseBucketUri(text);
      if (u.provider !== 'file' && (u.prefix === '' || u.prefix.endsWith('/')))
        throw new CLIError(`manifest ${text} names a bucket or folder, not an object`);
    } catch (err) {
      if (err instanceof BucketUriError) throw new CLIError(`manifest ${text}: ${err.detail}`);
      throw err;
    }
    return { ref: { uri: text }, text };
  }
  const path = resolve(text);
  try {
    if (!statSync(path).isFile()) throw Object.assign(new Error(), { code: 'EISDIR' });
  } catch (err) {
    throw new CLIError(
      `cannot read object list ${text}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      EXIT.usage,
    );
  }
  return { ref: { at: 'job' }, local: path, text };
}

/** Read the whole manifest once, checking every line; throws CLIError at the first bad one. */
export async function planManifest(m: ManifestArg, filter: KeyFilterSpec | undefined): Promise<ManifestPlan> {
  const { keyFilter } = await import('../lib/listing/filter.js');
  const accept = filter ? keyFilter(filter) : undefined;
  const plan: ManifestPlan = { objects: 0, excluded: 0, bytes: 0, first: undefined, last: undefined };
  let hashes = new BigUint64Array(1 << 16);
  let lines = 0;
  let entries = 0;
  for await (const text of readLines(m, m.spool)) {
    lines++;
    const l = parseManifestLine(text);
    if (l.kind === 'skip') continue;
    if (l.kind === 'bad') throw new CLIError(`object list ${m.text} line ${lines}: ${l.problem}`);
    if (entries === hashes.length) {
      const more = new BigUint64Array(hashes.length * 2);
      more.set(hashes);
      hashes = more;
    }
    hashes[entries++] = hash64(l.name);
    if (accept && !accept(l.name)) {
      plan.excluded++;
      continue;
    }
    plan.objects++;
    plan.first ??= l.name;
    plan.last = l.name;
    plan.bytes =
      plan.bytes === undefined || l.expect?.size === undefined ? undefined : plan.bytes + l.expect.size;
  }
  if (entries === 0) throw new CLIError(`object list ${m.text} has no names`);
  const sorted = hashes.subarray(0, entries).sort();
  const repeated = new Set<bigint>();
  for (let i = 1; i < entries; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i]!);
  if (repeated.size > 0) await findDuplicate(m, repeated);
  return plan;
}

/** Copy a local manifest into the destination as the job's `manifest` file (atomic). */
export async function stageManifest(local: string, destination: string, jobId: string): Promise<string> {
  const [{ openBucket }, { jobFiles }, { STAGED_MANIFEST }] = await Promise.all([
    import('../lib/buckets/index.js'),
    import('../lib/job-files.js'),
    import('../lib/manifest/read.js'),
  ]);
  const bucket = await openBucket(destination);
  await bucket.ensure();
  const files = jobFiles(bucket, jobId);
  await files.put(STAGED_MANIFEST, createReadStream(local, { highWaterMark: 1 << 20 }));
  return `${files.where}${STAGED_MANIFEST}`;
}

// --- internal ---

async function* readLines(m: ManifestArg, spool?: string): AsyncGenerator<string> {
  const { manifestLines, openManifest } = await import('../lib/manifest/read.js');
  let body: Readable | ReadStream;
  try {
    if (m.local) body = createReadStream(m.local, { highWaterMark: 1 << 20 });
    else {
      const { openBucket } = await import('../lib/buckets/index.js');
      body = await openManifest(m.ref, { destination: '', jobId: '', openBucket }, { start: 0 });
      if (spool) body = (await import('./manifest-stage.js')).teeTo(body, spool);
    }
    for await (const l of manifestLines(body, 0)) yield l.text;
  } catch (err) {
    if (err instanceof CLIError) throw err;
    const { classifyError } = await import('../lib/classify-error.js');
    const c = classifyError(err);
    throw new CLIError(
      `cannot read object list ${m.text}: ${c.message}`,
      c.retryable ? EXIT.error : EXIT.usage,
    );
  }
}

/** The names the job would copy, read again (the manifest is never held whole). */
async function* namesOf(m: ManifestArg, filter: KeyFilterSpec | undefined): AsyncGenerator<string> {
  const { keyFilter } = await import('../lib/listing/filter.js');
  const accept = filter ? keyFilter(filter) : undefined;
  for await (const text of readLines(m)) {
    const l = parseManifestLine(text);
    if (l.kind === 'entry' && (!accept || accept(l.name))) yield l.name;
  }
}

function hash64(name: string): bigint {
  return createHash('md5').update(name).digest().readBigUInt64BE(0);
}

async function findDuplicate(m: ManifestArg, repeated: Set<bigint>): Promise<void> {
  const seen = new Set<string>();
  let lines = 0;
  for await (const text of readLines(m)) {
    lines++;
    const l = parseManifestLine(text);
    if (l.kind !== 'entry' || !repeated.has(hash64(l.name))) continue;
    if (seen.has(l.name))
      throw new CLIError(`object list ${m.text} line ${lines}: duplicate name ${showName(l.name)}`);
    seen.add(l.name);
  }
}

/** --dry-run of a manifest job: what it would copy, nothing staged or copied. */
export async function dryRunManifest(
  plan: ManifestPlan,
  destination: string,
  sourceText: string,
  batchSize: number,
  source?: { m: ManifestArg; baseUrl: string; filter: KeyFilterSpec | undefined },
  extras: { skipExisting: boolean; sync: boolean } = { skipExisting: !!source, sync: false },
): Promise<number> {
  const [{ table }, dry] = await Promise.all([import('./format.js'), import('./dry-run-plan.js')]);
  let skip: [string, string][] = [];
  if (source && extras.skipExisting) {
    const { countSkippable } = await import('./dry-run-skip.js');
    skip = [dry.skipRow(await countSkippable(namesOf(source.m, source.filter), source.baseUrl, destination))];
  }
  let sync: ReturnType<typeof dry.syncRows> | undefined;
  if (source && extras.sync) {
    // Every entry, filtered or not, into a set of hashes, as the job's sync step reads them (lib/source-set.ts).
    const { NameHashSet } = await import('../lib/source-set.js');
    const names = new NameHashSet();
    for await (const n of namesOf(source.m, undefined)) names.add(n);
    sync = dry.syncRows(await dry.previewSyncOf(destination, (n) => names.has(n), source.filter));
  }
  console.log(
    table(
      ['PROPERTY', 'VALUE'],
      [
        ['source', sourceText],
        ['destination', destination],
        ['objects', String(plan.objects)],
        ['excluded', String(plan.excluded)],
        [
          'bytes',
          plan.bytes === undefined ? 'unknown (the manifest does not state every size)' : String(plan.bytes),
        ],
        ['first', plan.first ?? '-'],
        ['last', plan.last ?? '-'],
        ['batches', String(Math.ceil(plan.objects / batchSize))],
        ...skip,
        ...(sync ? sync.rows : []),
      ],
    ),
  );
  if (sync?.after) console.log(sync.after);
  console.log(
    plan.objects === 0
      ? 'dry run: no object passes the filters; nothing to copy'
      : 'dry run: nothing copied, nothing deleted',
  );
  return EXIT.ok;
}
