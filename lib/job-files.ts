// A job's own files — a staged manifest, per-object report parts — kept in its destination under
// `.ferry/jobs/<job>/`, beside the objects. Every worker on every host reaches the destination anyway, so a file
// the CLI staged there reaches them all, and names travel through the bucket instead of workflow history.
// Drivers hide `.ferry/` from list(), so --sync, `ls` and verification never take these files for objects.
//
// Local buckets keep them as plain files under `<root>/.ferry/jobs/`, written atomically (temp + rename); S3 and
// AIStore keep them as objects through the driver's own atomic put.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, ByteRange } from './buckets/index.js';
import { LocalBucket } from './buckets/local.js';
import { putStream } from './buckets/put-stream.js';
import { STATE_PREFIX } from './buckets/wire.js';

export interface JobFile {
  /** Path relative to the job's folder, '/'-separated. */
  rel: string;
  size: number;
}

export interface JobFiles {
  /** Where the files live, for messages: e.g. `s3://b/.ferry/jobs/<job>/`. */
  readonly where: string;
  /** Write (or replace) one file atomically: a reader sees the old whole file or the new whole file. */
  put(rel: string, body: Buffer | Readable): Promise<void>;
  /** Bytes [start, end) of a file, or all of it; null when it does not exist. */
  read(rel: string, range?: ByteRange): Promise<Readable | null>;
  /** Size of a file, or null when it does not exist. */
  size(rel: string): Promise<number | null>;
  /**
   * Files under `relPrefix` (a folder ends with '/'), in lexicographic order of `rel`; with `startAfter`, only
   * those whose `rel` sorts after it (a listing that resumes where the last one stopped, S3's StartAfter).
   */
  list(relPrefix?: string, startAfter?: string): AsyncIterable<JobFile>;
  /** Remove one file; a file already gone is no error. */
  remove(rel: string): Promise<void>;
  /** Remove every file of the job. */
  removeAll(): Promise<void>;
  /**
   * Remove the temp files of writes that never finished (a local put writes `<file>.<uuid>.tmp` and renames it;
   * a worker killed in between leaves it). Called at the job's end, when no attempt of the job writes any more;
   * object stores write in one request and have none. Returns how many it removed.
   */
  removeTemp(): Promise<number>;
}

/** The job's folder name: plain ids as they are; anything else (slashes, '..') hashed, as temp folders are. */
export function jobFolder(jobId: string): string {
  const plain = /^[\w.-]{1,128}$/.test(jobId) && !/^\.+$/.test(jobId);
  return plain ? jobId : `id-${createHash('sha256').update(jobId).digest('hex')}`;
}

export function jobFiles(bucket: Bucket, jobId: string): JobFiles {
  return bucket instanceof LocalBucket ? localFiles(bucket, jobId) : objectFiles(bucket, jobId);
}

// --- internal ---

