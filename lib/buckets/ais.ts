// ais://bucket[/prefix]: AIStore's native REST API over undici. AIS_ENDPOINT names the cluster as it does for
// the ais CLI (default, like the CLI's: http://127.0.0.1:8080); AIS_AUTHN_TOKEN, when set, is sent as a bearer
// token (AuthN-enabled clusters).
//
// PUT: the proxy answers an object PUT with 307 to the target that owns the name. The body is a one-shot stream,
// so it must go to the target alone: ferry first sends a bodiless probe PUT to the proxy, reads the redirect,
// and then streams the object to the target once. The probe carries a deliberately wrong
// `Ais-Checksum-Value`, so even a node that stored the empty body instead of redirecting would refuse it (and an
// endpoint that is itself a target answers ErrBadCksum, which tells ferry to PUT there directly). Measured on
// loopback: the probe costs one round trip, 0.5 ms (a probe + 1-byte PUT: 1.2 ms). `Expect: 100-continue` would
// save it, but undici refuses the header over HTTP/1.1 (UND_ERR_NOT_SUPPORTED).
//
// Atomicity: a target writes a PUT into a work file and renames it into place when the body is complete, so a
// reader sees the whole object or nothing, and a PUT cut short (worker killed, beforeCommit failed and the
// request was aborted) leaves nothing visible. The commit guard (wire.ts) holds the last chunk back until the
// length check has passed.
//
// Checksums: a header cannot carry a checksum that is known only after the body, so:
// - objects up to FERRY_AIS_VERIFY_MAX (default 4 MiB) are read into memory first, and their sha256 travels as
//   `Ais-Checksum-Type: sha256` + `Ais-Checksum-Value`: the target verifies the bytes before it commits them
//   (end-to-end, pre-commit). Memory: at most that much per transfer (16 transfers: 64 MiB);
// - larger objects stream. Buckets ferry creates use sha256 as their checksum type, so the target computes the
//   sha256 of what it stored and returns it; ferry compares it with the sha256 it streamed and deletes the object
//   on a mismatch (verified, but after the commit: a corrupted large object is visible for that moment). In a
//   pre-existing bucket with another checksum type ferry records its sha256 as the custom property ferry-sha256
//   right after the PUT (a second request; if the worker dies in between the property is missing and a retry
//   of the job copies the object again).
// Custom properties record the source: ferry-source-url, ferry-source-etag, ferry-source-last-modified,
// ferry-job-id (and ferry-sha256 where the checksum type is not sha256).
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { ErrorType } from '../../common/errors.js';
import { checksumMismatch, parseChecksum } from '../checksum.js';
import { FerryError, classifyError } from '../classify-error.js';
import {
  REDIRECTS,
  aisError,
  aisSettingsFromEnv,
  checksumOf,
  customMd,
  headerError,
  headerOf,
  type AisSettings,
} from './ais-http.js';
import type { Bucket, ByteRange, ListOptions, ListPage, ObjectInfo, PutOptions } from './types.js';
import { STATE_PREFIX, guardedUpload, httpRange, metaFromWire, metaToWire } from './wire.js';

// The driver's public surface stays in this module: index.ts imports it lazily, tests import aisError.
export { DEFAULT_AIS_ENDPOINT, aisError, aisSettingsFromEnv, type AisSettings } from './ais-http.js';

/** Never the sha256 of an empty body: a probe PUT that a node did not redirect is refused, not stored. */
const PROBE_CHECKSUM = '0'.repeat(64);

interface CallOptions {
  query?: Record<string, string>;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Follow the proxy's redirect to a target (GET, HEAD, DELETE, PATCH); PUT is handled by put(). */
  follow?: boolean;
}

export class AisBucket implements Bucket {
  readonly uri: string;
  private readonly settings: AisSettings;
  private readonly agent: Dispatcher;

