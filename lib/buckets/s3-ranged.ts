// Parallel ranges into S3: one multipart upload per object, each range a run of whole parts (ranges are aligned
// to the part size, lib/ranged-get.ts rangePlan), uploaded as its bytes arrive; completed like putMultipart —
// FULL_OBJECT CRC checked by the server — once every range is in and the caller's checks passed.
//
// Memory: a range holds the part it fills and at most one part uploading, 2 × partSize (16 MiB): --streams 4
// keeps 128 MiB per object (putMultipart keeps 64 MiB), the price of four origin streams at once.
import { AbortMultipartUploadCommand, UploadPartCommand, type CompletedPart } from '@aws-sdk/client-s3';
import { anySignal } from './wire.js';
import { completeUpload, createUpload, partPlan, type MultipartUpload } from './s3-multipart.js';
import type { Committed, ObjectInfo, RangedOptions, RangedWriter } from './types.js';

export async function openS3Ranged(u: MultipartUpload, opts: RangedOptions): Promise<RangedWriter> {
  const { partSize } = partPlan(opts.size, u.settings);
  const { uploadId, algorithm, field } = await createUpload(u, opts);
  const parts: CompletedPart[] = [];
  const ac = new AbortController();
  const signal = anySignal([ac.signal, opts.signal]);
  let aborted = false;

  const upload = async (n: number, data: Buffer): Promise<void> => {
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
  };

  return {
    align: partSize,
    async writeRange(start: number, body: AsyncIterable<Buffer>): Promise<void> {
      let n = start / partSize + 1;
      let buf = Buffer.allocUnsafe(Math.min(partSize, opts.size - start));
      let fill = 0;
      let pending: Promise<void> | undefined;
      const flush = async (last: boolean) => {
        await pending; // at most one part of this range uploading while the next fills
        pending = upload(n++, fill === buf.length ? buf : buf.subarray(0, fill));
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
  };
}
