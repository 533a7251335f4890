import azure from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { PulsecheckError, dependencyUnavailable } from '../../../src/domain/errors.js';
import {
  API_CSP,
  HTML_CSP,
  MAX_JSON_DEPTH,
  ifMatchOf,
  jobNameParam,
  jsonDepth,
  problem,
  readJsonBody,
  securityHeaders,
  withSecurityHeaders,
} from '../../../src/functions/http.js';

const { HttpRequest, HttpResponse, InvocationContext } = azure;

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const post = (body: string) =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/jobs', headers: { 'content-type': 'application/json' }, body: { string: body } });

/** The thrown error of `fn`, as a problem response. */
function problemOf(fn: () => unknown): { status: number; code: string; detail: string; issues?: Array<{ path: string; message: string }> } {
  try {
    fn();
  } catch (error) {
    return problem(error).jsonBody;
  }
  throw new Error('did not throw');
}

describe('jsonDepth: nesting counted by one linear scan', () => {
  it.each([
    ['a scalar', '1', 0],
    ['an empty object', '{}', 1],
    ['an empty array', '[]', 1],
    ['siblings do not add up', '[[1],[2],{"a":[3]}]', 3],
    ['brackets inside strings do not count', '{"a":"[[[{{{"}', 1],
    ['an escaped quote does not end the string', '["\\"[[[", "\\\\"]', 1],
    ['3,000 arrays', nested(3_000), 3_000],
    ['3,000 objects', objects(3_000), 3_000],
    ['stray closers first do not hide what follows', ']]]][[', 2],
  ])('%s → %i', (_what, text, depth) => {
    expect(jsonDepth(text)).toBe(depth);
  });

  it('stops counting past the limit, so a huge body costs no more than it must', () => {
    expect(jsonDepth(nested(500_000), 64)).toBe(65);
  });
});

describe(`readJsonBody: at most ${MAX_JSON_DEPTH} levels`, () => {
  it.each([
    ['arrays at the limit', nested(MAX_JSON_DEPTH), true],
    ['objects at the limit', objects(MAX_JSON_DEPTH), true],
    ['arrays one past the limit', nested(MAX_JSON_DEPTH + 1), false],
    ['objects one past the limit', objects(MAX_JSON_DEPTH + 1), false],
    ['3,000 levels (the fuzz finding)', nested(3_000), false],
    ['brackets in a string', JSON.stringify({ name: '['.repeat(5_000) }), true],
  ])('%s → %s', async (_what, body, accepted) => {
    const result = readJsonBody(post(body));
    if (accepted) {
      await expect(result).resolves.toBeDefined();
      return;
    }
    const error = (await result.catch((e: unknown) => e)) as PulsecheckError;
    expect(problem(error)).toMatchObject({ status: 400, jsonBody: { code: 'validation_failed', detail: expect.stringContaining(`the limit is ${MAX_JSON_DEPTH}`) } });
    expect(error.issues).toEqual([{ path: '', message: expect.stringContaining(`more than ${MAX_JSON_DEPTH} levels deep`) }]);
  });
});

describe('a dependency fault is a 503 with Retry-After, never a 500', () => {
  const withProps = (error: Error, props: Record<string, unknown>) => Object.assign(error, props);
  it.each([
    ['a named dependency', dependencyUnavailable('Table Storage', new Error('connect ECONNREFUSED 127.0.0.1:1')), 'Table Storage'],
    ['an SDK error with a 503', withProps(new Error('Server Busy'), { name: 'RestError', statusCode: 503 }), undefined],
    ['an SDK error with a 408', withProps(new Error('timeout'), { name: 'RestError', statusCode: 408 }), undefined],
    ['a request given up', withProps(new Error('aborted'), { name: 'AbortError' }), undefined],
    ['a refused connection', withProps(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), undefined],
    ['an undici socket error', withProps(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), undefined],
  ])('%s', (_what, error, dependency) => {
    const answer = problem(error);
    expect(answer).toMatchObject({ status: 503, headers: { 'content-type': 'application/problem+json; charset=utf-8', 'retry-after': '5' } });
    expect(answer.jsonBody).toMatchObject({ code: 'unavailable', status: 503, detail: expect.stringContaining(dependency ?? 'A dependency') });
    expect(answer.jsonBody.dependency).toBe(dependency);
    // Never the SDK's message or a stack: they may hold internals (an account, a host).
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|Server Busy|\bat /);
  });

  it.each([
    ['our own bug', new TypeError('x is undefined')],
    ['an SDK error that rejects the request', Object.assign(new Error('bad'), { name: 'RestError', statusCode: 400 })],
    ['something thrown that is no error', { statusCode: 503 }],
  ])('%s stays a 500 without Retry-After', (_what, error) => {
    const answer = problem(error);
    expect(answer.status).toBe(500);
    expect(answer.headers).not.toHaveProperty('retry-after');
  });

  it('the host starting asks for a shorter wait', () => {
    expect(problem(new PulsecheckError('unavailable', 'starting'), { retryAfterSeconds: 1 }).headers).toMatchObject({ 'retry-after': '1' });
  });
});

