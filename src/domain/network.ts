import ipaddr from 'ipaddr.js';

/**
 * The target guard's rules (docs/security.md, Target guard): which addresses a job may connect to.
 * Pure; the adapters apply it at connect time to every address a target's name resolves to.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Network = readonly [Address, number];

/** The verdict on one address. `embeds`: the IPv4 address inside an IPv6 one that was judged. */
export type AddressCheck = { readonly ok: true } | { readonly ok: false; readonly addressClass: string; readonly embeds?: string };

/** Allowed and blocked networks, applied to IP addresses. */
export interface NetworkPolicy {
  /** Whether a connection to `address` (an IPv4 or IPv6 address, brackets optional) is allowed. */
  check(address: string): AddressCheck;
}

/** The class of an address refused because `PULSECHECK_BLOCKED_NETWORKS` lists it. */
export const BLOCKED_BY_SETTING = 'blocked by PULSECHECK_BLOCKED_NETWORKS';
/** Loopback, as the local tools allow it by default (`PULSECHECK_ALLOWED_NETWORKS` unset). */
export const LOOPBACK_NETWORKS = '127.0.0.0/8,::1/128';

// Why each is refused by default: loopback and link-local reach the app's own host (the identity
// endpoint, IMDS at 169.254.169.254), 168.63.129.16 is Azure's platform endpoint (DNS, health,
// the WireServer), the rest is never a real service.
const V4_CLASSES: Readonly<Record<string, string>> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  broadcast: 'broadcast',
  reserved: 'reserved',
};
const V6_CLASSES: Readonly<Record<string, string>> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  unspecified: 'unspecified',
  multicast: 'multicast',
  reserved: 'reserved',
  discard: 'reserved',
  deprecatedSiteLocal: 'reserved',
};
const AZURE_PLATFORM: Network = [ipaddr.parse('168.63.129.16'), 32];
/** `::a.b.c.d`, IPv4-compatible: deprecated (RFC 4291 §2.5.5.1), never a real target. */
const V4_COMPATIBLE: Network = [ipaddr.parse('::'), 96];

/**
 * A policy from CIDR lists (each entry as `parseNetworks` accepts it). An allowed network wins over
 * a default block; a blocked one wins over everything. Without lists: the defaults only, where
 * private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) are allowed.
 * @throws TypeError on an entry that is not a network (validate with `parseNetworks` first).
 */
export function networkPolicy(lists: { readonly allowed?: readonly string[]; readonly blocked?: readonly string[] } = {}): NetworkPolicy {
  const allowed = (lists.allowed ?? []).map(network);
  const blocked = (lists.blocked ?? []).map(network);
  return {
    check(address) {
      const parsed = parse(address);
      if (!parsed) return { ok: false, addressClass: 'not an IP address' };
      const views = [parsed, ...embedded(parsed)];
      if (views.some((view) => within(view, blocked))) return { ok: false, addressClass: BLOCKED_BY_SETTING };
      if (views.some((view) => within(view, allowed))) return { ok: true };
      for (const view of views) {
        const addressClass = defaultClass(view);
        if (addressClass) return { ok: false, addressClass, ...(view === parsed ? {} : { embeds: view.toString() }) };
      }
      return { ok: true };
    },
  };
}

/**
 * A comma-separated list of networks (`10.0.0.0/8, fd00::/8`; a bare address is one host), for the
 * settings. Normalised entries, or a sentence naming the first bad one.
 */
export function parseNetworks(text: string): { readonly ok: true; readonly networks: string[] } | { readonly ok: false; readonly message: string } {
  const networks: string[] = [];
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const parsed = tryNetwork(entry);
    if (!parsed) return { ok: false, message: `"${entry}" is not a network: write CIDRs such as 10.0.0.0/8 or fd00::/8, separated by commas` };
    networks.push(`${parsed[0].toString()}/${parsed[1]}`);
  }
  return { ok: true, networks };
}

