// A GET that receives a small object whole, straight from undici's dispatcher, with no stream in between.
//
// Why: undici's `request()` wraps every response in an AsyncResource and a Readable, and the copy then reads that
// Readable through an async iterator — per object, a handful of objects and promises that an activity's
// AsyncLocalStorage context makes dearer still. Measured on this machine (10,000 × 64 KiB from nginx, 16
// connections, inside an AsyncLocalStorage context as an activity runs): `request()` + `for await` 187–229 µs of
// CPU per object, a dispatch handler that collects the chunks 102–135 µs. So an object whose Content-Length is
// at most `max` is received here, hashed chunk by chunk as it arrives; anything else (larger, no length, or
// another status) is handed back as a stream or an error exactly as `request()` would, on the same request.
//
// The Agent's headers and body timeouts, its redirect interceptor and its keep-alive pool apply as to any
// request; the batch's cancellation aborts the request.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ErrorType } from '../common/errors.js';
import type { Hasher } from './checksum.js';
import { FerryError, httpStatusError, redactUrl } from './classify-error.js';
import { asShortBody } from './streams.js';
import { headerOf, originHeadFrom, type OriginHead } from './origin-head.js';

/** What a whole GET got: the object received and hashed, or — not small — its head and a stream of its body. */
export type WholeOrStream =
  { head: OriginHead; whole: { chunks: Buffer[]; digest: string } } | { head: OriginHead; body: Readable };

export function getWhole(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  max: number,
  hash: Hasher,
): Promise<WholeOrStream> {
  return new Promise<WholeOrStream>((resolve, reject) => {
    const u = new URL(url);
    dispatcher.dispatch(
      { origin: u.origin, path: u.pathname + u.search, method: 'GET', headers },
      new WholeHandler(url, signal, max, hash, resolve, reject),
    );
  });
}

// --- internal ---

type Mode = 'whole' | 'stream' | 'drain';

class WholeHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private mode: Mode | undefined;
  private head: OriginHead | undefined;
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private stream: Readable | undefined;
  /** A non-200 answer: its body is read and dropped (the connection stays reusable), then this is thrown. */
  private statusError: Error | undefined;
  private settled = false;
  private ended = false;
  private readonly onAbort = () => this.controller?.abort(this.signal.reason as Error);

  constructor(
    private readonly url: string,
    private readonly signal: AbortSignal,
    private readonly max: number,
    private readonly hash: Hasher,
    private readonly resolve: (r: WholeOrStream) => void,
    private readonly reject: (e: unknown) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason as Error);
    else this.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode !== 200) {
      this.statusError = httpStatusError(statusCode, this.url, headerOf(headers, 'retry-after'));
      this.mode = 'drain';
      return;
    }
    const head = originHeadFrom(headers);
    this.head = head;
    if (head.size !== undefined && head.size <= this.max) {
      this.mode = 'whole';
      return;
    }
    this.mode = 'stream';
    const stream = new Readable({
      read: () => controller.resume(),
      destroy: (err, cb) => {
        // The reader stopped early (or failed): stop the transfer too, so the socket is not left waiting.
        if (!this.ended) controller.abort(err ?? new Error('body closed before its end'));
        cb(err);
      },
    });
    this.stream = stream;
    this.settle(() => this.resolve({ head, body: stream }));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.mode === 'whole') {
      this.bytes += chunk.length;
      if (this.bytes > this.head!.size!) {
        controller.abort(
          new FerryError(
            ErrorType.LengthMismatch,
            `${redactUrl(this.url)}: received more than ${this.head!.size} bytes, Content-Length said ${this.head!.size}`,
          ),
        );
        return;
      }
      this.hash.update(chunk);
      this.chunks.push(chunk);
    } else if (this.mode === 'stream') {
      if (!this.stream!.push(chunk)) controller.pause();
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.mode === 'stream') {
      this.stream!.push(null);
      return;
    }
    if (this.mode === 'drain') return this.settle(() => this.reject(this.statusError));
    const size = this.head!.size!;
    if (this.bytes !== size)
      return this.settle(() =>
        this.reject(
          new FerryError(
            ErrorType.LengthMismatch,
            `${redactUrl(this.url)}: received ${this.bytes} bytes, Content-Length said ${size}`,
          ),
        ),
      );
    const whole = { chunks: this.chunks, digest: this.hash.digest() };
    this.settle(() => this.resolve({ head: this.head!, whole }));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.ended = true;
    this.signal.removeEventListener('abort', this.onAbort);
    if (this.stream) {
      this.stream.destroy(err);
      return;
    }
    const e = this.mode === 'whole' ? asShortBody(err, this.url, this.bytes, this.head!.size) : err;
    this.settle(() => this.reject(e));
  }

  private settle(f: () => void): void {
    if (this.settled) return;
    this.settled = true;
    f();
  }
}
