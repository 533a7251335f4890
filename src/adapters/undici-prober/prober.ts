import { Agent, type Dispatcher } from 'undici';
import type { ProbeRequest, Prober } from '../../app/ports/index.js';
import { networkPolicy, type NetworkPolicy } from '../../domain/network.js';
import type { Attempt } from '../../domain/outcome.js';
import { guardedConnector } from '../target-guard/guardedConnector.js';
import { describeFailure } from './errorCodes.js';
import { exchange } from './exchange.js';
import { RUN_HEADER, Tracer } from './tracer.js';

export interface UndiciProberOptions {
  /** Connections kept per origin (keep-alive pool bound). Default 256. */
  readonly connectionsPerOrigin?: number;
  /** How long an idle connection is kept, in ms. Default 30 000. */
  readonly keepAliveTimeoutMs?: number;
  /** Largest body read for conditions, in bytes; the rest is discarded. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Extra trusted CA certificates (PEM), on top of Node's (and `NODE_EXTRA_CA_CERTS`). */
  readonly ca?: string | readonly string[];
  /** The target guard applied to every connection. Default: `networkPolicy()` (loopback, link-local … refused). */
  readonly networkPolicy?: NetworkPolicy;
}

type Answer = Extract<Attempt, { type: 'response' }>;

/** Agents kept for client certificates at most; the least recently used is closed beyond it. */
const MAX_CERTIFICATE_AGENTS = 64;

/**
 * The HTTP prober: one shared undici Agent per TLS mode and client certificate (keep-alive, bounded
 * connections per origin), requests aborted for real by the attempt's signal, timings from
 * diagnostics channels.
 */
export class UndiciProber implements Prober {
  readonly #tracer = new Tracer();
  readonly #options: Required<Omit<UndiciProberOptions, 'ca'>> & Pick<UndiciProberOptions, 'ca'>;
  /** Keyed by `insecure` and the client certificate's fingerprint. */
  readonly #agents = new Map<string, Agent>();
  readonly #targets = new Map<string, { origin: string; path: string }>();

  constructor(options: UndiciProberOptions = {}) {
    this.#options = {
      connectionsPerOrigin: options.connectionsPerOrigin ?? 256,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 30_000,
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      networkPolicy: options.networkPolicy ?? networkPolicy(),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    };
  }

  async probe(probe: ProbeRequest, signal: AbortSignal): Promise<Attempt> {
    const id = `${probe.runId}#${probe.attempt}`;
    const trace = this.#tracer.begin(id);
    try {
      const { origin, path } = this.#target(probe.url);
      const options: Dispatcher.DispatchOptions = { origin, path, method: probe.method, headers: { ...probe.headers, [RUN_HEADER]: id } };
      if (probe.body !== undefined) options.body = probe.body;
      const agent = this.#agent(probe.insecureSkipVerify, probe.clientCertificate);
      const response = await exchange(agent, options, signal, probe.readBody && probe.method !== 'HEAD', this.#options.maxBodyBytes);
      // The response's own header object (parsed for this request alone), a repeated header joined in place.
      const headers = response.headers as Record<string, string | string[] | undefined>;
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) delete headers[name];
        else if (Array.isArray(value)) headers[name] = value.join(', ');
      }
      const { body } = response;
      const expires = trace.socket?.certificateExpiresAt;
      // Field by field rather than with spreads of the optional ones: one object per attempt.
      const attempt: { -readonly [K in keyof Answer]: Answer[K] } = { type: 'response', status: response.statusCode, headers: headers as Record<string, string>, timings: this.#tracer.timings(trace, performance.now()) };
      if (body !== undefined) attempt.body = body;
      if (expires !== undefined && !Number.isNaN(expires)) attempt.certificateExpiresAt = expires;
      return attempt;
    } catch (error) {
      const { kind, message } = describeFailure(error, signal.aborted, Math.round(performance.now() - trace.startedAt));
      return { type: 'failure', kind, message, timings: this.#tracer.timings(trace, performance.now()) };
    } finally {
      this.#tracer.end(id);
    }
  }

  async close(): Promise<void> {
    this.#tracer.close();
    await Promise.all([...this.#agents.values()].map((agent) => agent.close()));
    this.#agents.clear();
  }

  #agent(insecure: boolean, client?: ProbeRequest['clientCertificate']): Agent {
    const key = client ? `cert:${insecure}:${client.fingerprint}` : String(insecure);
    let agent = this.#agents.get(key);
    if (agent && client) {
      // Most recently used last: rotated certificates leave old agents to be evicted.
      this.#agents.delete(key);
      this.#agents.set(key, agent);
    }
    if (!agent) {
      const connect = guardedConnector(this.#options.networkPolicy, {
        rejectUnauthorized: !insecure,
        ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca as string[] }),
        ...(client ? { cert: client.cert, key: client.key } : {}),
      });
      const tracer = this.#tracer;
      // No redirect interceptor: undici does not follow redirects, so a 3xx is the answer and a
      // target cannot bounce a check to an address the guard would refuse.
      agent = new Agent({
        connections: this.#options.connectionsPerOrigin,
        keepAliveTimeout: this.#options.keepAliveTimeoutMs,
        connect(options, callback) {
          // The connector returns the socket it creates: watch it before it connects.
          const socket = connect(options, callback);
          if (socket) tracer.watchSocket(socket);
        },
      });
      this.#agents.set(key, agent);
      if (client) this.#evictCertificateAgents();
    }
    return agent;
  }

  #evictCertificateAgents(): void {
    const keyed = [...this.#agents.keys()].filter((key) => key.startsWith('cert:'));
    for (const key of keyed.slice(0, Math.max(0, keyed.length - MAX_CERTIFICATE_AGENTS))) {
      void this.#agents.get(key)?.close();
      this.#agents.delete(key);
    }
  }

  /** Origin and path of a job's URL, parsed once per URL rather than once per request. */
  #target(url: string): { origin: string; path: string } {
    let target = this.#targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (this.#targets.size >= 10_000) this.#targets.clear();
      this.#targets.set(url, target);
    }
    return target;
  }
}