/** A refused address, named for messages. */
export interface Refusal {
  readonly address: string;
  readonly addressClass: string;
  readonly embeds?: string;
}

/**
 * The host of `url` when it is an IP literal the policy refuses (WHATWG URL parsing has already made
 * `2130706433`, `0177.0.0.1` or `0x7f000001` into `127.0.0.1`); `undefined` for a host name, an
 * allowed address or an unparseable URL.
 */
export function refusedUrlHost(url: string, policy: NetworkPolicy): Refusal | undefined {
  if (!URL.canParse(url)) return undefined;
  const host = new URL(url).hostname;
  const literal = host.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(host);
  if (!literal) return undefined;
  const check = policy.check(host);
  return check.ok ? undefined : { address: host.replace(/^\[|\]$/g, ''), ...refusalOf(check) };
}

/** The first of `addresses` (what `hostname` resolved to) the policy refuses, if any. */
export function refusedAddress(policy: NetworkPolicy, addresses: readonly string[]): Refusal | undefined {
  for (const address of addresses) {
    const check = policy.check(address);
    if (!check.ok) return { address, ...refusalOf(check) };
  }
  return undefined;
}

/**
 * Why a connection is refused, for the run's message: `127.0.0.1 is loopback, which
 * PULSECHECK_ALLOWED_NETWORKS does not allow`; `hostname`, when given, is named with its address.
 */
export function describeRefusal(refusal: Refusal, hostname?: string): string {
  const who = hostname && hostname.replace(/^\[|\]$/g, '') !== refusal.address ? `${hostname} (${refusal.address})` : refusal.address;
  if (refusal.addressClass === BLOCKED_BY_SETTING) return `${who} is ${BLOCKED_BY_SETTING}`;
  const inside = refusal.embeds ? ` (it embeds ${refusal.embeds})` : '';
  return `${who} is ${refusal.addressClass}${inside}, which PULSECHECK_ALLOWED_NETWORKS does not allow`;
}

const refusalOf = (check: Extract<AddressCheck, { ok: false }>) => ({ addressClass: check.addressClass, ...(check.embeds ? { embeds: check.embeds } : {}) });

function parse(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return ipaddr.isValid(bare) ? ipaddr.parse(bare) : undefined;
}

function tryNetwork(text: string): Network | undefined {
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text) || ipaddr.IPv6.isValidCIDR(text)) return ipaddr.parseCIDR(text);
  if (ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text)) {
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  }
  return undefined;
}

function network(text: string): Network {
  const parsed = tryNetwork(text.trim());
  if (!parsed) throw new TypeError(`"${text}" is not a network`);
  return parsed;
}

const within = (address: Address, networks: readonly Network[]) =>
  networks.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));

/** The IPv4 addresses an IPv6 address carries to an IPv4 host: mapped, NAT64, 6to4, Teredo. */
function embedded(address: Address): ipaddr.IPv4[] {
  if (address.kind() === 'ipv4') return [];
  const p = (i: number) => (address as ipaddr.IPv6).parts[i] ?? 0;
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (address.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
    case 'rfc6052': // NAT64, 64:ff9b::a.b.c.d
      return [v4(p(6), p(7))];
    case '6to4': // 2002:AABB:CCDD::
      return [v4(p(1), p(2))];
    case 'teredo': // 2001:0:server:flags:port:client, the client's address inverted
      return [v4(p(2), p(3)), v4(~p(6) & 0xffff, ~p(7) & 0xffff)];
    default:
      return [];
  }
}

function defaultClass(address: Address): string | undefined {
  if (address.kind() === 'ipv4') return within(address, [AZURE_PLATFORM]) ? 'azure-platform' : V4_CLASSES[address.range()];
  const named = V6_CLASSES[address.range()];
  return named ?? (within(address, [V4_COMPATIBLE]) ? 'reserved' : undefined);
}
