import azure from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../../src/adapters/rate-limiter/memoryRateLimiter.js';
import { loadSettings } from '../../../src/config/settings.js';
import type { Role } from '../../../src/domain/access.js';
import { PUBLIC_TAG, isPublicJob, parsePublicTag, showsOnStatusPage, statusPageRole, type StatusPageAccess } from '../../../src/domain/statusAccess.js';
import { authorized, effectiveRole, hostAuthLevel, statusPageView, type AccessOptions, type GuardedRoute } from '../../../src/functions/access.js';
import { principalHeaders } from '../../support/principal.js';

const { HttpRequest, InvocationContext } = azure;

describe('PULSECHECK_STATUS_PAGE', () => {
  it.each([
    [undefined, 'private'],
    ['', 'private'],
    ['private', 'private'],
    ['public', 'public'],
    [' Public ', 'public'],
    ['OFF', 'off'],
  ])('%j is %s', (value, access) => {
    expect(loadSettings(value === undefined ? {} : { PULSECHECK_STATUS_PAGE: value }).access.statusPage).toBe(access);
  });

  it('refuses anything else, naming the setting and the choices', () => {
    expect(() => loadSettings({ PULSECHECK_STATUS_PAGE: 'anonymous' })).toThrow('PULSECHECK_STATUS_PAGE must be "private", "public" or "off"');
  });
});

describe('which jobs the status page shows', () => {
  const tagged = (tags?: Record<string, string>) => ({ tags });
  it.each([
    ['private', undefined, true],
    ['private', { public: 'false' }, true],
    ['public', { public: 'true' }, true],
    ['public', { public: ' TRUE ' }, true],
    ['public', { public: 'false' }, false],
    ['public', { public: 'yes' }, false],
    ['public', { Public: 'true' }, false],
    ['public', {}, false],
    ['public', undefined, false],
    ['off', { public: 'true' }, false],
  ] as const)('%s, tags %j: %s', (access, tags, shown) => {
    expect(showsOnStatusPage(access, tagged(tags))).toBe(shown);
    expect(statusPageView({ statusPage: access }).visible(tagged(tags))).toBe(shown);
  });

  it.each([
    ['visibility=external', { visibility: 'external' }, true],
    ['visibility=external', { visibility: ' External ' }, true],
    ['visibility=external', { public: 'true' }, false],
    ['visibility=external', { Visibility: 'external' }, false],
    ['listed', { listed: 'true' }, true],
    [' status = on ', { status: 'ON' }, true],
    [undefined, { public: 'true' }, true],
  ] as const)('public with PULSECHECK_STATUS_PUBLIC_TAG=%j, tags %j: %s', (setting, tags, shown) => {
    const { access } = loadSettings({ PULSECHECK_STATUS_PAGE: 'public', ...(setting === undefined ? {} : { PULSECHECK_STATUS_PUBLIC_TAG: setting }) });
    expect(statusPageView(access).visible(tagged(tags))).toBe(shown);
  });

  it.each([
    ['=true', 'PULSECHECK_STATUS_PUBLIC_TAG must be a tag name and value'],
    ['a b=c', 'PULSECHECK_STATUS_PUBLIC_TAG must be a tag name and value'],
    ['visibility=', 'PULSECHECK_STATUS_PUBLIC_TAG must have a value of 1-256 characters'],
  ])('PULSECHECK_STATUS_PUBLIC_TAG=%j is refused, naming the setting', (setting, message) => {
    expect(() => loadSettings({ PULSECHECK_STATUS_PUBLIC_TAG: setting })).toThrow(message);
  });

  it('parses name=value, and a name alone as name=true', () => {
    expect(parsePublicTag('visibility=external')).toEqual({ name: 'visibility', value: 'external' });
    expect(parsePublicTag('listed')).toEqual({ name: 'listed', value: 'true' });
    expect(parsePublicTag('note=a=b')).toEqual({ name: 'note', value: 'a=b' });
    expect(loadSettings({}).access.statusPublicTag).toEqual(PUBLIC_TAG);
  });

  it('a job is public by its tag only', () => {
    expect(isPublicJob({ tags: { public: 'true', team: 'a' } })).toBe(true);
    expect(isPublicJob({})).toBe(false);
  });

  it('the access options default to private', () => {
    expect(statusPageView({}).access).toBe('private');
  });
});

describe('status-page routes behind authorized', () => {
  const page: GuardedRoute = { name: 'statusPage', role: 'reader', statusPage: true };
  const plainRoute: GuardedRoute = { name: 'listJobs', role: 'reader' };
  const limiter = new MemoryRateLimiter({ read: 0, write: 0 });
  const ok = () => ({ status: 200, jsonBody: { ok: true } });
  const call = async (route: GuardedRoute, options: AccessOptions, headers: Record<string, string> = {}) =>
    (await authorized(route, ok, limiter, options)(new HttpRequest({ method: 'GET', url: 'http://localhost/api/status', headers }), new InvocationContext())) as { status: number; jsonBody: Record<string, unknown> };
  const azureHost = (statusPage: StatusPageAccess | undefined, easyAuth = false): AccessOptions => ({ host: 'azure', easyAuth, metricsToken: undefined, ...(statusPage ? { statusPage } : {}) });

  it.each([
    ['private', 'reader', 'function'],
    ['public', 'anonymous', 'anonymous'],
    ['off', 'anonymous', 'anonymous'],
  ] as const)('%s: the page needs %s, the Functions host checks %s', (access, role, level) => {
    expect(statusPageRole(access, 'reader')).toBe(role);
    expect(effectiveRole(page, { statusPage: access })).toBe(role);
    expect(hostAuthLevel(page, azureHost(access))).toBe(level);
    // Other routes keep their role whatever the page's rule.
    expect(effectiveRole(plainRoute, { statusPage: access })).toBe<Role>('reader');
    expect(hostAuthLevel(plainRoute, azureHost(access))).toBe('function');
  });

  it('private (the default), in Azure: a key (function level) is a reader; with App Service Authentication, no principal is 401 and no role 403', async () => {
    expect((await call(page, azureHost(undefined))).status).toBe(200);
    expect((await call(page, azureHost('private', true))).status).toBe(401);
    expect((await call(page, azureHost('private', true), principalHeaders('nobody', []))).status).toBe(403);
    expect((await call(page, azureHost('private', true), principalHeaders('reader', ['Pulsecheck.Reader']))).status).toBe(200);
  });

  it('public: anonymous callers are let in, with or without App Service Authentication', async () => {
    expect((await call(page, azureHost('public'))).status).toBe(200);
    expect((await call(page, azureHost('public', true))).status).toBe(200);
  });

  it('off: 404 for everyone, admins and the local host included; other routes are untouched', async () => {
    const off = await call(page, { host: 'local', easyAuth: false, metricsToken: undefined, statusPage: 'off' });
    expect(off.status).toBe(404);
    expect(off.jsonBody).toMatchObject({ code: 'not_found', detail: expect.stringContaining('PULSECHECK_STATUS_PAGE=off') });
    expect((await call(page, azureHost('off', true), principalHeaders('admin', ['Pulsecheck.Admin']))).status).toBe(404);
    expect((await call(plainRoute, { host: 'local', easyAuth: false, metricsToken: undefined, statusPage: 'off' })).status).toBe(200);
  });
});
