import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadJobsFiles, parseJobsFile } from '../../../src/config/jobsFile.js';
import { mergeJobLayers, mergeObjects } from '../../../src/config/merge.js';
import { applyOverlay, overlayEnvironments, overlayFileName } from '../../../src/config/overlay.js';
import { isPulsecheckError } from '../../../src/domain/errors.js';
import { problems } from '../../support/jobs.js';

const text = (file: unknown) => JSON.stringify(file);
const one = (file: unknown, env: Record<string, string> = {}) => {
  const [job] = parseJobsFile(text(file), env);
  if (!job) throw new Error('no job');
  return job;
};

describe('the merge rule', () => {
  it.each([
    ['objects key by key', { tags: { a: '1', b: '1' } }, { tags: { b: '2' } }, { tags: { a: '1', b: '2' } }],
    ['lists replaced', { conditions: ['a', 'b'] }, { conditions: ['c'] }, { conditions: ['c'] }],
    ['scalars replaced', { timeoutSeconds: 5 }, { timeoutSeconds: 7 }, { timeoutSeconds: 7 }],
    ['false over an object', { circuitBreaker: { failureThreshold: 2 } }, { circuitBreaker: false }, { circuitBreaker: false }],
    ['an object over false', { circuitBreaker: false }, { circuitBreaker: { failureThreshold: 2 } }, { circuitBreaker: { failureThreshold: 2 } }],
    ['auth as a whole', { auth: { type: 'bearer', secret: 'a' } }, { auth: { type: 'managedIdentity', scope: 's' } }, { auth: { type: 'managedIdentity', scope: 's' } }],
    ['body as a whole', { body: { a: 1 } }, { body: { b: 2 } }, { body: { b: 2 } }],
    ['every replaces schedule', { schedule: '* * * * *' }, { every: '5m' }, { every: '5m' }],
    ['schedule replaces every', { every: '5m', timezone: 'UTC' }, { schedule: '* * * * *' }, { timezone: 'UTC', schedule: '* * * * *' }],
    ['nested objects', { retry: { maxAttempts: 2, initialDelayMs: 1 } }, { retry: { maxAttempts: 5 } }, { retry: { maxAttempts: 5, initialDelayMs: 1 } }],
  ])('%s', (_case, base, over, merged) => {
    expect(mergeJobLayers([{ label: 'a', fields: base }, { label: 'b', fields: over }]).merged).toEqual(merged);
  });

  it('merges plain sections deeply without the job rule', () => {
    expect(mergeObjects({ slack: { url: 'a', mention: ['x'] } }, { slack: { mention: ['y'] }, teams: {} })).toEqual({ slack: { url: 'a', mention: ['y'] }, teams: {} });
  });
});

