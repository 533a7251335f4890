import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';

/**
 * Issue 14 through the API (the local host, in memory): API jobs take the jobs file's `defaults` and
 * may `extends` its templates; whatever a template, a parameter or a field brings, an API job's
 * references stay within the API allow-lists (issue 10's sandbox); `GET /api/jobs/{name}` shows a job
 * as written and, with `?resolved=true`, as it runs, references unresolved.
 */
const SETTING = 'setting-value-never-shown-41';

const FILE = {
  defaults: { timeoutSeconds: 7, tags: { team: 'platform' } },
  templates: {
    plain: { url: 'https://${param:host}.internal.test/health', conditions: ['[STATUS] == 200'], tags: { tier: 'internal' } },
    withSecret: { headers: { 'X-Token': '${secret:internal-token}' } },
    withEnv: { headers: { 'X-Env': '${env:PRIVATE_SETTING}' } },
  },
  jobs: [{ name: 'fileJob', extends: ['plain', 'withSecret'], params: { host: 'billing' }, every: '1h' }],
};

describe('API jobs with the jobs file defaults and templates', () => {
  let api: ApiHost;
  const post = async (body: unknown) => {
    const response = await api.call('POST', '/jobs', { body });
    return { status: response.status, text: await response.text() };
  };

  beforeAll(async () => {
    api = await startApi(FILE, { PRIVATE_SETTING: SETTING, PULSECHECK_API_ENV_ALLOW: 'PUBLIC_SETTING', PUBLIC_SETTING: '3' });
  });
  afterAll(async () => {
    await api?.host.stop();
  });

  it('applies the file defaults to an API job, and keeps its definition as written', async () => {
    const created = await post({ name: 'withDefaults', url: 'https://a.test/' });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.text)).toMatchObject({ timeoutSeconds: 7, tags: { team: 'platform' } });
    const written = (await (await api.call('GET', '/jobs/withDefaults')).json()) as Record<string, unknown>;
    expect(written.definition).toEqual({ name: 'withDefaults', url: 'https://a.test/' });
    const resolved = (await (await api.call('GET', '/jobs/withDefaults?resolved=true')).json()) as Record<string, unknown>;
    expect(resolved.resolved).toMatchObject({ name: 'withDefaults', url: 'https://a.test/', timeoutSeconds: 7, tags: { team: 'platform' } });
  });

  it('lets an API job extend a template with parameters and typed ${env:} it may use', async () => {
    const created = await post({ name: 'fromTemplate', extends: 'plain', params: { host: 'search' }, retry: { maxAttempts: '${env:PUBLIC_SETTING}' } });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.text)).toMatchObject({ url: 'https://search.internal.test/health', conditions: ['[STATUS] == 200'], retry: { maxAttempts: 3 }, tags: { team: 'platform', tier: 'internal' } });
  });

  it.each([
    ["a template's ${secret:}", { extends: ['plain', 'withSecret'], params: { host: 'x' } }, 'headers.X-Token', 'PULSECHECK_API_SECRETS_ALLOW'],
    ["a template's ${env:}", { url: 'https://a.test/', extends: 'withEnv' }, 'headers.X-Env', 'PULSECHECK_API_ENV_ALLOW'],
    ['${env:} in a parameter', { extends: 'plain', params: { host: '${env:PRIVATE_SETTING}' } }, 'url', 'PULSECHECK_API_ENV_ALLOW'],
    ['${secret:} in a parameter', { extends: 'plain', params: { host: '${secret:internal-token}' } }, 'url', 'PULSECHECK_API_SECRETS_ALLOW'],
    ['${env:} in a number field', { url: 'https://a.test/', timeoutSeconds: '${env:PRIVATE_SETTING}' }, 'timeoutSeconds', 'PULSECHECK_API_ENV_ALLOW'],
    ['${env:} in tags', { url: 'https://a.test/', tags: { leak: '${env:PRIVATE_SETTING}' } }, 'tags.leak', 'PULSECHECK_API_ENV_ALLOW'],
    ['${env:} in a condition', { url: 'https://a.test/', conditions: ['[BODY] == ${env:PRIVATE_SETTING}'] }, 'conditions[0]', 'PULSECHECK_API_ENV_ALLOW'],
  ])('refuses %s in an API job, naming the field and the allow-list, never the value', async (_case, fields, path, setting) => {
    const answer = await post({ name: 'attack', ...fields });
    expect(answer.status).toBe(400);
    expect(answer.text).not.toContain(SETTING);
    const { issues } = JSON.parse(answer.text) as { issues: Array<{ path: string; message: string }> };
    expect(issues).toContainEqual({ path, message: expect.stringContaining(setting) });
    expect((await api.call('GET', '/jobs/attack')).status).toBe(404);
  });

  it('shows a jobs-file job as written and as it runs, secrets as references', async () => {
    const written = (await (await api.call('GET', '/jobs/fileJob')).json()) as Record<string, unknown>;
    expect(written.definition).toEqual(FILE.jobs[0]);
    expect(written).toMatchObject({ url: 'https://billing.internal.test/health', headers: { 'X-Token': '${secret:internal-token}' }, timeoutSeconds: 7 });
    const resolved = (await (await api.call('GET', '/jobs/fileJob?resolved=true')).json()) as Record<string, unknown>;
    expect(resolved.resolved).toEqual({
      name: 'fileJob',
      timeoutSeconds: 7,
      tags: { team: 'platform', tier: 'internal' },
      url: 'https://billing.internal.test/health',
      conditions: ['[STATUS] == 200'],
      headers: { 'X-Token': '${secret:internal-token}' },
      every: '1h',
    });
  });

  it('answers a bad ?resolved= with a 400 naming it', async () => {
    const response = await api.call('GET', '/jobs/fileJob?resolved=yes');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('resolved must be one of \\"true\\", \\"false\\"');
  });
});
