import { describe, expect, it } from 'vitest';
import { jobView, jobViewJson } from '../../../src/app/views.js';
import { INITIAL_STATE, type JobState } from '../../../src/domain/state.js';
import { job } from '../../support/jobs.js';

describe('jobView: what GET /api/jobs shows of a job', () => {
  it.each([
    ['Authorization', 'Bearer ${secret:api-token}', 'Bearer ${secret:api-token}'],
    ['Authorization', '${env:AUTH_HEADER:-none}', '${env:AUTH_HEADER:-none}'],
    ['Authorization', 'Bearer sk_live_literal', '***'],
    ['Authorization', 'Basic abc${secret:x}', '***'],
    ['Cookie', 'session=${secret:session}', '***'],
    ['X-Api-Key', 'literal-key', '***'],
    ['X-Client', 'pulsecheck', 'pulsecheck'],
    ['X-Token', 'Token ${secret:api-token}', 'Token ${secret:api-token}'],
  ])('%s: %s is shown as %s', (name, value, shown) => {
    const view = jobView(job({ url: 'https://a.test/', headers: { [name]: value } }), INITIAL_STATE, 0);
    expect(view.headers).toEqual({ [name]: shown });
  });

  it('shows auth as written: secret names, never values', () => {
    const auth = { type: 'oauth2ClientCredentials', tokenUrl: 'https://login.test/token', clientId: 'app', secret: 'client-secret' } as const;
    expect(jobView(job({ url: 'https://a.test/', auth }), INITIAL_STATE, 0).auth).toEqual(auth);
    expect(jobView(job({ url: 'https://a.test/' }), INITIAL_STATE, 0).auth).toEqual({ type: 'none' });
  });
});

const down: JobState = {
  health: 'DOWN',
  since: '2026-11-23T12:00:00.000Z',
  consecutiveFailures: 2,
  consecutiveSuccesses: 0,
  lastRun: { runId: 'r', status: 'down', startedAt: '2026-11-23T12:00:00.000Z', durationMs: 3, httpStatus: 503, error: { kind: 'conditions', message: '[STATUS] (503) == 200' } },
};

describe('jobViewJson is JSON.stringify(jobView) made from cached text', () => {
  it.each([
    ['a plain job', job({ url: 'https://x.test/health' }), INITIAL_STATE],
    ['a disabled job with description, secrets and tags', job({ url: 'https://u:pw@x.test/?code=k', enabled: false, description: 'd "quoted"', headers: { Authorization: 'Bearer x', 'x-client': '${env:C:-c}' }, tags: { t: '1' } }), down],
    ['a cron job without circuit breaker', job({ url: 'https://x.test/', schedule: '0 */5 * * * *', timezone: 'Europe/Amsterdam', circuitBreaker: false }), down],
    ['an API job with a revision', { ...job({ url: 'https://x.test/' }), source: 'api' as const, revision: 'abc' }, INITIAL_STATE],
  ])('%s', (_name, target, state) => {
    const now = Date.parse('2026-11-23T12:00:07.000Z');
    expect(jobViewJson(target, state, now)).toBe(JSON.stringify(jobView(target, state, now)));
    expect(jobViewJson(target, state, now + 60_000)).toBe(JSON.stringify(jobView(target, state, now + 60_000)));
  });
});
