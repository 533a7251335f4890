/**
 * The local host's answer to DNS rebinding: a web page on `evil.example` whose name is made to
 * resolve to 127.0.0.1 can make the browser send requests to the local host, but the browser then
 * sends `Host: evil.example`. Only requests naming a loopback host or `WEBSITE_HOSTNAME` are served.
 */

/** Names the local host answers to on any port, besides the name in `WEBSITE_HOSTNAME`. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** `name[:port]`: a DNS name or IPv4 address, or a bracketed IPv6 address; a port of 1-5 digits. */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_](?:[a-z0-9_.-]{0,252}))(?::(\d{1,5}))?$/i;

/** The host name of a `Host` header (or of `WEBSITE_HOSTNAME`), lowercased; undefined when malformed. */
export function hostNameOf(header: string | undefined): string | undefined {
  const match = HOST.exec(header ?? '');
  if (!match) return undefined;
  if (match[2] !== undefined && Number(match[2]) > 65_535) return undefined;
  return (match[1] as string).toLowerCase();
}

/** The names `checkHost` accepts: the loopback names and the host name of `websiteHostname`, if it has one. */
export function allowedHosts(websiteHostname: string | undefined): ReadonlySet<string> {
  const configured = hostNameOf(websiteHostname?.trim());
  return new Set([...LOOPBACK_HOSTS, ...(configured ? [configured] : [])]);
}

/**
 * Whether to serve a request by its `Host` header: `ok`; `malformed` (missing, empty, a path, user
 * info or spaces in it: 400); `misdirected` (a well-formed name not in `allowed`: 421).
 */
export function checkHost(header: string | undefined, allowed: ReadonlySet<string>): 'ok' | 'malformed' | 'misdirected' {
  const name = hostNameOf(header);
  if (name === undefined) return 'malformed';
  return allowed.has(name) ? 'ok' : 'misdirected';
}
