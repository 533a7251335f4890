import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHost } from '../../support/api.js';
import { principalHeaders } from '../../support/principal.js';
import { startServer, type TestServer } from '../../support/servers.js';

/** The page's uPlot charts, kept by `keepCharts`. */
interface ChartsWindow {
  charts: Array<{ width: number; scales: { x: { min?: number; max?: number } } }>;
}

/** An init script: every chart the page makes is kept in `window.charts`, to read its scales. */
function keepCharts(): void {
  const w = window as unknown as ChartsWindow & { uPlot?: new (...args: unknown[]) => object };
  w.charts = [];
  let real: (new (...args: unknown[]) => object) | undefined;
  Object.defineProperty(window, 'uPlot', {
    configurable: true,
    set: (value: new (...args: unknown[]) => object) => (real = value),
    get: () => real && new Proxy(real, { construct: (target, args) => { const chart = Reflect.construct(target, args) as ChartsWindow['charts'][number]; w.charts.push(chart); return chart; } }),
  });
}

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or `CHROMIUM_PATH`. */
const CHROMIUM: string = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((path): path is string => Boolean(path) && existsSync(path as string)) ?? '';
/** Where the screenshots go (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS = join('test-results', 'status-page');

const title = CHROMIUM
  ? 'the status page in headless Chromium'
  : 'the status page in headless Chromium — SKIPPED: no Chromium binary at /usr/bin/chromium (apt-get install chromium, or set CHROMIUM_PATH)';

/**
 * The page end to end (issue 16): the local host in this process with jobs against real HTTP
 * targets and runs recorded, the page in a real browser under the app's Content-Security-Policy.
 */