function checkRel(rel: string): void {
  if (!rel || rel.startsWith('/') || rel.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw new Error(`job file path "${rel}" is not a plain relative path`);
}

function localFiles(bucket: LocalBucket, jobId: string): JobFiles {
  const root = join(bucket.root, STATE_PREFIX, 'jobs', jobFolder(jobId));
  const path = (rel: string) => {
    checkRel(rel);
    return join(root, ...rel.split('/'));
  };
  return {
    where: `${bucket.uri}/${STATE_PREFIX}jobs/${jobFolder(jobId)}/`,
    async put(rel, body) {
      const to = path(rel);
      await mkdir(dirname(to), { recursive: true });
      const tmp = `${to}.${randomUUID()}.tmp`;
      try {
        await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp));
        await rename(tmp, to);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    },
    async read(rel, range) {
      const p = path(rel);
      const st = await stat(p).catch(() => null);
      if (!st?.isFile()) return null;
      const end = Math.min(range?.end ?? st.size, st.size);
      if (range && end <= range.start) return Readable.from([]);
      return createReadStream(p, {
        highWaterMark: 1 << 20,
        ...(range ? { start: range.start, end: end - 1 } : {}),
      });
    },
    async size(rel) {
      const st = await stat(path(rel)).catch(() => null);
      return st?.isFile() ? st.size : null;
    },
    async *list(relPrefix = '', startAfter = '') {
      // Folders are few (one per kind of file): read each whole, sorted by the key as a full path. A folder whose
      // every key sorts before `startAfter` is not entered.
      const walk = async function* (dir: string): AsyncGenerator<JobFile> {
        let entries;
        try {
          entries = await readdir(join(root, ...dir.split('/').filter(Boolean)), { withFileTypes: true });
        } catch {
          return;
        }
        const keyed = entries
          .filter((e) => !e.name.endsWith('.tmp'))
          .map((e) => ({ e, key: dir + e.name + (e.isDirectory() ? '/' : '') }))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        for (const { e, key } of keyed) {
          if (!(key.startsWith(relPrefix) || relPrefix.startsWith(key))) continue;
          if (e.isDirectory()) {
            if (key < startAfter && !startAfter.startsWith(key)) continue;
            yield* walk(key);
          } else if (e.isFile() && key.startsWith(relPrefix) && key > startAfter) {
            const st = await stat(join(root, ...key.split('/'))).catch(() => null);
            if (st) yield { rel: key, size: st.size };
          }
        }
      };
      yield* walk('');
    },
    async remove(rel) {
      await rm(path(rel), { force: true });
    },
    async removeAll() {
      await rm(root, { recursive: true, force: true });
    },
    async removeTemp() {
      let removed = 0;
      const sweep = async (dir: string): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
        for (const e of entries) {
          const p = join(dir, e.name);
          if (e.isDirectory()) await sweep(p);
          else if (e.name.endsWith('.tmp')) {
            await rm(p, { force: true });
            removed++;
          }
        }
      };
      await sweep(root);
      return removed;
    },
  };
}

function objectFiles(bucket: Bucket, jobId: string): JobFiles {
  const base = `${STATE_PREFIX}jobs/${jobFolder(jobId)}/`;
  const key = (rel: string) => {
    checkRel(rel);
    return base + rel;
  };
  const missing = (err: unknown) => {
    const e = err as { code?: string; name?: string; $metadata?: { httpStatusCode?: number } };
    return e.code === 'ENOENT' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
  };
  return {
    where: `${bucket.uri}/${base}`,
    async put(rel, body) {
      // The drivers' put is atomic (single PUT committed after the length check, or a completed multipart).
      await putStream(bucket, key(rel), body, {
        contentType: 'application/octet-stream',
        meta: { sourceUrl: `ferry:job-file:${rel}`, jobId },
      });
    },
    async read(rel, range) {
      if (range?.end !== undefined && range.end <= range.start) return Readable.from([]);
      try {
        return (await bucket.get(key(rel), range)).body;
      } catch (err) {
        // A range starting at or past the end is "416 Range Not Satisfiable": nothing to read.
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (range && status === 416) return Readable.from([]);
        if (missing(err)) return null;
        throw err;
      }
    },
    async size(rel) {
      return (await bucket.head(key(rel)))?.size ?? null;
    },
    async *list(relPrefix = '', startAfter = '') {
      // list() hides `.ferry/`, so page through the raw listing of the job's folder by asking under its prefix.
      let token: string | undefined;
      do {
        const page = await listRaw(bucket, base + relPrefix, token, startAfter && base + startAfter);
        for (const it of page.items) {
          const rel = it.name.slice(base.length);
          // Filtered here too: a store that ignores StartAfter still lists in order, so this stays exact.
          if (rel > startAfter) yield { rel, size: it.size };
        }
        token = page.next;
      } while (token);
    },
    async remove(rel) {
      try {
        await bucket.delete(key(rel));
      } catch (err) {
        if (!missing(err)) throw err;
      }
    },
    async removeAll() {
      for await (const f of this.list()) await bucket.delete(key(f.rel));
    },
    removeTemp: () => Promise.resolve(0),
  };
}

/** A driver's listing of names under `.ferry/` (which its plain list() hides). */
async function listRaw(
  bucket: Bucket,
  prefix: string,
  token: string | undefined,
  startAfter: string,
): Promise<{ items: { name: string; size: number }[]; next?: string }> {
  return bucket.list({ prefix, ...(token ? { token } : startAfter ? { startAfter } : {}), state: true });
}
