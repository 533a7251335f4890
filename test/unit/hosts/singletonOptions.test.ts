import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultHostId, singletonOptions } from '../../../src/hosts/local/singletonOptions.js';

const folder = (hostJson?: unknown): string => {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-singleton-'));
  if (hostJson !== undefined) writeFileSync(join(dir, 'host.json'), typeof hostJson === 'string' ? hostJson : JSON.stringify(hostJson));
  return dir;
};

describe('singletonOptions (host.json `singleton`, as the Functions host reads it)', () => {
  it.each([
    { case: 'no host.json: the platform defaults', hostJson: undefined, expected: { lockPeriodMs: 60_000, recoveryPollingMs: 60_000 } },
    { case: 'no singleton section', hostJson: { version: '2.0' }, expected: { lockPeriodMs: 60_000, recoveryPollingMs: 60_000 } },
    {
      case: 'both set',
      hostJson: { singleton: { listenerLockPeriod: '00:00:15', listenerLockRecoveryPollingInterval: '00:00:05' } },
      expected: { lockPeriodMs: 15_000, recoveryPollingMs: 5_000 },
    },
    { case: 'fractional seconds', hostJson: { singleton: { listenerLockRecoveryPollingInterval: '00:00:00.5' } }, expected: { lockPeriodMs: 60_000, recoveryPollingMs: 500 } },
  ])('$case', ({ hostJson, expected }) => {
    expect(singletonOptions(folder(hostJson))).toEqual(expected);
  });

  it.each([
    { case: 'a period below a blob lease', hostJson: { singleton: { listenerLockPeriod: '00:00:10' } }, message: /listenerLockPeriod must be from 00:00:15 to 00:01:00/ },
    { case: 'a period above a blob lease', hostJson: { singleton: { listenerLockPeriod: '00:02:00' } }, message: /listenerLockPeriod must be from/ },
    { case: 'not a time span', hostJson: { singleton: { listenerLockRecoveryPollingInterval: 5 } }, message: /listenerLockRecoveryPollingInterval must be a time span "hh:mm:ss"/ },
    { case: 'not JSON', hostJson: '{', message: /host\.json is not valid JSON/ },
  ])('refuses $case, naming the key', ({ hostJson, message }) => {
    expect(() => singletonOptions(folder(hostJson))).toThrow(message);
  });
});

describe('defaultHostId (func start without AzureFunctionsWebHost__hostid)', () => {
  it('is the same for one folder, differs between folders, and keeps the Functions host id rule', () => {
    const [a, b] = [folder(), folder()] as [string, string];
    expect(defaultHostId(a)).toBe(defaultHostId(a));
    expect(defaultHostId(a)).not.toBe(defaultHostId(b));
    expect(defaultHostId(a)).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/);
  });
});