describe('security headers', () => {
  const base = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };
  it.each([
    ['a JSON answer', { status: 200, jsonBody: {}, headers: { 'content-type': 'application/json; charset=utf-8' } }, { ...base, 'content-security-policy': API_CSP, 'cache-control': 'no-store' }],
    ['a problem', problem(new PulsecheckError('not_found', 'x')), { ...base, 'content-security-policy': API_CSP, 'cache-control': 'no-store' }],
    ['a 204 without headers', { status: 204 }, { ...base, 'content-security-policy': API_CSP, 'cache-control': 'no-store' }],
    ['an HTML page', { body: '<p>', headers: { 'content-type': 'text/html; charset=utf-8' } }, { ...base, 'content-security-policy': HTML_CSP, 'cache-control': 'no-store' }],
    ['a route with its own cache policy', { body: '<svg/>', headers: { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=60' } }, { ...base, 'cache-control': 'max-age=60' }],
    ['headers given as a Headers object', { headers: new Headers({ 'Content-Type': 'text/html' }) }, { ...base, 'content-security-policy': HTML_CSP }],
    ['a handler that tried to allow framing', { headers: { 'x-frame-options': 'ALLOWALL', 'x-content-type-options': 'sniff' } }, base],
  ])('%s', (_what, init, expected) => {
    expect(securityHeaders(init).headers).toMatchObject(expected);
  });

  it('the HTML policy forbids framing, scripts and other origins', () => {
    expect(HTML_CSP).toContain("frame-ancestors 'none'");
    expect(HTML_CSP).toContain("default-src 'none'");
    expect(HTML_CSP).not.toMatch(/script-src|unsafe|\*/);
  });

  it('withSecurityHeaders covers answers given as an init and as an HttpResponse', async () => {
    const request = new HttpRequest({ method: 'GET', url: 'http://localhost/api/x' });
    const asInit = await withSecurityHeaders(() => ({ status: 404 }))(request, new InvocationContext());
    expect(asInit.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
    const asResponse = (await withSecurityHeaders(() => new HttpResponse({ status: 200, body: 'x' }))(request, new InvocationContext())) as InstanceType<typeof HttpResponse>;
    expect(asResponse.headers.get('x-content-type-options')).toBe('nosniff');
    expect(asResponse.headers.get('content-security-policy')).toBe(API_CSP);
  });
});

describe('If-Match is required', () => {
  const withIfMatch = (value?: string) =>
    new HttpRequest({ method: 'PUT', url: 'http://localhost/api/jobs/a', ...(value === undefined ? {} : { headers: { 'if-match': value } }) });

  it('absent → 428 precondition_required, telling to send the ETag from GET', () => {
    expect(problemOf(() => ifMatchOf(withIfMatch()))).toMatchObject({
      status: 428,
      code: 'precondition_required',
      detail: expect.stringContaining('send the ETag from GET'),
      issues: [{ path: 'If-Match' }],
    });
    expect(problem(new PulsecheckError('precondition_required', 'x')).jsonBody.title).toBe('Precondition Required');
  });

  it.each([
    ['*', { any: true }],
    ['"abc"', { etags: ['abc'] }],
    ['W/"abc", "def"', { etags: ['abc', 'def'] }],
    ['', { etags: [] }],
  ])('%j → %j', (header, expected) => {
    expect(ifMatchOf(withIfMatch(header))).toEqual(expected);
  });
});

describe('jobNameParam: a {name} no job can have is a 400 naming name', () => {
  const withName = (name: string) => new HttpRequest({ method: 'GET', url: 'http://localhost/api/jobs/x', params: { name } });

  it.each(['a', 'billing-api_2', 'A'.repeat(63)])('%s is a name', (name) => {
    expect(jobNameParam(withName(name))).toBe(name);
  });

  it.each([
    ['a slash', 'a/b'],
    ['an encoded slash', 'a%2Fb'],
    ['a percent sign', '%'],
    ['dots', '..'],
    ['nothing', ''],
    ['a space', ' '],
    ['a leading dash', '-a'],
    ['a letter beyond ASCII', 'é'],
    ['64 characters', 'a'.repeat(64)],
    ['5,000 characters', 'x'.repeat(5_000)],
  ])('%s → 400 on name', (_what, name) => {
    const body = problemOf(() => jobNameParam(withName(name)));
    expect(body).toMatchObject({ status: 400, code: 'validation_failed', issues: [{ path: 'name', message: expect.stringContaining('must be 1-63 letters') }] });
    expect(body.detail.length).toBeLessThan(300);
  });
});

describe('status of the new codes', () => {
  it.each([
    ['misdirected_request', 421, 'Misdirected Request'],
    ['precondition_required', 428, 'Precondition Required'],
  ] as const)('%s → %i %s', (code, status, title) => {
    expect(problem(new PulsecheckError(code, 'x')).jsonBody).toMatchObject({ status, title, code });
  });
});
