import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../../src/config/jobsFile.js';
import { jobsJsonSchema } from '../../../src/config/jobsSchema.js';
import { loadSettings } from '../../../src/config/settings.js';
import { substituteEnv } from '../../../src/config/substitute.js';
import { isPulsecheckError } from '../../../src/domain/errors.js';
import { jobsFileText as file, problems } from '../../support/jobs.js';

describe('jobs file', () => {
  it('accepts the shipped jobs.config.json', () => {
    const jobs = parseJobsFile(readFileSync('jobs.config.json', 'utf8'), {});
    expect(jobs.map((j) => j.name)).toContain('selfHealth');
    expect(jobs.filter((j) => j.enabled).every((j) => j.url.startsWith('http://127.0.0.1:7071/'))).toBe(true);
  });

  it('keeps jobs.schema.json in step with the zod schema (regenerate with `npm run schema`)', () => {
    const committed = JSON.parse(readFileSync('jobs.schema.json', 'utf8')) as unknown;
    expect(committed).toEqual(jobsJsonSchema());
  });

  it('applies defaults, built-in defaults and overrides', () => {
    const [a, b] = parseJobsFile(
      file(
        [
          { name: 'a', url: 'https://a.test/h' },
          { name: 'b', url: 'https://b.test/h', every: '30s', timeoutSeconds: 2, retry: { maxAttempts: 1 }, circuitBreaker: false, headers: { 'X-B': '2' } },
        ],
        { schedule: '0 */5 * * * *', timeoutSeconds: 7, headers: { 'X-A': '1' }, tags: { team: 'core' } },
      ),
      {},
    );
    expect(a).toMatchObject({
      method: 'GET',
      timeoutMs: 7_000,
      enabled: true,
      tags: { team: 'core' },
      headers: { 'x-a': '1', 'user-agent': 'Pulsecheck' },
      retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5_000, deadlineMs: 26_000 },
      circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 60_000 },
      schedule: { kind: 'cron', expression: '0 */5 * * * *', timezone: 'UTC' },
    });
    expect(a?.conditions.map((c) => c.source)).toEqual(['[STATUS] >= 200', '[STATUS] < 300']);
    expect(b).toMatchObject({
      timeoutMs: 2_000,
      retry: { maxAttempts: 1, deadlineMs: 7_000 },
      circuitBreaker: null,
      headers: { 'x-a': '1', 'x-b': '2' },
      schedule: { kind: 'every', everyMs: 30_000 },
    });
  });

  it('substitutes ${env:NAME} (with :-fallback) in url, headers and body, and keeps the definition as written', () => {
    const [job] = parseJobsFile(
      file([
        {
          name: 'a',
          url: 'https://${env:HOST}/h?x=${env:MISSING:-none}',
          method: 'POST',
          headers: { 'X-Token': '${env:TOKEN}' },
          body: { who: '${env:HOST}', n: 1 },
        },
      ]),
      { HOST: 'api.test', TOKEN: 't0k' },
    );
    expect(job?.url).toBe('https://api.test/h?x=none');
    expect(job?.headers['x-token']).toBe('t0k');
    expect(job?.body).toBe('{"who":"api.test","n":1}');
    expect(job?.headers['content-type']).toBe('application/json');
    expect(job?.definition.url).toBe('https://${env:HOST}/h?x=${env:MISSING:-none}');
  });

  it.each([
    [
      'a 4-field schedule',
      [{ name: 'billing', url: 'https://b.test', schedule: '0 */5 * *' }],
      'jobs[0] "billing": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)',
    ],
    ['both schedule and every', [{ name: 'a', url: 'https://a.test', schedule: '* * * * *', every: '1m' }], 'jobs[0] "a": schedule and every are mutually exclusive (set one of them)'],
    ['a bad interval', [{ name: 'a', url: 'https://a.test', every: '10 minutes' }], 'jobs[0] "a": every "10 minutes" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")'],
    ['a bad time zone', [{ name: 'a', url: 'https://a.test', schedule: '* * * * *', timezone: 'Mars/Olympus' }], 'jobs[0] "a": timezone "Mars/Olympus" is not an IANA time zone (e.g. "Europe/Amsterdam", "UTC")'],
    ['a relative url', [{ name: 'a', url: '/health' }], 'jobs[0] "a": url "/health" is not an absolute http(s) URL'],
    ['an unset variable', [{ name: 'a', url: 'https://${env:API_HOST}/h' }], 'jobs[0] "a": url references ${env:API_HOST}, which is not set'],
    ['a missing url', [{ name: 'a' }], 'jobs[0] "a": url is required (expected string)'],
    ['a wrong type', [{ name: 'a', url: 'https://a.test', timeoutSeconds: '10' }], 'jobs[0] "a": timeoutSeconds must be a number (got string)'],
    ['an unknown field', [{ name: 'a', url: 'https://a.test', shedule: '* * * * *' }], 'jobs[0] "a": unknown field "shedule"'],
    ['a bad method', [{ name: 'a', url: 'https://a.test', method: 'FETCH' }], 'jobs[0] "a": method must be one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"'],
    ['an unsafe name', [{ name: 'a/b', url: 'https://a.test' }], 'jobs[0] "a/b": name must be 1-63 letters, digits, "-" or "_", starting with a letter or digit'],
    ['a duplicate name', [{ name: 'a', url: 'https://a.test' }, { name: 'A', url: 'https://a.test' }], 'jobs[1] "A": name is already used by jobs[0] (names are unique, ignoring case)'],
    ['an unknown placeholder', [{ name: 'a', url: 'https://a.test', conditions: ['[STAUTS] == 200'] }], 'jobs[0] "a": conditions[0] "[STAUTS] == 200": unknown placeholder [STAUTS] (expected one of [STATUS], [RESPONSE_TIME], [BODY], [HEADERS], [CERTIFICATE_EXPIRATION], [CONNECTED])'],
    ['a bad operator', [{ name: 'a', url: 'https://a.test', conditions: ['[STATUS] = 200'] }], 'jobs[0] "a": conditions[0] "[STATUS] = 200" has no operator (expected <placeholder> <operator> <value>, with one of == != <= >= < > between spaces)'],
    ['a bad JSON path', [{ name: 'a', url: 'https://a.test', conditions: ['[BODY].items[first] == 1'] }], 'jobs[0] "a": conditions[0] "[BODY].items[first] == 1": bad JSON path ".items[first]" (expected .key or [index] segments, e.g. [BODY].data[0].status)'],
    ['a condition over 1000 characters', [{ name: 'a', url: 'https://a.test', conditions: [`[BODY] == ${'x'.repeat(1_000)}`] }], 'jobs[0] "a": conditions[0] must have at most 1000 characters'],
    ['a retry out of range', [{ name: 'a', url: 'https://a.test', retry: { maxAttempts: 0 } }], 'jobs[0] "a": retry.maxAttempts must be at least 1'],
    ['a deadline shorter than the timeout', [{ name: 'a', url: 'https://a.test', timeoutSeconds: 10, retry: { deadlineSeconds: 5 } }], 'jobs[0] "a": retry.deadlineSeconds must be at least timeoutSeconds (10)'],
  ])('rejects %s, naming the job and the field', (_case, jobs, message) => {
    expect(problems(file(jobs))).toContain(message);
  });

  it('reports every problem of every job at once', () => {
    const messages = problems(
      file([
        { name: 'ok', url: 'https://ok.test' },
        { name: 'billing', url: 'https://b.test', schedule: '0 */5 * *', timeoutSeconds: 'x', conditions: ['[STAUTS] == 200'] },
        { name: 'x', url: 'ftp://x', every: '5q' },
      ]),
    );
    expect(messages).toEqual([
      'jobs[1] "billing": timeoutSeconds must be a number (got string)',
      'jobs[1] "billing": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)',
      expect.stringContaining('jobs[1] "billing": conditions[0] "[STAUTS] == 200": unknown placeholder'),
      'jobs[2] "x": url "ftp://x" is not an absolute http(s) URL',
      'jobs[2] "x": every "5q" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")',
    ]);
  });

  it('rejects text that is not JSON with the parser message', () => {
    expect(problems('{ "jobs": [ }')[0]).toMatch(/^jobs\.config\.json is not valid JSON: Unexpected token/);
  });

  it('rejects a file without a jobs array', () => {
    expect(problems('{}')).toEqual(['jobs is required (expected array)']);
  });

  it('rejects bad defaults', () => {
    expect(problems(file([{ name: 'a', url: 'https://a.test' }], { timeoutSeconds: -1 }))).toEqual([
      'defaults: timeoutSeconds must be greater than 0',
    ]);
  });
});

