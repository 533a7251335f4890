import { describe, expect, it } from 'vitest';
import { RequestPolicy, type Prepare, type SendAttempt } from '../../../src/app/policy.js';
import type { BaseProbe, Prepared } from '../../../src/app/requestAuth.js';
import type { Attempt } from '../../../src/domain/outcome.js';
import { job } from '../../support/jobs.js';

const TIMINGS = { dns: 0, connect: 0, tls: 0, firstByte: 1, total: 1 };
const answer = (status: number): Attempt => ({ type: 'response', status, headers: {}, timings: TIMINGS });
const probe = (token: string): BaseProbe => ({ url: 'https://api.example.com/', method: 'GET', headers: { authorization: `Bearer ${token}` }, readBody: false, insecureSkipVerify: false });
const ready = (token: string): Prepared => ({ ok: true, probe: probe(token), values: [token] });
const UNAVAILABLE: Prepared = { ok: false, message: 'secret "api-token" is unavailable' };

const bearer = job({ url: 'https://api.example.com/', auth: { type: 'bearer', secret: 'api-token' }, retry: { maxAttempts: 1 } });
const plain = job({ url: 'https://api.example.com/', retry: { maxAttempts: 1 } });

/**
 * Runs the policy with `prepared[0]` first and `prepared[1]` when asked to refresh; the target answers
 * 200 to `accepts` and 401 to any other token. Returns the result and what was sent, in order.
 */
async function send(target = bearer, prepared: Prepared[], accepts = 'new') {
  const refreshes: boolean[] = [];
  const sent: Array<{ n: number; token: string | undefined }> = [];
  const prepare: Prepare = (refresh) => {
    refreshes.push(refresh);
    return (refresh ? prepared[1] : prepared[0]) ?? UNAVAILABLE;
  };
  const attempt: SendAttempt = async (request, n) => {
    const token = request.headers.authorization?.slice('Bearer '.length);
    sent.push({ n, token });
    return answer(token === accepts ? 200 : 401);
  };
  const result = await new RequestPolicy(target, Date.now).execute(prepare, attempt, new AbortController().signal);
  return { result, sent, refreshes };
}

describe('RequestPolicy: the re-send with fresh credentials after a 401/403', () => {
  it.each([
    {
      name: 'a refused request is sent again when the credentials read again changed (a rotated secret)',
      prepared: [ready('old'), ready('new')],
      sent: [{ n: 1, token: 'old' }, { n: 2, token: 'new' }],
      result: { ok: true, attempts: 2, values: ['old', 'new'], final: answer(200) },
      refreshes: [false, true],
    },
    {
      name: 'the refusal stands when the credentials read again are the same',
      prepared: [ready('old'), ready('old')],
      sent: [{ n: 1, token: 'old' }],
      result: { ok: true, attempts: 1, values: ['old'], final: answer(401) },
      refreshes: [false, true],
    },
    {
      name: 'the refusal stands when the credentials cannot be read again',
      prepared: [ready('old'), UNAVAILABLE],
      sent: [{ n: 1, token: 'old' }],
      result: { ok: true, attempts: 1, values: ['old'], final: answer(401) },
      refreshes: [false, true],
    },
    {
      name: 'an accepted request is sent once and its credentials are not read again',
      prepared: [ready('new')],
      sent: [{ n: 1, token: 'new' }],
      result: { ok: true, attempts: 1, values: ['new'], final: answer(200) },
      refreshes: [false],
    },
    {
      name: 'nothing is sent when the credentials cannot be read',
      prepared: [UNAVAILABLE],
      sent: [],
      result: UNAVAILABLE,
      refreshes: [false],
    },
  ])('$name', async ({ prepared, sent, result, refreshes }) => {
    const outcome = await send(bearer, prepared);
    expect(outcome.result).toEqual(result);
    expect(outcome.sent).toEqual(sent);
    expect(outcome.refreshes).toEqual(refreshes);
  });

  it('never re-sends for a job that carries no credentials: a 401 is its answer', async () => {
    const outcome = await send(plain, [{ ok: true, probe: probe('none'), values: [] }]);
    expect(outcome.result).toMatchObject({ ok: true, attempts: 1, final: answer(401) });
    expect(outcome.refreshes).toEqual([false]);
  });
});
