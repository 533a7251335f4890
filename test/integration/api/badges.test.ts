import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { principalHeaders } from '../../support/principal.js';
import { startServer, type TestServer } from '../../support/servers.js';

/** The texts a badge shows (the SVG must be well-formed XML). */
async function badgeText(response: Response): Promise<string[]> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
  const svg = await response.text();
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(svg) as { svg: { g: Array<{ text?: Array<{ '#text': unknown; '@aria-hidden'?: string }> }> } };
  return doc.svg.g.flatMap((g) => g.text ?? []).filter((t) => t['@aria-hidden'] === undefined).map((t) => String(t['#text']));
}

const JOBS = (url: string) => ({
  jobs: [
    { name: 'shop', url: `${url}/ok`, every: '1h', tags: { public: 'true' } },
    { name: 'broken', url: `${url}/down`, every: '1h', retry: { maxAttempts: 1 }, tags: { public: 'true' } },
    { name: 'internal', url: `${url}/ok`, every: '1h', tags: { team: 'ops' } },
    { name: 'erp', url: `${url}/down`, every: '1h', retry: { maxAttempts: 1 } },
  ],
  // Opens every hour for an hour: always open, so erp's runs are all in maintenance.
  maintenance: [{ name: 'migration', schedule: '0 0 * * * *', duration: '1h', jobs: ['erp'] }],
});

describe('badges over HTTP', () => {
  let target: TestServer;
  const hosts: ApiHost[] = [];
  const start = async (values: Record<string, string> = {}) => {
    const api = await startApi(JOBS(target.url), values);
    hosts.push(api);
    return api;
  };

  beforeAll(async () => {
    target = await startServer((req, res) => res.writeHead(req.url === '/down' ? 503 : 200).end('ok'));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.host.stop()));
    await target?.close();
  });

  describe('private (the default)', () => {
    let api: ApiHost;
    beforeAll(async () => {
      api = await start();
      for (const job of ['shop', 'shop', 'broken', 'erp']) expect((await api.call('POST', `/jobs/${job}/run`)).status).toBe(200);
    });

    it('GET /api/badges/{job}.svg shows the state: up, down, unknown before any run', async () => {
      expect(await badgeText(await api.call('GET', '/badges/shop.svg'))).toEqual(['shop', 'up']);
      expect(await badgeText(await api.call('GET', '/badges/Broken.svg'))).toEqual(['broken', 'down']);
      expect(await badgeText(await api.call('GET', '/badges/internal.svg'))).toEqual(['internal', 'unknown']);
    });

    it('a job in maintenance: the state badge says so (blue), whatever its runs found; its uptime leaves them out', async () => {
      const response = await api.call('GET', '/badges/erp.svg');
      const svg = await response.clone().text();
      expect(await badgeText(response)).toEqual(['erp', 'maintenance']);
      expect(svg).toContain('#007ec6');
      expect(await badgeText(await api.call('GET', '/badges/erp/uptime/1d.svg'))).toEqual(['erp uptime 1d', 'no data']);
    });

    it('GET /api/badges/{job}/uptime/{window}.svg shows the uptime, or no data', async () => {
      expect(await badgeText(await api.call('GET', '/badges/shop/uptime/30d.svg'))).toEqual(['shop uptime 30d', '100%']);
      expect(await badgeText(await api.call('GET', '/badges/broken/uptime/1d.svg'))).toEqual(['broken uptime 1d', '0%']);
      expect(await badgeText(await api.call('GET', '/badges/internal/uptime/90d.svg'))).toEqual(['internal uptime 90d', 'no data']);
    });

    it('is cacheable: Cache-Control max-age, an ETag, 304 for If-None-Match with it', async () => {
      const first = await api.call('GET', '/badges/shop.svg');
      expect(first.headers.get('cache-control')).toBe('private, max-age=60');
      const etag = first.headers.get('etag') as string;
      expect(etag).toMatch(/^"[\w-]{22}"$/);
      expect(first.headers.get('x-content-type-options')).toBe('nosniff');
      const again = await api.call('GET', '/badges/shop.svg', { headers: { 'if-none-match': etag } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      const uptime = await api.call('GET', '/badges/shop/uptime/7d.svg');
      expect(uptime.headers.get('cache-control')).toBe('private, max-age=300');
      expect(uptime.headers.get('etag')).not.toBe(etag);
    });

    it('an unknown job is a 404, a bad window or name a 400 naming it', async () => {
      expect((await api.call('GET', '/badges/nope.svg')).status).toBe(404);
      expect((await api.call('GET', '/badges/nope/uptime/30d.svg')).status).toBe(404);
      const window = await api.call('GET', '/badges/shop/uptime/2d.svg');
      expect(window.status).toBe(400);
      expect(((await window.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['window']);
      const name = await api.call('GET', '/badges/a%25b.svg');
      expect(name.status).toBe(400);
      expect(((await name.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path)).toEqual(['name']);
    });
  });

  it('private behind App Service Authentication: 401 without a principal, 403 without a role, 200 for a reader', async () => {
    const api = await start({ WEBSITE_AUTH_ENABLED: 'true' });
    expect((await api.call('GET', '/badges/shop.svg')).status).toBe(401);
    expect((await api.call('GET', '/badges/shop.svg', { headers: principalHeaders('nobody', []) })).status).toBe(403);
    expect(await badgeText(await api.call('GET', '/badges/shop.svg', { headers: principalHeaders('reader', ['Pulsecheck.Reader']) }))).toEqual(['shop', 'unknown']);
  });

  it('public: anyone, public jobs only (others 404, for an admin too); publicly cacheable', async () => {
    const api = await start({ WEBSITE_AUTH_ENABLED: 'true', PULSECHECK_STATUS_PAGE: 'public' });
    const shop = await api.call('GET', '/badges/shop.svg');
    expect(shop.headers.get('cache-control')).toBe('public, max-age=60');
    expect(await badgeText(shop)).toEqual(['shop', 'unknown']);
    expect(await badgeText(await api.call('GET', '/badges/broken/uptime/30d.svg'))).toEqual(['broken uptime 30d', 'no data']);
    expect((await api.call('GET', '/badges/internal.svg')).status).toBe(404);
    expect((await api.call('GET', '/badges/internal/uptime/30d.svg', { headers: principalHeaders('boss', ['Pulsecheck.Admin']) })).status).toBe(404);
    // The rest of the API is unchanged.
    expect((await api.call('GET', '/jobs')).status).toBe(401);
  });

  it('off: 404 for every badge', async () => {
    const api = await start({ PULSECHECK_STATUS_PAGE: 'off' });
    const off = await api.call('GET', '/badges/shop.svg');
    expect(off.status).toBe(404);
    expect(off.headers.get('content-type')).toContain('application/problem+json');
    expect((await api.call('GET', '/badges/shop/uptime/30d.svg')).status).toBe(404);
    expect((await api.call('GET', '/jobs/shop')).status).toBe(200);
  });
});
