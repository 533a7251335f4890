import { lookup as resolve } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { buildConnector } from 'undici';
import { describeRefusal, refusedAddress, type NetworkPolicy } from '../../domain/network.js';

/** The `code` of the error a refused connection fails with (the adapters map it to `blocked-target`). */
export const BLOCKED_TARGET_CODE = 'ERR_PULSECHECK_BLOCKED_TARGET';

/** undici's connector, as it really is: it returns the socket it creates (for diagnostics). */
export type GuardedConnector = (options: buildConnector.Options, callback: buildConnector.Callback) => Socket | undefined;

/**
 * The target guard at connect time, for every adapter that connects to a URL a job or a caller gave
 * (the prober, the OAuth2 client): an undici connector (TLS options as `buildConnector` takes them)
 * that refuses an IP literal the policy refuses (net.connect does not resolve those), resolves a
 * name once, refuses the connection if ANY address it resolves to is refused, and gives the socket
 * the checked addresses, so no second resolution (DNS rebinding) can bring another. A refusal fails
 * the connection with code `BLOCKED_TARGET_CODE`.
 */
export function guardedConnector(policy: NetworkPolicy, tls: buildConnector.BuildOptions = {}): GuardedConnector {
  const base = buildConnector({ ...tls, lookup: guardedLookup(policy) }) as unknown as GuardedConnector;
  return (options, callback) => {
    const host = options.hostname.replace(/^\[|\]$/g, '');
    const refusal = isIP(host) === 0 ? undefined : refusedAddress(policy, [host]);
    if (refusal) {
      callback(blockedTarget(describeRefusal(refusal)), null);
      return undefined;
    }
    return base(options, callback);
  };
}

function guardedLookup(policy: NetworkPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refusal = refusedAddress(policy, addresses.map((entry) => entry.address));
      if (refusal) return callback(blockedTarget(describeRefusal(refusal, hostname)), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]?.address ?? '', addresses[0]?.family);
    });
  };
}

const blockedTarget = (message: string) => Object.assign(new Error(message), { code: BLOCKED_TARGET_CODE });
