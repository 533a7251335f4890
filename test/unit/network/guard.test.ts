import { describe, expect, it } from 'vitest';
import {
  BLOCKED_BY_SETTING,
  describeRefusal,
  networkPolicy,
  parseNetworks,
  refusedAddress,
  refusedUrlHost,
} from '../../../src/domain/network.js';
import { classifyErrorCode } from '../../../src/adapters/undici-prober/errorCodes.js';
import { BLOCKED_TARGET_CODE } from '../../../src/adapters/target-guard/guardedConnector.js';
import { isTransient, judge, type Attempt } from '../../../src/domain/outcome.js';
import { parseCondition, type Condition } from '../../../src/domain/conditions/index.js';

const defaults = networkPolicy();

// [URL as a job would give it, the address it names, the class refused (undefined: allowed)]
const forms: Array<readonly [url: string, address: string, addressClass: string | undefined]> = [
  ['http://127.0.0.1/', '127.0.0.1', 'loopback'],
  ['http://2130706433/', '127.0.0.1', 'loopback'], // decimal
  ['http://0177.0.0.1/', '127.0.0.1', 'loopback'], // octal
  ['http://0x7f000001/', '127.0.0.1', 'loopback'], // hex
  ['http://127.1/', '127.0.0.1', 'loopback'], // short
  ['http://127.255.255.254:8080/x', '127.255.255.254', 'loopback'],
  ['http://[::1]/', '::1', 'loopback'],
  ['http://[0:0:0:0:0:0:0:1]/', '::1', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'], // IPv4-mapped, dotted
  ['http://[::ffff:7f00:1]/', '::ffff:7f00:1', 'loopback'], // IPv4-mapped, hex
  ['http://[::ffff:0:7f00:1]/', '::ffff:0:7f00:1', 'loopback'], // IPv4-translated (RFC 6145)
  ['http://[64:ff9b::7f00:1]/', '64:ff9b::7f00:1', 'loopback'], // NAT64
  ['http://[2002:7f00:1::]/', '2002:7f00:1::', 'loopback'], // 6to4
  ['http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', '2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo, client 127.0.0.1
  ['http://[::7f00:1]/', '::7f00:1', 'reserved'], // IPv4-compatible (deprecated)
  ['http://0.0.0.0/', '0.0.0.0', 'unspecified'],
  ['http://0/', '0.0.0.0', 'unspecified'],
  ['http://[::]/', '::', 'unspecified'],
  ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'link-local'], // IMDS
  ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'link-local'],
  ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', 'link-local'],
  ['http://[fe80::1]/', 'fe80::1', 'link-local'],
  ['http://168.63.129.16/', '168.63.129.16', 'azure-platform'],
  ['http://[::ffff:168.63.129.16]/', '::ffff:a83f:8110', 'azure-platform'],
  ['http://224.0.0.1/', '224.0.0.1', 'multicast'],
  ['http://[ff02::1]/', 'ff02::1', 'multicast'],
  ['http://255.255.255.255/', '255.255.255.255', 'broadcast'],
  ['http://240.0.0.1/', '240.0.0.1', 'reserved'],
  ['http://[2001:db8::1]/', '2001:db8::1', 'reserved'],
  // Private ranges and public addresses are allowed by default.
  ['http://10.1.2.3/', '10.1.2.3', undefined],
  ['http://172.16.0.1/', '172.16.0.1', undefined],
  ['http://192.168.1.1/', '192.168.1.1', undefined],
  ['http://100.64.0.1/', '100.64.0.1', undefined],
  ['http://[fd00::1]/', 'fd00::1', undefined],
  ['http://[::ffff:10.0.0.1]/', '::ffff:a00:1', undefined],
  ['http://8.8.8.8/', '8.8.8.8', undefined],
  ['http://168.63.129.17/', '168.63.129.17', undefined],
  ['http://[2606:4700:4700::1111]/', '2606:4700:4700::1111', undefined],
  ['http://[2002:808:808::]/', '2002:808:808::', undefined], // 6to4 of 8.8.8.8
  ['http://[64:ff9b::808:808]/', '64:ff9b::808:808', undefined],
];