describe.skipIf(!CHROMIUM)(title, () => {
  let target: TestServer;
  let api: ApiHost;
  let browser: Browser;
  let flakyUp = true;
  const errors: string[] = [];

  const watch = (page: Page) => {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  };
  const run = async (job: string) => expect((await api.call('POST', `/jobs/${job}/run`)).status).toBe(200);

  beforeAll(async () => {
    target = await startServer(async (req, res) => {
      if (req.url === '/slow') await new Promise((resolve) => setTimeout(resolve, 40));
      const up = req.url !== '/flaky' || flakyUp;
      res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: up ? 'UP' : 'DOWN' }));
    });
    api = await startApi(
      {
        jobs: [
          { name: 'checkout-api', description: 'Public checkout API', url: `${target.url}/ok`, every: '1h', tags: { team: 'Payments' } },
          { name: 'payments-db', url: `${target.url}/flaky`, every: '1h', tags: { team: 'Payments' }, retry: { maxAttempts: 1 } },
          { name: 'website', url: `${target.url}/slow`, every: '1h', tags: { team: 'Web' } },
          { name: 'batch', url: `${target.url}/ok`, every: '1h' },
          { name: 'legacy-erp', url: `${target.url}/ok`, every: '1h', tags: { team: 'Web' } },
        ],
        maintenance: [
          { name: 'nightly-backup', schedule: '0 0 3 * * *', duration: '1h', jobs: ['batch'] },
          // Opens every hour for an hour: always open, so every run of legacy-erp is in maintenance.
          { name: 'migration', schedule: '0 0 * * * *', duration: '1h', jobs: ['legacy-erp'] },
        ],
      },
      { PULSECHECK_STATUS_GROUP_BY: 'team', PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8' },
    );
    for (let i = 0; i < 3; i++) for (const job of ['checkout-api', 'payments-db', 'website', 'batch', 'legacy-erp']) await run(job);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.host.stop();
    await target?.close();
  });

  it('shows every job with its uptime, grouped by team, with no console error (desktop, 1280 px)', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(page);
    const response = await page.goto(`${api.host.url}/status`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    for (const job of ['checkout-api', 'payments-db', 'website', 'batch']) {
      const card = page.locator(`[data-job="${job}"]`);
      await card.waitFor();
      await expect.poll(() => card.locator('[data-window="1d"] .uptime').textContent(), { timeout: 10_000 }).toBe('100 %');
      expect(await card.locator('.bar').count()).toBe(90);
      expect(await card.locator('.bar.up').count()).toBe(1);
      expect(await card.locator('canvas').count()).toBe(1);
    }
    expect(await page.locator('.group h2').allTextContents()).toEqual(['Payments', 'Web', 'Other']);
    expect(await page.locator('#overall').textContent()).toBe('All systems operational');
    const windows = await page.locator('#maintenance .maintenance-item').allTextContents();
    expect(windows.some((w) => /^batch: nightly-backup.*checks run, not counted/.test(w)), windows.join(' | ')).toBe(true);
    expect(windows.some((w) => /^legacy-erp: migration now, until .*checks run, not counted/.test(w)), windows.join(' | ')).toBe(true);
    // A job in maintenance: its state says so, its runs make a maintenance bar and no uptime.
    const erp = page.locator('[data-job="legacy-erp"]');
    expect(await erp.locator('.badge').textContent()).toBe('Maintenance');
    expect(await erp.locator('[data-window="1d"] .uptime').textContent()).toBe('—');
    expect(await erp.locator('.bar.maintenance').count()).toBe(1);
    await erp.locator('.bar').last().hover();
    expect(await page.locator('.tooltip').textContent()).toMatch(/0 up · 0 degraded · 0 down\s*3 in maintenance/);
    // A day's tooltip.
    await page.locator('[data-job="website"] .bar').last().hover();
    expect(await page.locator('.tooltip').textContent()).toMatch(/100 % up\s*3 up · 0 degraded · 0 down/);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-1280.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it('fits a phone (390 px) in the dark theme, with the last 30 days of bars', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${api.host.url}/status`);
    await page.locator('[data-job="batch"] canvas').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('[data-job="batch"] .bar:visible').count()).toBe(30);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(15, 19, 24)');
    // A tap shows a day's tooltip, as a hover does on a desktop.
    await page.locator('[data-job="batch"] .bar').last().tap();
    expect(await page.locator('.tooltip').isVisible()).toBe(true);
    expect(await page.locator('.tooltip').textContent()).toMatch(/100 % up\s*3 up · 0 degraded · 0 down/);
    await page.screenshot({ path: join(ARTIFACTS, 'phone-390-dark.png'), fullPage: true });
    await context.close();
    expect(errors).toEqual([]);
  });

  it('updates after a new run without a reload: the job goes down and its incident shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    watch(page);
    let navigations = 0;
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations++);
    await page.goto(`${api.host.url}/status?refresh=2`);
    const card = page.locator('[data-job="payments-db"]');
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 10_000 }).toBe('Operational');
    flakyUp = false;
    await run('payments-db');
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('Down');
    expect(await page.locator('#overall').textContent()).toBe('1 of 5 down');
    // The current incident: who, since when and for how long so far, and why.
    expect(await page.locator('#ongoing .incident').textContent()).toMatch(/payments-db\s*since .+ · \d+ s.*conditions failed \(HTTP 503\)/);
    expect(await card.locator('[data-window="1d"] .uptime').textContent()).toBe('75.00 %');
    expect(navigations).toBe(1);
    // docs/images/status-page.png is this one, from a real run.
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-incident.png'), fullPage: true });
    // A good run ends it: it leaves the current incidents for the recent ones, with its whole duration.
    flakyUp = true;
    await run('payments-db');
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 15_000 }).toBe('Operational');
    expect(await page.locator('#ongoing .incident').count()).toBe(0);
    expect(await page.locator('#incidents .incident').textContent()).toMatch(/payments-db.+ · \d+ s.*conditions failed \(HTTP 503\)/);
    expect(navigations).toBe(1);
    await page.close();
    expect(errors).toEqual([]);
  }, 30_000);

  it('public: an anonymous visitor sees the public jobs only, nothing of the others (names, counts, incidents)', async () => {
    const open = await startApi(
      {
        jobs: [
          { name: 'storefront', url: `${target.url}/ok`, every: '1h', tags: { public: 'true', team: 'Shop' } },
          { name: 'secret-ledger', url: `${target.url}/flaky`, every: '1h', retry: { maxAttempts: 1 }, tags: { team: 'Shop' } },
        ],
      },
      { PULSECHECK_STATUS_PAGE: 'public', PULSECHECK_STATUS_GROUP_BY: 'team', PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8', WEBSITE_AUTH_ENABLED: 'true' },
    );
    try {
      flakyUp = false;
      for (const job of ['storefront', 'secret-ledger']) expect((await open.call('POST', `/jobs/${job}/run`, { headers: principalHeaders('ops', ['Pulsecheck.Operator']) })).status).toBe(200);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      watch(page);
      await page.addInitScript(keepCharts);
      expect((await page.goto(`${open.host.url}/status`))?.status()).toBe(200);
      await page.locator('[data-job="storefront"] canvas').waitFor();
      // One run: its chart spans ten minutes around it, also after a resize (uPlot alone would make it 1 000 days).
      await page.setViewportSize({ width: 1000, height: 700 });
      await expect.poll(() => page.evaluate(() => (window as unknown as ChartsWindow).charts.map((c) => c.width))).toEqual([expect.any(Number)]);
      const [scale] = await page.evaluate(() => (window as unknown as ChartsWindow).charts.map((c) => c.scales.x));
      expect((scale?.max ?? 0) - (scale?.min ?? 0)).toBe(600);
      expect(await page.locator('[data-job]').count()).toBe(1);
      // The hidden job is down: a page that counted it would say "1 of 2 down" and list its incident.
      expect(await page.locator('#overall').textContent()).toBe('All systems operational');
      expect(await page.locator('#ongoing .incident').count()).toBe(0);
      expect(await page.locator('body').innerText()).not.toContain('secret-ledger');
      expect(await page.evaluate(async () => (await fetch('/api/status/summary')).text())).not.toContain('secret-ledger');
      await page.close();
      expect(errors).toEqual([]);
      // The badges, anonymous too: the public job's, and a 404 for the other, as for an unknown job.
      expect((await open.call('GET', '/badges/storefront.svg')).status).toBe(200);
      expect((await open.call('GET', '/badges/secret-ledger.svg')).status).toBe(404);
      expect((await open.call('GET', '/badges/secret-ledger/uptime/30d.svg')).status).toBe(404);
    } finally {
      await open.host.stop();
    }
  }, 30_000);
});

/** PULSECHECK_STATUS_PAGE over HTTP: what each mode serves (the rule itself is h16-api's, in access.ts). */
describe('the status routes under PULSECHECK_STATUS_PAGE', () => {
  let target: TestServer;
  const jobs = () => ({
    jobs: [
      { name: 'shown', url: `${target.url}/down`, every: '1h', tags: { public: 'true' } },
      { name: 'internal', url: `${target.url}/ok`, every: '1h' },
    ],
  });
  beforeAll(async () => {
    target = await startServer((req, res) => res.writeHead(req.url === '/down' ? 503 : 200).end());
  });
  afterAll(async () => target?.close());

  it('public: only the jobs tagged public, without run messages, cacheable for 5 s', async () => {
    const api = await startApi(jobs(), { PULSECHECK_STATUS_PAGE: 'public', PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8' });
    try {
      await api.call('POST', '/jobs/shown/run');
      const response = await api.call('GET', '/status/summary');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=5');
      const summary = (await response.json()) as { groups: Array<{ jobs: Array<{ name: string; incidents: Array<{ reason: string }> }> }> };
      expect(summary.groups.flatMap((g) => g.jobs.map((j) => j.name))).toEqual(['shown']);
      expect(summary.groups[0]?.jobs[0]?.incidents[0]?.reason).toBe('conditions failed (HTTP 503)');
      expect((await api.call('GET', '/status')).status).toBe(200);
      expect((await api.call('GET', '/status/assets/status.js')).headers.get('content-type')).toContain('text/javascript');
    } finally {
      await api.host.stop();
    }
  });

  it('public with PULSECHECK_STATUS_PUBLIC_TAG: the jobs with that tag instead, in the summary and the badges', async () => {
    const api = await startApi(
      {
        jobs: [
          { name: 'listed', url: `${target.url}/ok`, every: '1h', tags: { visibility: 'External' } },
          { name: 'shown', url: `${target.url}/ok`, every: '1h', tags: { public: 'true' } },
        ],
      },
      { PULSECHECK_STATUS_PAGE: 'public', PULSECHECK_STATUS_PUBLIC_TAG: 'visibility=external' },
    );
    try {
      const summary = await (await api.call('GET', '/status/summary')).text();
      expect((JSON.parse(summary) as { groups: Array<{ jobs: Array<{ name: string }> }> }).groups.flatMap((g) => g.jobs.map((j) => j.name))).toEqual(['listed']);
      expect(summary).not.toContain('shown');
      expect((await api.call('GET', '/badges/listed.svg')).status).toBe(200);
      expect((await api.call('GET', '/badges/shown.svg')).status).toBe(404);
    } finally {
      await api.host.stop();
    }
  });

  it('off: the page, its data and its files are 404', async () => {
    const api = await startApi(jobs(), { PULSECHECK_STATUS_PAGE: 'off' });
    try {
      for (const path of ['/status', '/status/summary', '/status/assets/status.css']) expect((await api.call('GET', path)).status, path).toBe(404);
    } finally {
      await api.host.stop();
    }
  });

  it('serves only the files it has: 404 for any other name', async () => {
    const api = await startApi(jobs());
    try {
      expect((await api.call('GET', '/status/assets/..%2Fpackage.json')).status).toBe(404);
      expect((await api.call('GET', '/status/assets/nothing.js')).status).toBe(404);
      const page = await api.call('GET', '/status?code=k%22ey');
      expect(await page.text()).toContain('code=k%22ey');
    } finally {
      await api.host.stop();
    }
  });
});
