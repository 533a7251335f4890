import type { ProbeRequest, Prober } from '../../src/app/ports/index.js';
import type { Attempt } from '../../src/domain/outcome.js';
import type { TransportFailureKind } from '../../src/domain/run.js';

/**
 * What the fake target does with one request: answer (`status`, optional headers and body), fail
 * without a response (`fail`), or never answer (`hang`). `afterMs`: how long it takes, in clock time
 * (timers: with `FakeTimersClock`, fake time). Default 0.
 */
export type FakeAnswer =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string; readonly afterMs?: number }
  | { readonly fail: TransportFailureKind; readonly message?: string; readonly afterMs?: number }
  | { readonly hang: true };

/** The request as the fake target saw it: when it arrived (clock ms) and its attempt number. */
export interface SeenRequest {
  readonly request: ProbeRequest;
  readonly at: number;
}

/**
 * A `Prober` in memory: `answer(request, n)` decides what the n-th request (from 1, over the prober's
 * life) gets. It behaves as the port says: a failure is data, and an aborted signal ends the attempt
 * at once as a `timeout` failure, as the undici prober does. Waits use `setTimeout`, so on fake timers
 * no test sleeps.
 */
export class FakeProber implements Prober {
  readonly requests: SeenRequest[] = [];
  closed = false;

  constructor(public answer: (request: ProbeRequest, n: number) => FakeAnswer = () => ({ status: 200 })) {}

  async probe(request: ProbeRequest, signal: AbortSignal): Promise<Attempt> {
    const started = Date.now();
    this.requests.push({ request, at: started });
    const answer = this.answer(request, this.requests.length);
    const waited = await wait('hang' in answer ? Infinity : (answer.afterMs ?? 0), signal);
    const elapsed = Date.now() - started;
    const timings = { dns: 0, connect: 0, tls: 0, firstByte: elapsed, total: elapsed };
    if (!waited) return { type: 'failure', kind: 'timeout', message: `no response within ${elapsed} ms`, timings };
    if ('fail' in answer) return { type: 'failure', kind: answer.fail, message: answer.message ?? `${answer.fail} failed`, timings };
    if ('hang' in answer) throw new Error('unreachable: a hanging answer ends only by abort');
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
    return {
      type: 'response',
      status: answer.status,
      headers,
      ...(request.readBody && answer.body !== undefined ? { body: answer.body } : {}),
      timings,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Attempt numbers as the requests carried them. */
  get attempts(): number[] {
    return this.requests.map((seen) => seen.request.attempt);
  }
}

/** Resolves true after `ms` (Infinity: never), or false as soon as `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = ms === Infinity ? undefined : setTimeout(() => done(true), ms);
    const onAbort = () => done(false);
    function done(value: boolean) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
