// Remote manifests read once. `job start` reads an http(s)://, s3://, ais:// or file:// manifest whole to check it
// (manifest-plan.ts); its bytes are spooled to a temp file as they pass, and once every line is good the spool is
// staged into the destination as the job's file `manifest` (`.ferry/jobs/<job>/manifest`), where a local manifest
// goes too. The job's input then names that copy (`{ at: 'job', from: URI }`), so the workers read the copy —
// the remote manifest is fetched once, not again by every scan and batch — and the job keeps the manifest it
// was started with even if the remote one is replaced meanwhile (a resume or retry sees the same lines, so batch
// positions stay valid). Schedules keep the URI: each of their runs reads the manifest as it is then.
//
// Spooled through a local temp file rather than written into the destination while it is checked: a bad line
// must leave nothing written there (the bucket not even created).
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ManifestRef, MigrationInput, MigrationInputParsed } from '../common/schemas.js';
import type { ManifestArg } from './manifest-plan.js';

export interface Spool {
  path: string;
  remove(): Promise<void>;
}

/** A temp file for a remote manifest's bytes (set as `m.spool`); undefined for a local file or none. */
export async function spoolRemote(m: ManifestArg | undefined): Promise<Spool | undefined> {
  if (!m || m.local || !('uri' in m.ref)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'ferry-manifest-'));
  m.spool = join(dir, 'manifest');
  return { path: m.spool, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `body`, whose bytes are also written to `path` (complete once the returned stream has ended). */
export function teeTo(body: Readable, path: string): Readable {
  const out = createWriteStream(path);
  return Readable.from(
    (async function* () {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          if (!out.write(chunk)) await once(out, 'drain');
          yield chunk;
        }
      } finally {
        out.end();
        await finished(out);
      }
    })(),
  );
}

/** The input of a job whose remote manifest was staged: it names the staged copy and where it came from. */
export function stagedInput<T extends MigrationInput | MigrationInputParsed>(input: T): T {
  const src = input.source;
  if (src.kind !== 'manifest' || !('uri' in src.manifest)) return input;
  const manifest: ManifestRef = { at: 'job', from: src.manifest.uri };
  return { ...input, source: { ...src, manifest } };
}