describe('templates', () => {
  const templates = {
    internalApi: { timeoutSeconds: 5, auth: { type: 'bearer', secret: 'internal-token' }, conditions: ['[STATUS] == 200'], tags: { tier: 'internal' } },
    service: { extends: 'internalApi', url: 'https://${param:host}.internal.test/health', headers: { 'X-Service': '${param:host}' } },
    slow: { timeoutSeconds: 30, retry: { maxAttempts: 1 } },
    typed: { timeoutSeconds: '${param:timeout}', enabled: '${param:on}' },
  };

  it.each([
    ['one template', { name: 'a', url: 'https://a.test/', extends: 'internalApi' }, { timeoutMs: 5_000, tags: { tier: 'internal' }, auth: { type: 'bearer' } }],
    ['a template extending a template, with params', { name: 'b', extends: 'service', params: { host: 'billing' } }, { url: 'https://billing.internal.test/health', headers: { 'x-service': 'billing' }, timeoutMs: 5_000 }],
    ['a list, applied in order', { name: 'c', url: 'https://c.test/', extends: ['internalApi', 'slow'] }, { timeoutMs: 30_000, retry: { maxAttempts: 1 } }],
    ['own fields over templates', { name: 'd', url: 'https://d.test/', extends: ['internalApi', 'slow'], timeoutSeconds: 2, tags: { team: 'x' } }, { timeoutMs: 2_000, tags: { tier: 'internal', team: 'x' } }],
    ['templates over defaults', { name: 'e', url: 'https://e.test/', extends: 'internalApi' }, { timeoutMs: 5_000, tags: { team: 'platform', tier: 'internal' } }],
    ['parameters typed as the field', { name: 'f', url: 'https://f.test/', extends: 'typed', params: { timeout: '4', on: 'false' } }, { timeoutMs: 4_000, enabled: false }],
  ])('%s', (_case, job, expected) => {
    const compiled = one({ defaults: { timeoutSeconds: 9, tags: { team: 'platform' } }, templates, jobs: [job] });
    expect(compiled).toMatchObject(expected);
  });

  it('keeps the definition as written and the resolved job with references', () => {
    const job = one({ templates, jobs: [{ name: 'b', extends: 'service', params: { host: 'billing' } }] });
    expect(job.definition).toEqual({ name: 'b', extends: 'service', params: { host: 'billing' } });
    expect(job.resolved).toMatchObject({ url: 'https://billing.internal.test/health', auth: { type: 'bearer', secret: 'internal-token' } });
  });

  it.each([
    ['an unknown template', { name: 'a', url: 'https://a.test/', extends: 'nope' }, 'jobs[0] "a": extends "nope", which is not a template (templates: internalApi, service, slow, typed, loopA, loopB)'],
    ['a missing parameter', { name: 'a', extends: 'service' }, 'jobs[0] "a": extends template "service" uses ${param:host}, which the job\'s params do not set'],
    ['a cycle', { name: 'a', url: 'https://a.test/', extends: 'loopA' }, 'jobs[0] "a": extends a cycle of templates: "loopA" → "loopB" → "loopA"'],
    ['a bad value from a template', { name: 'a', url: 'https://a.test/', extends: 'typed', params: { timeout: 'soon', on: 'true' } }, 'jobs[0] "a": timeoutSeconds must be a number (got string) (from template "typed")'],
    ['a bad extends', { name: 'a', url: 'https://a.test/', extends: 3 }, 'jobs[0] "a": extends must be a template name or a list of them'],
    ['bad params', { name: 'a', url: 'https://a.test/', params: { n: 1 } }, 'jobs[0] "a": params must be an object of strings (parameter name → value)'],
    ['no url anywhere', { name: 'a', extends: 'slow' }, 'jobs[0] "a": url is required (expected string)'],
  ])('rejects %s, naming job and template', (_case, job, message) => {
    const file = { templates: { ...templates, loopA: { extends: 'loopB' }, loopB: { extends: 'loopA' } }, jobs: [job] };
    expect(problems(text(file))).toContain(message);
  });

  it('fills parameters in one pass: a value is not searched again', () => {
    const job = one({ templates: { t: { url: 'https://x.test/${param:a}' } }, jobs: [{ name: 'a', extends: 't', params: { a: '${param:b}', b: 'no' } }] });
    expect(job.url).toBe('https://x.test/${param:b}');
  });

  it('rejects an unknown field in a template', () => {
    expect(problems(text({ templates: { t: { shedule: 'x' } }, jobs: [] }))).toEqual(['templates.t: unknown field "shedule"']);
  });
});

