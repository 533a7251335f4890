import { NO_SHARED_PARTS } from '../../../src/config/resolveJob.js';
import { describe, expect, it } from 'vitest';
import { compileApiJob } from '../../../src/config/apiJob.js';
import { loadSettings } from '../../../src/config/settings.js';
import { networkPolicy } from '../../../src/domain/network.js';
import { UNRESTRICTED } from '../../../src/domain/sandbox.js';
import { localEnv } from '../../../src/hosts/local/localSettings.js';
import { isPulsecheckError } from '../../../src/domain/errors.js';

const settingsProblems = (env: Record<string, string>): string[] => {
  try {
    loadSettings(env);
  } catch (error) {
    if (isPulsecheckError(error)) return error.issues.map((issue) => issue.message);
    throw error;
  }
  return [];
};

describe('PULSECHECK_ALLOWED_NETWORKS and PULSECHECK_BLOCKED_NETWORKS', () => {
  it('default to none (the guard alone decides) and are read as normalised CIDRs', () => {
    expect(loadSettings({})).toMatchObject({ allowedNetworks: [], blockedNetworks: [] });
    expect(loadSettings({ PULSECHECK_ALLOWED_NETWORKS: '127.0.0.1, fd00::/8', PULSECHECK_BLOCKED_NETWORKS: '10.0.0.0/8' })).toMatchObject({
      allowedNetworks: ['127.0.0.1/32', 'fd00::/8'],
      blockedNetworks: ['10.0.0.0/8'],
    });
  });

  it.each(['PULSECHECK_ALLOWED_NETWORKS', 'PULSECHECK_BLOCKED_NETWORKS'])('%s: a bad entry is a settings error naming it', (setting) => {
    expect(settingsProblems({ [setting]: '10.0.0.0/8,10.0.0.0/33' })).toEqual([
      `${setting} "10.0.0.0/33" is not a network: write CIDRs such as 10.0.0.0/8 or fd00::/8, separated by commas`,
    ]);
  });

  it('the local tools allow loopback unless the setting is given, even empty', () => {
    const dir = '/nonexistent-pulsecheck-dir';
    expect(loadSettings(localEnv(dir, {})).allowedNetworks).toEqual(['127.0.0.0/8', '::1/128']);
    expect(loadSettings(localEnv(dir, { PULSECHECK_ALLOWED_NETWORKS: '' })).allowedNetworks).toEqual([]);
    expect(loadSettings(localEnv(dir, { PULSECHECK_ALLOWED_NETWORKS: '192.0.2.0/24' })).allowedNetworks).toEqual(['192.0.2.0/24']);
  });
});

describe('API jobs: an IP literal the guard refuses is an issue at once', () => {
  const compile = compileApiJob({ TARGET: 'http://127.0.0.1:8080/' }, networkPolicy({ blocked: ['10.9.0.0/16'] }), () => NO_SHARED_PARTS);

  it.each([
    [{ url: 'http://2130706433/' }, 'url', 'url 127.0.0.1 is loopback, which PULSECHECK_ALLOWED_NETWORKS does not allow'],
    [{ url: '${env:TARGET}' }, 'url', 'url 127.0.0.1 is loopback'], // after substitution
    [{ url: 'http://10.9.1.1/' }, 'url', 'url 10.9.1.1 is blocked by PULSECHECK_BLOCKED_NETWORKS: an operator closed that network'],
    [
      { url: 'https://api.example.com/', auth: { type: 'oauth2ClientCredentials', tokenUrl: 'http://[fe80::1]/token', clientId: 'c', secret: 's' } },
      'auth.tokenUrl',
      'auth.tokenUrl fe80::1 is link-local',
    ],
  ])('%j → an issue on %s', (fields, path, message) => {
    const { job, issues } = compile({ name: 'api', every: '1h', ...fields }, UNRESTRICTED);
    expect(job).toBeUndefined();
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });

  it.each(['https://api.example.com/', 'http://10.1.2.3/', 'http://localhost:8080/', 'http://[fd00::1]/'])('accepts %s (private ranges, and names judged at connect time)', (url) => {
    expect(compile({ name: 'api', every: '1h', url }, UNRESTRICTED).issues).toEqual([]);
  });
});
