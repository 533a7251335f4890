import type { Dispatcher } from 'undici';

/** What came back: the final response's status and headers, and its body as text when it was read. */
export interface Exchanged {
  readonly statusCode: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  /** Up to `maxBodyBytes`, UTF-8 (a leading BOM left out when the whole body was read); absent when not read. */
  readonly body?: string;
}

/** Bytes of a body that is not read which are drained to keep the connection (undici's `dump` default); past it the connection is closed. */
const DISCARD_LIMIT = 128 * 1024;

/**
 * One request and its response through an undici dispatcher's handler API, instead of `request()`
 * and its response stream: the body is collected (or discarded) as it arrives, without a Readable,
 * an async resource and a promise per request and per body read. The same semantics as
 * `request()` with `body.text()` / `body.dump()`: the signal aborts the request at any point; 1xx
 * answers are skipped; a body is read up to `maxBodyBytes` and the rest cut off (the connection
 * closed), a body that is not read is drained up to 128 KiB. Rejects with undici's error (or the
 * signal's reason) when no complete response came.
 */
export function exchange(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, readBody: boolean, maxBodyBytes: number): Promise<Exchanged> {
  return new Promise<Exchanged>((resolve, reject) => {
    const handler = new ExchangeHandler(signal, readBody ? maxBodyBytes : -1, resolve, reject);
    if (signal.aborted) {
      reject(signal.reason ?? new Error('aborted'));
      return;
    }
    signal.addEventListener('abort', handler, { once: true });
    dispatcher.dispatch(options, handler);
  });
}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Dispatcher.ResponseData['headers'] = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #done = false;

  constructor(
    readonly signal: AbortSignal,
    /** Bytes of the body to read; -1: the body is not read. */
    readonly limit: number,
    readonly resolve: (value: Exchanged) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  /** The signal aborted (an EventListener object: no closure per request). */
  handleEvent(): void {
    const reason = (this.signal.reason as Error | undefined) ?? new Error('aborted');
    this.#controller?.abort(reason);
    this.#fail(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#done) controller.abort(new Error('aborted'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Dispatcher.ResponseData['headers']): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done || this.#status === 0) return;
    if (this.limit < 0) {
      this.#size += chunk.length;
      if (this.#size > DISCARD_LIMIT) this.#cut(controller, undefined);
      return;
    }
    const room = this.limit - this.#size;
    this.#chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    this.#size += Math.min(chunk.length, room);
    // Past the limit: the rest is not wanted, and the connection cannot be reused without it.
    if (this.#size >= this.limit) this.#cut(controller, Buffer.concat(this.#chunks, this.#size).toString('utf8'));
  }

  onResponseEnd(): void {
    if (this.#done) return;
    this.#finish(this.limit < 0 ? undefined : text(this.#chunks, this.#size));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }

  /** Resolves with what was read and closes the connection. */
  #cut(controller: Dispatcher.DispatchController, body: string | undefined): void {
    this.#finish(body);
    controller.abort(new Error('response body cut off by Pulsecheck'));
  }

  #finish(body: string | undefined): void {
    this.#done = true;
    this.signal.removeEventListener('abort', this);
    const exchanged: { -readonly [K in keyof Exchanged]: Exchanged[K] } = { statusCode: this.#status, headers: this.#headers };
    if (body !== undefined) exchanged.body = body;
    this.resolve(exchanged);
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.signal.removeEventListener('abort', this);
    this.reject(error);
  }
}

/** The whole body as UTF-8, a leading byte order mark left out (as undici's `body.text()`). */
function text(chunks: readonly Buffer[], size: number): string {
  if (chunks.length === 0 || size === 0) return '';
  const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
}