describe('${env:} in every field, typed after substitution', () => {
  it.each([
    ['schedule', { schedule: '${env:CRON}' }, { CRON: '0 */5 * * * *' }, { schedule: { kind: 'cron', expression: '0 */5 * * * *' } }],
    ['every', { every: '${env:EVERY:-30s}' }, {}, { schedule: { kind: 'every', everyMs: 30_000 } }],
    ['enabled', { enabled: '${env:CHECKS_ON:-true}' }, { CHECKS_ON: 'false' }, { enabled: false }],
    ['enabled, fallback', { enabled: '${env:CHECKS_ON:-true}' }, {}, { enabled: true }],
    ['timeoutSeconds', { timeoutSeconds: '${env:T}' }, { T: '2.5' }, { timeoutMs: 2_500 }],
    ['retry.maxAttempts', { retry: { maxAttempts: '${env:N}' } }, { N: '1' }, { retry: { maxAttempts: 1 } }],
    ['circuitBreaker false', { circuitBreaker: '${env:CB:-false}' }, {}, { circuitBreaker: null }],
    ['tags', { tags: { env: '${env:STAGE}' } }, { STAGE: 'prod' }, { tags: { env: 'prod' } }],
    ['timezone', { schedule: '0 0 * * *', timezone: '${env:TZ_NAME}' }, { TZ_NAME: 'Europe/Amsterdam' }, { schedule: { timezone: 'Europe/Amsterdam' } }],
  ])('%s', (_case, fields, env, expected) => {
    expect(one({ jobs: [{ name: 'a', url: 'https://a.test/', ...fields }] }, env)).toMatchObject(expected);
  });

  it.each([
    ['a value that is not a number', { timeoutSeconds: '${env:T}' }, { T: 'ten' }, 'jobs[0] "a": timeoutSeconds must be a number (got string) (after ${env:T})'],
    ['an unset variable', { schedule: '${env:CRON}' }, {}, 'jobs[0] "a": schedule references ${env:CRON}, which is not set'],
    ['a literal string where a number belongs', { timeoutSeconds: '10' }, {}, 'jobs[0] "a": timeoutSeconds must be a number (got string)'],
    ['a bad defaults value', { }, {}, 'defaults: timeoutSeconds must be a number (got string)'],
  ])('rejects %s, naming the field and the variable', (_case, fields, env, message) => {
    const file = { ...(_case === 'a bad defaults value' ? { defaults: { timeoutSeconds: '${env:D:-x}' } } : {}), jobs: [{ name: 'a', url: 'https://a.test/', ...fields }] };
    expect(problems(text(file), env)).toContain(message);
  });
});

describe('faults of issue 14', () => {
  it.each([
    ['both set, both good', { schedule: '* * * * *', every: '1m' }, ['jobs[0] "a": schedule and every are mutually exclusive (set one of them)']],
    [
      'both set, a bad cron',
      { schedule: '0 */5 * *', every: '1m' },
      ['jobs[0] "a": schedule and every are mutually exclusive (set one of them)', 'jobs[0] "a": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)'],
    ],
    [
      'both set, a bad interval',
      { schedule: '* * * * *', every: '5q' },
      ['jobs[0] "a": schedule and every are mutually exclusive (set one of them)', 'jobs[0] "a": every "5q" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")'],
    ],
  ])('schedule and every: %s', (_case, fields, messages) => {
    expect(problems(text({ jobs: [{ name: 'a', url: 'https://a.test/', ...fields }] }))).toEqual(messages);
  });
});

describe('environment overlays', () => {
  const base = {
    defaults: { timeoutSeconds: 10, tags: { team: 'platform' } },
    templates: { api: { conditions: ['[STATUS] == 200'] } },
    channels: { slack: { url: 'https://hooks.test/a', mention: ['@a'] } },
    jobs: [
      { name: 'billing', url: 'https://billing.test/', extends: 'api', schedule: '0 * * * * *' },
      { name: 'search', url: 'https://search.test/' },
    ],
  };

  it.each([
    ['changes a job by name (ignoring case)', { jobs: [{ name: 'BILLING', url: 'https://billing.prod/' }] }, (f: Record<string, unknown>) => (f.jobs as Array<Record<string, unknown>>)[0], { name: 'billing', url: 'https://billing.prod/', extends: 'api', schedule: '0 * * * * *' }],
    ['disables a job', { jobs: [{ name: 'search', enabled: false }] }, (f: Record<string, unknown>) => (f.jobs as unknown[])[1], { name: 'search', url: 'https://search.test/', enabled: false }],
    ['adds a job', { jobs: [{ name: 'extra', url: 'https://x.test/' }] }, (f: Record<string, unknown>) => (f.jobs as unknown[]).length, 3],
    ['overrides defaults key by key', { defaults: { timeoutSeconds: 3, tags: { env: 'prod' } } }, (f: Record<string, unknown>) => f.defaults, { timeoutSeconds: 3, tags: { team: 'platform', env: 'prod' } }],
    ['overrides a template', { templates: { api: { timeoutSeconds: 2 } } }, (f: Record<string, unknown>) => f.templates, { api: { conditions: ['[STATUS] == 200'], timeoutSeconds: 2 } }],
    ['merges another section (channels) key by key', { channels: { slack: { url: 'https://hooks.test/prod' } } }, (f: Record<string, unknown>) => f.channels, { slack: { url: 'https://hooks.test/prod', mention: ['@a'] } }],
    ['replaces a schedule by an interval', { jobs: [{ name: 'billing', every: '5m' }] }, (f: Record<string, unknown>) => (f.jobs as Array<Record<string, unknown>>)[0]?.schedule, undefined],
  ])('%s', (_case, overlay, pick, expected) => {
    expect(pick(applyOverlay(base, overlay).merged)).toEqual(expected);
  });

  const { channels: _channels, ...loadable } = base;

  it('loads base + overlay into jobs', () => {
    const { jobs } = loadJobsFiles({ name: 'jobs.config.json', text: text(loadable) }, { name: 'jobs.config.prod.json', text: text({ jobs: [{ name: 'search', enabled: false }, { name: 'extra', url: 'https://x.test/' }] }) }, {});
    expect(jobs.map((j) => [j.name, j.enabled])).toEqual([['billing', true], ['search', false], ['extra', true]]);
  });

  it.each([
    ['a job without a name', { jobs: [{ url: 'https://x.test/' }] }, 'jobs[0]: name is required (an overlay changes or adds jobs by name)', 'jobs.config.prod.json'],
    ['text that is not JSON', '{', 'jobs.config.prod.json is not valid JSON', 'jobs.config.prod.json'],
    ['a bad value it brings', { jobs: [{ name: 'search', timeoutSeconds: -1 }] }, 'jobs[1] "search": timeoutSeconds must be greater than 0', 'jobs.config.json + jobs.config.prod.json'],
  ])('reports %s naming the file', (_case, overlay, message, file) => {
    try {
      loadJobsFiles({ name: 'jobs.config.json', text: text(loadable) }, { name: 'jobs.config.prod.json', text: typeof overlay === 'string' ? overlay : text(overlay) }, {});
      expect.unreachable();
    } catch (error) {
      if (!isPulsecheckError(error)) throw error;
      expect(error.message).toContain(file);
      expect(error.issues.map((i) => i.message).join('\n')).toContain(message);
    }
  });
});

