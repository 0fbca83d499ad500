// Parallel ranges into S3: one multipart upload per object, each range a run of whole parts (ranges are aligned
// to the part size, lib/ranged-get.ts rangePlan), uploaded as its bytes arrive; completed like putMultipart —
// FULL_OBJECT CRC checked by the server — once every range is in and the caller's checks passed.
//
// Memory: a range holds the part it fills and at most one part uploading, 2 × partSize (16 MiB): --streams 4
// keeps 128 MiB per object (putMultipart keeps 64 MiB), the price of four origin streams at once.
//
// A release (lib/range-resume.ts) leaves the upload open: a retry lists its parts (ListParts) and takes it up if
// every checkpointed part is there with its length; else it aborts it and starts a new one. An upload nobody
// takes up is aborted when the object starts over, or by cleanupJob at the end of the job.
import {
  AbortMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { anySignal } from './wire.js';
import { completeUpload, createUpload, partPlan, type MultipartUpload } from './s3-multipart.js';
import type { RangedProgress } from '../range-resume.js';
import { checksumField, s3Algorithm } from './s3-checksum.js';
import type { Committed, ObjectInfo, RangedOptions, RangedWriter } from './types.js';

export async function openS3Ranged(u: MultipartUpload, opts: RangedOptions): Promise<RangedWriter> {
  const { partSize } = partPlan(opts.size, u.settings);
  if (opts.stale) await discard(u, opts.stale);
  const kept = opts.resume ? await keptParts(u, opts.resume, opts.size, partSize) : undefined;
  const resumed = kept !== undefined;
  const { uploadId, algorithm, field } = resumed
    ? { uploadId: opts.resume!.token, ...s3Fields(opts.checksum) }
    : await createUpload(u, opts);
  const parts: CompletedPart[] = kept ?? [];
  const ac = new AbortController();
  const signal = anySignal([ac.signal, opts.signal]);
  let aborted = false;

  const upload = async (n: number, data: Buffer, stored?: (pos: number) => void): Promise<void> => {
    const r = await u.client.send(
      new UploadPartCommand({
        Bucket: u.bucket,
        Key: u.key,
        UploadId: uploadId,
        PartNumber: n,
        Body: data,
        ContentLength: data.length,
        ChecksumAlgorithm: algorithm,
      }),
      { abortSignal: signal },
    );
    parts.push({
      PartNumber: n,
      ...(r.ETag ? { ETag: r.ETag } : {}),
      ...(r[field] ? { [field]: r[field] } : {}),
    });
    stored?.(Math.min(n * partSize, opts.size));
  };

  return {
    align: partSize,
    token: uploadId,
    resumed,
    async writeRange(
      start: number,
      body: AsyncIterable<Buffer>,
      stored?: (pos: number) => void,
    ): Promise<void> {
      let n = start / partSize + 1;
      let buf = Buffer.allocUnsafe(Math.min(partSize, opts.size - start));
      let fill = 0;
      let pending: Promise<void> | undefined;
      const flush = async (last: boolean) => {
        await pending; // at most one part of this range uploading while the next fills
        // Parts of a range complete in order (one uploading at a time), so `stored` advances in order.
        pending = upload(n++, fill === buf.length ? buf : buf.subarray(0, fill), stored);
        if (last) await pending;
        else buf = Buffer.allocUnsafe(Math.max(0, Math.min(partSize, opts.size - (n - 1) * partSize)));
        fill = 0;
      };
      try {
        for await (const chunk of body) {
          let off = 0;
          while (off < chunk.length) {
            const k = Math.min(buf.length - fill, chunk.length - off);
            chunk.copy(buf, fill, off, off + k);
            fill += k;
            off += k;
            if (fill === buf.length) await flush(false);
          }
        }
        if (fill > 0) await flush(true);
        else await pending;
      } catch (err) {
        ac.abort(err);
        await pending?.catch(() => undefined);
        throw err;
      }
    },
    commit(committed: Committed): Promise<ObjectInfo> {
      return completeUpload(u, uploadId, parts, opts, committed);
    },
    async abort(): Promise<void> {
      if (aborted) return;
      aborted = true;
      ac.abort();
      // Best effort, as putMultipart: what stays behind, cleanupJob aborts at the end of the job.
      await u.client
        .send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: uploadId }))
        .catch(() => undefined);
    },
    async release(): Promise<void> {
      ac.abort();
    },
  };
}

// --- internal ---

function s3Fields(algo: RangedOptions['checksum']) {
  const { algorithm } = s3Algorithm(algo ?? 'none');
  return { algorithm, field: checksumField(algorithm) };
}

/**
 * The parts of the checkpointed upload that its ranges' stored prefixes cover, if the upload is still open and
 * has each of them with its length; otherwise the upload is aborted (best effort) and undefined returned.
 */
async function keptParts(
  u: MultipartUpload,
  r: RangedProgress,
  size: number,
  partSize: number,
): Promise<CompletedPart[] | undefined> {
  const want = new Map<number, number>();
  for (const range of r.ranges) {
    if (range.start % partSize !== 0) return discard(u, r.token);
    for (let pos = range.start; pos < range.start + range.done; pos += partSize)
      want.set(pos / partSize + 1, Math.min(partSize, size - pos));
  }
  if (r.size !== size) return discard(u, r.token);
  const field = s3Fields(r.algo).field;
  const out: CompletedPart[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await u.client.send(
        new ListPartsCommand({ Bucket: u.bucket, Key: u.key, UploadId: r.token, PartNumberMarker: marker }),
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber === undefined || want.get(p.PartNumber) !== p.Size) continue;
        want.delete(p.PartNumber);
        out.push({
          PartNumber: p.PartNumber,
          ...(p.ETag ? { ETag: p.ETag } : {}),
          ...(p[field] ? { [field]: p[field] } : {}),
        });
      }
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
  } catch {
    return discard(u, r.token); // NoSuchUpload (aborted, completed) or unreadable: start over
  }
  return want.size === 0 ? out : discard(u, r.token);
}

async function discard(u: MultipartUpload, uploadId: string): Promise<undefined> {
  await u.client
    .send(new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: uploadId }))
    .catch(() => undefined);
  return undefined;
}