describe('substituteEnv', () => {
  it.each([
    ['${env:A}', { A: '1' }, '1', [], []],
    ['x${env:A}y${env:B}', { A: '1', B: '2' }, 'x1y2', [], []],
    ['${env:A:-d}', {}, 'd', [], []],
    ['${env:A:-d}', { A: '' }, 'd', [], []],
    ['${env:A}', {}, '', ['A'], []],
    ['${secret:token}', {}, '${secret:token}', [], []],
    ['$env:A', { A: '1' }, '$env:A', [], []],
    // An App Service Key Vault reference the platform left unresolved is never used: it counts as unset.
    ['${env:A:-d}', { A: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a/)' }, 'd', [], []],
    ['${env:A}', { A: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/a/)' }, '', [], ['A']],
  ])('%s with %o → %s', (text, env, expected, missing, unresolved) => {
    expect(substituteEnv(text, env)).toEqual({ text: expected, missing, unresolved, refused: [] });
  });
});

describe('settings', () => {
  it('has a default for everything', () => {
    expect(loadSettings({})).toMatchObject({
      jobsFile: 'jobs.config.json',
      tickSchedule: '*/10 * * * * *',
      dispatch: 'inline',
      port: 7071,
      location: 'local',
      logLevel: 'info',
    });
  });

  it('takes the run location from REGION_NAME in Azure unless PULSECHECK_RUN_LOCATION is set', () => {
    expect(loadSettings({ REGION_NAME: 'West Europe' }).location).toBe('West Europe');
    expect(loadSettings({ REGION_NAME: 'West Europe', PULSECHECK_RUN_LOCATION: 'weu-1' }).location).toBe('weu-1');
  });

  it('reports every bad setting by name', () => {
    try {
      loadSettings({ PULSECHECK_PORT: 'abc', PULSECHECK_TICK_SCHEDULE: '* *', PULSECHECK_DISPATCH: 'queues' });
      expect.unreachable();
    } catch (error) {
      expect(isPulsecheckError(error) && error.issues.map((i) => i.message)).toEqual([
        'PULSECHECK_TICK_SCHEDULE must be NCRONTAB with 5 or 6 fields, e.g. "*/10 * * * * *"',
        'PULSECHECK_DISPATCH must be "inline" or "queue"',
        'PULSECHECK_PORT "abc" must be an integer from 0 to 65535',
      ]);
    }
  });
});
