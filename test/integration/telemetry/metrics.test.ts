import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../../src/hosts/local/localHost.js';
import { selfSignedCertificate, type TestCertificate } from '../../support/certs.js';
import { MemoryLogger } from '../../support/fakes.js';
import { appFolder } from '../../support/host.js';
import { startServer, type TestServer } from '../../support/servers.js';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}

/** GET /api/metrics on the local host, read with a Prometheus text-format parser. */
describe('GET /api/metrics (Prometheus)', () => {
  let certificate: TestCertificate;
  let secure: TestServer;
  let plain: TestServer;
  let host: LocalHost;

  const scrape = async () => {
    const response = await fetch(`${host.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusTextFormat(await response.text()) as Family[];
    const value = (name: string, labels: Record<string, string>) =>
      families
        .find((f) => f.name === name)
        ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
    return { families, value };
  };

  beforeAll(async () => {
    certificate = await selfSignedCertificate(30);
    secure = await startServer((_req, res) => res.writeHead(200).end('ok'), certificate);
    plain = await startServer((_req, res) => res.writeHead(503).end('down'));
    const dir = appFolder({
      jobs: [
        { name: 'secure', url: `${secure.url}/`, every: '1h', tls: { insecureSkipVerify: true } },
        { name: 'broken', url: `${plain.url}/`, every: '1h', retry: { maxAttempts: 1 }, circuitBreaker: { failureThreshold: 1, halfOpenAfterSeconds: 60 } },
      ],
    });
    host = await startLocalHost({ dir, env: { PULSECHECK_PORT: '0' }, logger: new MemoryLogger() });
    for (const name of ['secure', 'broken', 'broken']) await fetch(`${host.url}/jobs/${name}/run`, { method: 'POST' });
  });

  afterAll(async () => {
    await host?.stop();
    await Promise.all([secure?.close(), plain?.close()]);
  });

  it('exposes blackbox-exporter metrics per job that a Prometheus parser reads', async () => {
    const { value, families } = await scrape();
    expect(value('probe_success', { job: 'secure' })).toBe('1');
    expect(value('probe_success', { job: 'broken' })).toBe('0');
    expect(value('probe_http_status_code', { job: 'secure' })).toBe('200');
    expect(value('probe_http_status_code', { job: 'broken' })).toBe('503');
    expect(Number(value('probe_ssl_earliest_cert_expiry', { job: 'secure' }))).toBe(certificate.expiresAt / 1_000);
    expect(Number(value('probe_duration_seconds', { job: 'secure' }))).toBeGreaterThan(0);
    const phases = families.find((f) => f.name === 'probe_http_duration_seconds')?.metrics.filter((m) => m.labels?.job === 'secure');
    expect(phases?.map((m) => m.labels?.phase).sort()).toEqual(['connect', 'processing', 'resolve', 'tls', 'transfer']);
    expect(Number(phases?.find((m) => m.labels?.phase === 'tls')?.value)).toBeGreaterThan(0);
    for (const name of ['probe_success', 'probe_duration_seconds', 'probe_http_status_code', 'probe_http_duration_seconds']) {
      expect(families.find((f) => f.name === name)?.type).toBe('GAUGE');
    }
  });

  it('counts runs by status, attempts, health changes and the circuit state', async () => {
    const { value, families } = await scrape();
    expect(value('pulsecheck_runs_total', { job: 'secure', status: 'up' })).toBe('1');
    expect(value('pulsecheck_runs_total', { job: 'broken', status: 'down' })).toBe('1');
    // The second run of `broken` met an open circuit: skipped, and probe_success kept its last value.
    expect(value('pulsecheck_runs_total', { job: 'broken', status: 'skipped' })).toBe('1');
    expect(value('pulsecheck_attempts_total', { job: 'broken' })).toBe('1');
    expect(value('pulsecheck_health_changes_total', { job: 'broken', to: 'DOWN' })).toBe('1');
    expect(value('pulsecheck_circuit_state', { job: 'broken', state: 'open' })).toBe('1');
    expect(value('pulsecheck_circuit_state', { job: 'broken', state: 'closed' })).toBe('0');
    expect(families.find((f) => f.name === 'pulsecheck_runs_total')?.type).toBe('COUNTER');
  });

  it('reports each sink in /api/health: configured or not, and the last scrape', async () => {
    await scrape();
    const health = (await (await fetch(`${host.url}/health`)).json()) as { checks: Record<string, Record<string, unknown>> };
    expect(health.checks.prometheus).toMatchObject({ status: 'ok', configured: true });
    expect(Date.parse(String(health.checks.prometheus?.lastExportAt))).toBeGreaterThan(Date.now() - 60_000);
    expect(health.checks.appInsights).toMatchObject({ status: 'ok', configured: false, detail: 'off: set APPLICATIONINSIGHTS_CONNECTION_STRING' });
    expect(health.checks.datadog).toMatchObject({ status: 'ok', configured: false });
    expect(health.checks.telemetry).toMatchObject({ status: 'ok', sinks: ['log', 'prometheus'], dropped: 0 });
  });

  it('answers 404 when Prometheus is turned off', async () => {
    const off = await startLocalHost({ dir: appFolder({ jobs: [] }), env: { PULSECHECK_PORT: '0', PULSECHECK_PROMETHEUS: 'false' }, logger: new MemoryLogger() });
    try {
      const response = await fetch(`${off.url}/metrics`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'not_found', detail: 'Prometheus metrics (PULSECHECK_PROMETHEUS is false) was not found' });
    } finally {
      await off.stop();
    }
  });
});
