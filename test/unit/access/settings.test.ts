import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/config/settings.js';

describe('access settings', () => {
  it('defaults: App Service Authentication off, no metrics token, 600 reads and 60 writes a minute', () => {
    expect(loadSettings({}).access).toEqual({ easyAuth: false, metricsToken: undefined, statusPage: 'private', statusPublicTag: { name: 'public', value: 'true' }, rateLimits: { read: 600, write: 60 } });
  });

  it.each([
    ['True', true],
    ['true', true],
    [' TRUE ', true],
    ['False', false],
    ['1', false],
    ['', false],
  ])('WEBSITE_AUTH_ENABLED=%j turns App Service Authentication trust %s', (value, on) => {
    expect(loadSettings({ WEBSITE_AUTH_ENABLED: value }).access.easyAuth).toBe(on);
  });

  it.each([
    ['a 32-character token', 'abcdefghijklmnopqrstuvwxyz012345', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['blank', '  ', undefined],
    ['an unresolved Key Vault reference (unset: /api/metrics falls back to keys)', '@Microsoft.KeyVault(VaultName=kv;SecretName=metrics-token)', undefined],
  ])('PULSECHECK_METRICS_TOKEN: %s', (_case, value, token) => {
    expect(loadSettings({ PULSECHECK_METRICS_TOKEN: value }).access.metricsToken).toBe(token);
  });

  it.each([
    ['too short', 'short-token', 'PULSECHECK_METRICS_TOKEN must be at least 16 printable characters'],
    ['with a space', 'sixteen chars plus', 'PULSECHECK_METRICS_TOKEN must be at least 16 printable characters'],
  ])('rejects a metrics token %s, naming the setting', (_case, value, message) => {
    expect(() => loadSettings({ PULSECHECK_METRICS_TOKEN: value })).toThrow(message);
  });

  it('reads the rate limits; 0 is unlimited, a negative or fractional number is refused', () => {
    expect(loadSettings({ PULSECHECK_RATE_LIMIT_READS: '0', PULSECHECK_RATE_LIMIT_WRITES: '5' }).access.rateLimits).toEqual({ read: 0, write: 5 });
    expect(() => loadSettings({ PULSECHECK_RATE_LIMIT_WRITES: '-1' })).toThrow('PULSECHECK_RATE_LIMIT_WRITES "-1" must be an integer from 0 to 1000000');
    expect(() => loadSettings({ PULSECHECK_RATE_LIMIT_READS: '1.5' })).toThrow('PULSECHECK_RATE_LIMIT_READS');
  });
});