describe('the target guard by default', () => {
  it.each(forms)('%s as a URL host: %s is %s', (url, address, addressClass) => {
    const refusal = refusedUrlHost(url, defaults);
    expect(refusal?.addressClass).toBe(addressClass);
    if (refusal) expect(refusal.address).toBe(address);
  });

  it.each(forms)('%s as a resolved address: %s is %s', (_url, address, addressClass) => {
    const check = defaults.check(address);
    expect(check.ok).toBe(addressClass === undefined);
    if (!check.ok) expect(check.addressClass).toBe(addressClass);
  });

  it.each(['http://localhost/', 'https://example.com/', 'http://1.2.3.4.example/', 'not a url'])('leaves %s to the connect-time check (not an IP literal)', (url) => {
    expect(refusedUrlHost(url, defaults)).toBeUndefined();
  });

  it('refuses what is not an IP address, rather than guessing', () => {
    expect(defaults.check('localhost')).toEqual({ ok: false, addressClass: 'not an IP address' });
  });

  it('names the IPv4 address an IPv6 one carries', () => {
    expect(defaults.check('::ffff:127.0.0.1')).toEqual({ ok: false, addressClass: 'loopback', embeds: '127.0.0.1' });
    expect(defaults.check('2001:0:4136:e378:8000:63bf:80ff:fffe')).toMatchObject({ ok: false, embeds: '127.0.0.1' });
  });

  it('refuses a name when any one of its addresses is refused', () => {
    expect(refusedAddress(defaults, ['93.184.216.34', '127.0.0.1'])).toEqual({ address: '127.0.0.1', addressClass: 'loopback' });
    expect(refusedAddress(defaults, ['93.184.216.34', '10.0.0.1'])).toBeUndefined();
  });
});

describe('allow and block lists', () => {
  const loopback = networkPolicy({ allowed: ['127.0.0.0/8', '::1/128'] });

  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true], // the embedded address is in an allowed network
    ['169.254.169.254', false], // still link-local
    ['168.63.129.16', false],
    ['10.0.0.1', true],
  ] as const)('PULSECHECK_ALLOWED_NETWORKS=127.0.0.0/8,::1/128 widens: %s → %s', (address, ok) => {
    expect(loopback.check(address).ok).toBe(ok);
  });

  const closed = networkPolicy({ allowed: ['127.0.0.0/8'], blocked: ['10.0.0.0/8', '127.0.0.2', 'fd00::/8'] });

  it.each([
    ['10.1.2.3', BLOCKED_BY_SETTING],
    ['::ffff:10.1.2.3', BLOCKED_BY_SETTING],
    ['fd12::1', BLOCKED_BY_SETTING],
    ['127.0.0.2', BLOCKED_BY_SETTING], // a blocked network wins over an allowed one
    ['127.0.0.1', undefined],
    ['192.168.1.1', undefined],
    ['169.254.169.254', 'link-local'],
  ] as const)('PULSECHECK_BLOCKED_NETWORKS narrows: %s → %s', (address, addressClass) => {
    const check = closed.check(address);
    expect(check.ok ? undefined : check.addressClass).toBe(addressClass);
  });
});

describe('parseNetworks', () => {
  it.each([
    ['', []],
    ['127.0.0.0/8,::1/128', ['127.0.0.0/8', '::1/128']],
    [' 10.0.0.0/8 , fd00::/8 ,', ['10.0.0.0/8', 'fd00::/8']],
    ['10.1.2.3', ['10.1.2.3/32']],
    ['::ffff:127.0.0.1/128', ['::ffff:7f00:1/128']],
  ])('reads %j', (text, networks) => {
    expect(parseNetworks(text)).toEqual({ ok: true, networks });
  });

  it.each(['10.0.0.0/33', '10.0.0/8', 'localhost', '2130706433', '::1/129', '10.0.0.0/8;fd00::/8'])('names the bad entry in %j', (text) => {
    const parsed = parseNetworks(`127.0.0.0/8, ${text}`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(`"${text}" is not a network`);
  });

  it('refuses to build a policy from a bad entry', () => {
    expect(() => networkPolicy({ allowed: ['nope'] })).toThrow(TypeError);
  });
});

describe('describeRefusal', () => {
  it.each([
    [{ address: '127.0.0.1', addressClass: 'loopback' }, undefined, '127.0.0.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
    [{ address: '127.0.0.1', addressClass: 'loopback' }, 'localhost', 'localhost (127.0.0.1) is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
    [{ address: '::ffff:7f00:1', addressClass: 'loopback', embeds: '127.0.0.1' }, undefined, '::ffff:7f00:1 is loopback (it embeds 127.0.0.1), which PULSECHECK_ALLOWED_NETWORKS does not allow'],
    [{ address: '10.0.0.1', addressClass: BLOCKED_BY_SETTING }, 'db.internal', 'db.internal (10.0.0.1) is blocked by PULSECHECK_BLOCKED_NETWORKS'],
  ])('%j via %s', (refusal, hostname, message) => {
    expect(describeRefusal(refusal, hostname)).toBe(message);
  });
});

describe('a refused connection in the verdict', () => {
  const blocked: Attempt = {
    type: 'failure',
    kind: 'blocked-target',
    message: '127.0.0.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow',
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 1 },
  };
  const connected = parseCondition('[CONNECTED] == false') as Condition;

  it('is error / blocked-target, never down, whatever the conditions, and not retried', () => {
    expect(classifyErrorCode(BLOCKED_TARGET_CODE)).toBe('blocked-target');
    expect(isTransient(blocked)).toBe(false);
    expect(judge([connected], blocked, 0, { compare: 'full' })).toEqual({
      status: 'error',
      success: false,
      httpStatus: null,
      conditions: [],
      error: { kind: 'blocked-target', message: blocked.message },
    });
  });
});