describe('docs/configuration.md', () => {
  /** The JSON blocks of a section of docs/configuration.md. */
  const blocks = (heading: string): unknown[] => {
    const docs = readFileSync('docs/configuration.md', 'utf8');
    const section = docs.slice(docs.indexOf(heading), docs.indexOf('\n### ', docs.indexOf(heading) + heading.length));
    return [...section.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string) as unknown);
  };

  it('the templates example loads as described', () => {
    const [file] = blocks('### Templates');
    const jobs = parseJobsFile(text(file), {});
    expect(jobs.find((j) => j.name === 'reports')).toMatchObject({ timeoutMs: 30_000, retry: { maxAttempts: 1 }, tags: { team: 'platform', tier: 'internal', owner: 'bi' } });
  });

  it.each([
    ['dev', 1, ['billing', 'sandboxPartner'], 900_000],
    ['test', 2, ['billing', 'search', 'sandboxPartner'], 300_000],
    ['prod', 3, ['billing', 'search', 'sandboxPartner', 'payments'], 60_000],
  ])('the three-environment example loads for %s', (environment, index, enabled, everyMs) => {
    const [base, ...overlays] = blocks('### Environments');
    const { jobs } = loadJobsFiles({ name: 'jobs.config.json', text: text(base) }, { name: `jobs.config.${environment}.json`, text: text(overlays[index - 1]) }, { PULSECHECK_ENVIRONMENT: environment });
    expect(jobs.filter((j) => j.enabled).map((j) => j.name)).toEqual(enabled);
    expect(jobs[0]).toMatchObject({ schedule: { everyMs }, tags: { env: environment } });
  });
});

describe('overlay file names', () => {
  it.each([
    ['jobs.config.json', 'prod', 'jobs.config.prod.json'],
    ['config/jobs.config.json', 'dev', 'config/jobs.config.dev.json'],
    ['/home/site/wwwroot/checks.json', 'test', '/home/site/wwwroot/checks.test.json'],
  ])('%s + %s → %s', (file, environment, overlay) => {
    expect(overlayFileName(file, environment)).toBe(overlay);
  });

  it('finds the environments beside the jobs file', () => {
    expect(overlayEnvironments('x/jobs.config.json', ['jobs.config.json', 'jobs.config.prod.json', 'jobs.schema.json', 'jobs.config.dev.json', 'jobs.config.a.b.json'])).toEqual(['dev', 'prod']);
  });
});
