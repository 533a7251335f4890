import { describe, expect, it } from 'vitest';
import { jobView } from '../../src/app/views.js';
import { INITIAL_STATE } from '../../src/domain/state.js';
import { job } from '../support/jobs.js';

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
