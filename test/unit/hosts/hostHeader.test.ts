import { describe, expect, it } from 'vitest';
import { allowedHosts, checkHost, hostNameOf } from '../../../src/hosts/local/hostHeader.js';

describe('the local host serves loopback names and WEBSITE_HOSTNAME only (DNS rebinding)', () => {
  const hosts = allowedHosts('pulsecheck.test:8080');

  it.each([
    ['localhost:7071', 'ok'],
    ['LOCALHOST', 'ok'],
    ['127.0.0.1:1', 'ok'],
    ['[::1]:7071', 'ok'],
    ['[::1]', 'ok'],
    ['pulsecheck.test', 'ok'],
    ['pulsecheck.test:9', 'ok'],
    ['evil.example:7071', 'misdirected'],
    ['localhost.evil.example', 'misdirected'],
    ['127.0.0.2', 'misdirected'],
    ['2130706433', 'misdirected'],
    ['[::ffff:127.0.0.1]', 'misdirected'],
    ['0.0.0.0:7071', 'misdirected'],
    [undefined, 'malformed'],
    ['', 'malformed'],
    [' ', 'malformed'],
    ['localhost:7071/api', 'malformed'],
    ['user@localhost', 'malformed'],
    ['local host', 'malformed'],
    ['localhost:', 'malformed'],
    ['localhost:99999', 'malformed'],
    ['localhost:7071:7071', 'malformed'],
    ['[::1', 'malformed'],
    ['[::1%25lo]', 'malformed'],
    ['%6cocalhost', 'malformed'],
    ['x'.repeat(300), 'malformed'],
  ])('Host %j → %s', (header, verdict) => {
    expect(checkHost(header, hosts)).toBe(verdict);
  });

  it.each([
    [undefined, ['localhost', '127.0.0.1', '[::1]']],
    ['127.0.0.1:7071', ['localhost', '127.0.0.1', '[::1]']],
    ['App.Example.NET', ['localhost', '127.0.0.1', '[::1]', 'app.example.net']],
    ['https://app.example.net/', ['localhost', '127.0.0.1', '[::1]']],
  ])('WEBSITE_HOSTNAME %j → %j', (setting, expected) => {
    expect([...allowedHosts(setting)]).toEqual(expected);
  });

  it('takes the name of a Host header, lowercased, without its port', () => {
    expect(hostNameOf('Example.TEST:443')).toBe('example.test');
  });
});
