import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Timings } from '../../domain/run.js';

/** Header that names the attempt to the target and lets the tracer recognise its requests. */
export const RUN_HEADER = 'x-pulsecheck-run';

/** Connection phases of one socket, from the connector (performance.now() instants). */
interface SocketTrace {
  readonly startedAt: number;
  lookupAt?: number;
  connectedAt?: number;
  secureAt?: number;
  certificateExpiresAt?: number;
  /** The first request on the socket pays for (and reports) the connection phases. */
  claimed: boolean;
}

/** One attempt being traced. */
export interface AttemptTrace {
  readonly startedAt: number;
  connection?: SocketTrace;
  socket?: SocketTrace;
  sentAt?: number;
  headersAt?: number;
}

interface Connected {
  readonly socket: Socket;
  readonly connectParams: { readonly hostname: string; readonly port: string | number };
}

interface UndiciRequest {
  readonly headers: ReadonlyArray<string | string[]>;
}

const round = (ms: number) => Math.max(0, Math.round(ms * 10) / 10);

/**
 * Collects phase timings and the peer certificate from undici's diagnostics channels
 * (`undici:request:create`, `undici:client:sendHeaders`, `undici:request:headers`,
 * `undici:client:connected`) plus the socket events seen by the connector (DNS, TCP, TLS).
 * Requests are matched to attempts by the `x-pulsecheck-run` header: undici may create a request
 * later than it was asked for (when the pool is busy), so the caller's async context cannot be used.
 */
export class Tracer {
  readonly #attempts = new Map<string, AttemptTrace>();
  readonly #byRequest = new WeakMap<object, AttemptTrace>();
  readonly #sockets = new WeakMap<Socket, SocketTrace>();
  /**
   * Certificate expiry per `host:port`: on a resumed TLS session `getPeerCertificate()` is empty (the
   * server does not send its certificate again), so the last full handshake's answer is used.
   */
  readonly #certificates = new Map<string, number>();
  readonly #subscriptions: Array<[string, (message: unknown) => void]> = [
    ['undici:request:create', (m) => this.#onCreate(m as { request: UndiciRequest })],
    ['undici:client:sendHeaders', (m) => this.#onSend(m as { request: object; socket: Socket })],
    ['undici:request:headers', (m) => this.#onHeaders(m as { request: object })],
    ['undici:client:connected', (m) => this.#onConnected(m as Connected)],
  ];

  constructor() {
    for (const [name, listener] of this.#subscriptions) diagnostics.subscribe(name, listener);
  }

  close(): void {
    for (const [name, listener] of this.#subscriptions) diagnostics.unsubscribe(name, listener);
  }

  /** Starts tracing the attempt whose requests carry `id` in the run header. */
  begin(id: string): AttemptTrace {
    const trace: AttemptTrace = { startedAt: performance.now() };
    this.#attempts.set(id, trace);
    return trace;
  }

  end(id: string): void {
    this.#attempts.delete(id);
  }

  /** Called by the connector for each new socket, before it connects. */
  watchSocket(socket: Socket): void {
    const trace: SocketTrace = { startedAt: performance.now(), claimed: false };
    this.#sockets.set(socket, trace);
    socket.once('lookup', () => (trace.lookupAt = performance.now()));
    socket.once('connect', () => (trace.connectedAt = performance.now()));
    socket.once('secureConnect', () => (trace.secureAt = performance.now()));
  }

  timings(trace: AttemptTrace, endedAt: number): Timings {
    const c = trace.connection;
    const dns = c?.lookupAt !== undefined ? c.lookupAt - c.startedAt : 0;
    const tcpStart = c?.lookupAt ?? c?.startedAt;
    const connect = c?.connectedAt !== undefined && tcpStart !== undefined ? c.connectedAt - tcpStart : 0;
    const tls = c?.secureAt !== undefined && c.connectedAt !== undefined ? c.secureAt - c.connectedAt : 0;
    const firstByte = trace.headersAt !== undefined && trace.sentAt !== undefined ? trace.headersAt - trace.sentAt : 0;
    return { dns: round(dns), connect: round(connect), tls: round(tls), firstByte: round(firstByte), total: round(endedAt - trace.startedAt) };
  }

  #onCreate({ request }: { request: UndiciRequest }): void {
    const headers = request.headers;
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === RUN_HEADER) {
        const trace = this.#attempts.get(String(headers[i + 1]));
        if (trace) this.#byRequest.set(request, trace);
        return;
      }
    }
  }

  #onSend({ request, socket }: { request: object; socket: Socket }): void {
    const trace = this.#byRequest.get(request);
    if (!trace) return;
    trace.sentAt = performance.now();
    const socketTrace = this.#sockets.get(socket);
    if (!socketTrace) return;
    trace.socket = socketTrace;
    if (!socketTrace.claimed) {
      socketTrace.claimed = true;
      trace.connection = socketTrace;
    }
  }

  #onHeaders({ request }: { request: object }): void {
    const trace = this.#byRequest.get(request);
    if (trace) trace.headersAt = performance.now();
  }

  #onConnected({ socket, connectParams }: Connected): void {
    const trace = this.#sockets.get(socket);
    const getPeerCertificate = (socket as Partial<TLSSocket>).getPeerCertificate;
    if (!trace || !getPeerCertificate) return;
    const origin = `${connectParams.hostname}:${connectParams.port}`;
    const validTo = getPeerCertificate.call(socket)?.valid_to;
    if (validTo) this.#certificates.set(origin, Date.parse(validTo));
    const expiresAt = this.#certificates.get(origin);
    if (expiresAt !== undefined) trace.certificateExpiresAt = expiresAt;
  }
}