  constructor(
    readonly bucket: string,
    /** Prepended to every object name: object = prefix + name. */
    readonly prefix: string,
    settings: AisSettings = aisSettingsFromEnv(),
  ) {
    this.uri = `ais://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.settings = settings;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 512,
      connectTimeout: 10_000,
      // The target answers a PUT once it has renamed the object into place; a GET body stalls only if a disk
      // does. Two minutes of silence is a dead request, and Temporal retries the batch.
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
  }

  async exists(): Promise<boolean> {
    const res = await this.call('HEAD', this.bucketPath());
    await res.body.dump();
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw aisError(res.statusCode, headerError(res), `HEAD ${this.uri}`);
  }

  async ensure(): Promise<{ created: boolean }> {
    if (await this.exists()) return { created: false };
    const res = await this.call('POST', this.bucketPath(), {
      headers: { 'content-type': 'application/json' },
      // sha256 as the bucket's checksum: AIStore then computes and keeps the digest ferry records, for every
      // object, and returns it from PUT and HEAD (the default, xxhash2, is faster but not what ferry reports).
      body: JSON.stringify({ action: 'create-bck', value: { checksum: { type: 'sha256' } } }),
    });
    const text = await res.body.text();
    if (res.statusCode === 200) return { created: true };
    if (res.statusCode === 409) return { created: false }; // created meanwhile
    throw aisError(res.statusCode, text, `create ${this.uri}`);
  }

  async preflight(): Promise<void> {
    const where = this.settings.endpointFromEnv
      ? `AIS_ENDPOINT=${this.settings.endpoint}`
      : `${this.settings.endpoint} (AIS_ENDPOINT is not set; that is the ais CLI's default)`;
    let res;
    try {
      res = await this.call('HEAD', this.bucketPath(), { signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      const c = classifyError(err);
      throw new FerryError(
        ErrorType.NetworkError,
        `${this.uri}: cannot reach AIStore at ${where}: ${c.message}`,
      );
    }
    await res.body.dump();
    if (res.statusCode === 200 || res.statusCode === 404) return;
    if (res.statusCode === 401 || res.statusCode === 403)
      throw new FerryError(
        ErrorType.DestinationForbidden,
        `${this.uri}: AIStore at ${where} refused access (${res.statusCode}); ` +
          (this.settings.token ? 'AIS_AUTHN_TOKEN was rejected' : 'set AIS_AUTHN_TOKEN'),
      );
    throw aisError(res.statusCode, headerError(res), `AIStore at ${where}`);
  }

  async head(name: string): Promise<ObjectInfo | null> {
    const res = await this.call('HEAD', this.objectPath(name), { follow: true });
    await res.body.dump();
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw aisError(res.statusCode, headerError(res), `HEAD ${this.uri}/${name}`);
    return this.infoFrom(name, res.headers);
  }

  async put(name: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    const url = this.url(this.objectPath(name));
    const wire = metaToWire(opts.meta);
    const headers: Record<string, string | string[]> = {
      ...this.auth(),
      ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
    };
    if (opts.size !== undefined && opts.size <= this.settings.verifyMax) {
      // Small: read it all, check it, and let the target verify it against our sha256 before committing.
      const data = await readAll(body, opts.size, opts.signal);
      const { bytes, ...sums } = opts.beforeCommit();
      const native = aisNative(sums.checksum);
      const target = await this.putTarget(url, opts.signal);
      const res = await request(target, {
        method: 'PUT',
        dispatcher: this.agent,
        headers: {
          ...headers,
          'content-length': String(data.length),
          // AIStore's own types (sha256, md5, crc32c) are verified by the target before it commits.
          ...(native ? { 'ais-checksum-type': native.algo, 'ais-checksum-value': native.hex } : {}),
          'ais-custom-md': customMd({ ...wire, ...metaToWire(sums) }),
        },
        body: data,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw aisError(res.statusCode, text, `PUT ${this.uri}/${name}`);
      return { name, size: bytes, meta: { ...opts.meta, ...sums } };
    }

    // Large or of unknown length: stream it to the target, once.
    const target = await this.putTarget(url, opts.signal);
    const { stream: guarded, signal, state } = guardedUpload(body, opts);
    let res;
    try {
      res = await request(target, {
        method: 'PUT',
        dispatcher: this.agent,
        headers: {
          ...headers,
          ...(opts.size !== undefined ? { 'content-length': String(opts.size) } : {}),
          'ais-custom-md': customMd(wire),
        },
        body: guarded,
        signal: signal,
      });
    } catch (err) {
      guarded.destroy();
      throw state.failure ?? err;
    }
    const text = await res.body.text();
    if (state.failure !== undefined) throw state.failure as Error;
    if (res.statusCode !== 200) throw aisError(res.statusCode, text, `PUT ${this.uri}/${name}`);
    const checked = state.checked;
    if (!checked) throw new Error(`internal: ${this.uri}/${name} committed before its length check ran`);
    const { bytes, ...sums } = checked;
    const stored = checksumOf(res.headers);
    const ours = parseChecksum(sums.checksum);
    if (ours && stored.type === ours.algo && stored.value !== ours.hex) {
      await this.delete(name).catch(() => undefined);
      throw checksumMismatch(
        `${this.uri}/${name}: AIStore stored it (object removed)`,
        sums.checksum!,
        `${stored.type}:${stored.value}`,
      );
    }
    // The bucket's checksum type is another: record ferry's as custom properties (a second request).
    if (ours && stored.type !== ours.algo) await this.setCustom(name, metaToWire(sums));
    return { name, size: bytes, meta: { ...opts.meta, ...sums } };
  }

  async get(name: string, range?: ByteRange): Promise<{ body: Readable; info: ObjectInfo }> {
    const res = await this.call('GET', this.objectPath(name), {
      follow: true,
      ...(range ? { headers: { range: httpRange(range) } } : {}),
    });
    if (res.statusCode === 404) {
      await res.body.dump();
      throw Object.assign(new Error(`object not found: ${this.uri}/${name}`), { code: 'ENOENT' });
    }
    if (res.statusCode !== 200 && !(range && res.statusCode === 206))
      throw aisError(res.statusCode, await res.body.text(), `GET ${this.uri}/${name}`);
    return { body: res.body, info: this.infoFrom(name, res.headers) };
  }

  async list(opts: ListOptions): Promise<ListPage> {
    const res = await this.call('GET', this.bucketPath(), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'list',
        value: {
          prefix: this.prefix + (opts.prefix ?? ''),
          pagesize: opts.limit ?? 1000,
          props: 'name,size',
          ...(opts.token ? { continuation_token: opts.token } : {}),
        },
      }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw aisError(res.statusCode, text, `list ${this.uri}`);
    const out = JSON.parse(text) as {
      continuation_token?: string;
      entries?: { name: string; size?: string | number }[] | null;
    };
    const items: ObjectInfo[] = [];
    for (const e of out.entries ?? []) {
      if (
        !e.name.startsWith(this.prefix) ||
        (!opts.state && e.name.startsWith(STATE_PREFIX, this.prefix.length))
      )
        continue;
      items.push({ name: e.name.slice(this.prefix.length), size: Number(e.size ?? 0) });
    }
    return out.continuation_token ? { items, next: out.continuation_token } : { items };
  }

  async delete(name: string): Promise<void> {
    const res = await this.call('DELETE', this.objectPath(name), { follow: true });
    const text = await res.body.text();
    if (res.statusCode !== 200 && res.statusCode !== 404)
      throw aisError(res.statusCode, text, `DELETE ${this.uri}/${name}`);
  }

  /**
   * Nothing to clean: an AIStore PUT is a single request, and a target discards the work file of one that did
   * not complete; no incomplete upload is ever addressable.
   */
  async cleanupJob(): Promise<{ removed: number }> {
    return { removed: 0 };
  }

  // --- internal ---

  private bucketPath(): string {
    return `/v1/buckets/${encodeURIComponent(this.bucket)}`;
  }

  private objectPath(name: string): string {
    const key = this.prefix + name;
    return `/v1/objects/${encodeURIComponent(this.bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private url(path: string): string {
    return this.settings.endpoint + path;
  }

  private auth(): Record<string, string> {
    return this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {};
  }

  /**
   * One request to the endpoint. With `follow`, a redirect to a target is re-issued there by hand: undici's
   * redirect interceptor drops Authorization on a cross-origin hop, and the target is another origin.
   */
  private async call(method: Dispatcher.HttpMethod, path: string, o: CallOptions = {}) {
    let url = this.url(path) + (o.query ? `?${new URLSearchParams(o.query).toString()}` : '');
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method,
        dispatcher: this.agent,
        headers: { ...this.auth(), ...(o.headers ?? {}) },
        ...(o.body !== undefined ? { body: o.body } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const loc = headerOf(res.headers, 'location');
      if (!o.follow || !REDIRECTS.has(res.statusCode) || !loc || hop >= 3) return res;
      await res.body.dump();
      url = new URL(loc, url).toString();
    }
  }

  /** Where to PUT an object: the target the proxy redirects to (see the module comment). */
  private async putTarget(url: string, signal: AbortSignal | undefined): Promise<string> {
    const res = await request(url, {
      method: 'PUT',
      dispatcher: this.agent,
      headers: {
        ...this.auth(),
        'content-length': '0',
        'ais-checksum-type': 'sha256',
        'ais-checksum-value': PROBE_CHECKSUM,
      },
      body: '',
      ...(signal ? { signal } : {}),
    });
    const text = await res.body.text();
    const loc = headerOf(res.headers, 'location');
    if (REDIRECTS.has(res.statusCode) && loc) return new URL(loc, url).toString();
    // The endpoint is a target: it checked the probe's checksum and stored nothing.
    if (res.statusCode === 500 && text.includes('ErrBadCksum')) return url;
    throw aisError(res.statusCode, text, `PUT ${url}`);
  }

  private async setCustom(name: string, custom: Record<string, string>): Promise<void> {
    // Best effort (see the module comment): the object itself is complete and verified by length.
    try {
      const res = await this.call('PATCH', this.objectPath(name), {
        follow: true,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: custom }),
      });
      await res.body.dump();
    } catch {
      // the property stays missing
    }
  }

  private infoFrom(name: string, headers: Dispatcher.ResponseData['headers']): ObjectInfo {
    const cl = headerOf(headers, 'content-length');
    const info: ObjectInfo = { name, size: cl !== undefined ? Number(cl) : 0 };
    const custom: Record<string, string> = {};
    const raw = headers['ais-custom-md'];
    for (const kv of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const i = kv.indexOf('=');
      if (i > 0) custom[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const meta = metaFromWire(custom);
    const sum = checksumOf(headers);
    if (sum.type === 'sha256' && sum.value) meta.sha256 = sum.value;
    meta.checksum ??= aisNative(sum.type && sum.value ? `${sum.type}:${sum.value}` : undefined)?.formatted;
    if (Object.keys(meta).length) info.meta = meta;
    return info;
  }
}

// --- internal ---

/** Reads a body of known size into one buffer (one copy); the length check stays with beforeCommit. */
async function readAll(body: Readable, size: number, signal: AbortSignal | undefined): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    signal?.throwIfAborted();
    // Bytes beyond the announced size are counted, not kept: beforeCommit refuses the object anyway.
    if (fill < size) chunk.copy(buf, fill, 0, Math.min(chunk.length, size - fill));
    fill += chunk.length;
  }
  return fill >= size ? buf : buf.subarray(0, fill);
}

/** A ferry checksum AIStore computes natively (its cksum types sha256, md5, crc32c: hex, big-endian as ferry's). */
function aisNative(
  checksum: string | undefined,
): { algo: string; hex: string; formatted: string } | undefined {
  const c = parseChecksum(checksum);
  return c && (c.algo === 'sha256' || c.algo === 'md5' || c.algo === 'crc32c')
    ? { ...c, formatted: `${c.algo}:${c.hex}` }
    : undefined;
}
