import type { Attempt } from '../../domain/outcome.js';
import type { HttpMethod } from '../../domain/job.js';

/** One HTTP attempt to make, secrets already resolved. */
export interface ProbeRequest {
  readonly url: string;
  readonly method: HttpMethod;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Read the response body (a condition needs it); otherwise it is discarded unread. */
  readonly readBody: boolean;
  readonly insecureSkipVerify: boolean;
  /** Mutual TLS: the client certificate (PEM chain) and key; `fingerprint` identifies the pair (connection pools are kept per pair). */
  readonly clientCertificate?: { readonly cert: string; readonly key: string; readonly fingerprint: string };
  /** Identifies the attempt to the target (header `x-pulsecheck-run: <runId>#<attempt>`). */
  readonly runId: string;
  readonly attempt: number;
}

/**
 * Makes one HTTP attempt. A failure to get a response is data (`type: 'failure'`), never a rejection;
 * when `signal` aborts, the request is really aborted and a `timeout` failure is returned.
 */
export interface Prober {
  probe(request: ProbeRequest, signal: AbortSignal): Promise<Attempt>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
