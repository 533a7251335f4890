import type { TransportFailureKind } from '../../domain/run.js';
import { BLOCKED_TARGET_CODE } from '../target-guard/guardedConnector.js';

/**
 * Maps a Node.js / undici error code (or the error's name) to the run's failure kind: the one place
 * that knows undici's and Node's codes. An abort or timeout by name wins over any code.
 * @see https://github.com/nodejs/undici/blob/main/lib/core/errors.js
 */
export function classifyErrorCode(code: string | undefined, name?: string): TransportFailureKind {
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  switch (code) {
    case BLOCKED_TARGET_CODE:
      return 'blocked-target';
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'connect';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return 'dns';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return 'timeout';
  }
  if (code && /^ERR_TLS_|^ERR_SSL_|CERT|^SELF_SIGNED|^DEPTH_ZERO|^UNABLE_TO_/.test(code)) return 'tls';
  return 'protocol';
}

/**
 * The failure kind and message of a request that got no response. `aborted`: the attempt's signal
 * fired (its timeout, or shutdown), which is a `timeout` whatever undici threw; `elapsedMs` is how
 * long the attempt took, for that message.
 */
export function describeFailure(error: unknown, aborted: boolean, elapsedMs: number): { kind: TransportFailureKind; message: string } {
  if (aborted) return { kind: 'timeout', message: `no response within ${elapsedMs} ms` };
  const { name, message } = error as { name?: string; message?: string };
  const code = codeOf(error);
  const kind = classifyErrorCode(code, name);
  // The guard's message names the address class and is shown as it is.
  if (kind === 'blocked-target') return { kind, message: String(message) };
  const text = message?.trim() || 'request failed';
  return { kind, message: code && !text.includes(code) ? `${code}: ${text}` : text };
}

/** undici wraps socket errors; the system code is then on the cause. */
function codeOf(error: unknown): string | undefined {
  const { code, cause } = error as { code?: string; cause?: { code?: string } };
  return code ?? cause?.code;
}
