import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from '../../../src/adapters/prometheus/prometheusTelemetry.js';
import type { Run } from '../../../src/domain/run.js';
import { FakeClock } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

interface Family {
  name: string;
  metrics: Array<{ value: string; labels?: Record<string, string> }>;
}

const target = job({ name: 'api', url: 'http://api.test/' });
const run = (status: Run['status'], attempts: number, durationMs: number): Run => ({
  runId: `api@${durationMs}`,
  job: 'api',
  trigger: 'schedule',
  scheduledAt: '2026-11-23T12:00:00.000Z',
  startedAt: '2026-11-23T12:00:00.000Z',
  durationMs,
  attempts,
  status,
  success: status === 'up',
  httpStatus: status === 'skipped' ? null : status === 'up' ? 200 : 503,
  conditions: [],
  location: 'test',
});

async function scrape(sink: PrometheusTelemetry) {
  const families = parsePrometheusTextFormat(await sink.expose()) as Family[];
  return (name: string, labels: Record<string, string>) =>
    families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
}

describe('PrometheusTelemetry', () => {
  it('counts every run once across scrapes and keeps the last measured result through a skip', async () => {
    const sink = new PrometheusTelemetry(new FakeClock(0));
    sink.runCompleted(run('up', 1, 100), target);
    sink.runCompleted(run('down', 3, 2_000), target);
    let value = await scrape(sink);
    expect(value('pulsecheck_runs_total', { job: 'api', status: 'up' })).toBe('1');
    expect(value('pulsecheck_runs_total', { job: 'api', status: 'down' })).toBe('1');
    expect(value('pulsecheck_attempts_total', { job: 'api' })).toBe('4');
    expect(value('probe_success', { job: 'api' })).toBe('0');

    sink.runCompleted(run('up', 1, 50), target);
    sink.runCompleted(run('skipped', 0, 0), target);
    value = await scrape(sink);
    expect(value('pulsecheck_runs_total', { job: 'api', status: 'up' })).toBe('2');
    expect(value('pulsecheck_runs_total', { job: 'api', status: 'down' })).toBe('1');
    expect(value('pulsecheck_runs_total', { job: 'api', status: 'skipped' })).toBe('1');
    expect(value('pulsecheck_attempts_total', { job: 'api' })).toBe('5');
    expect(value('probe_success', { job: 'api' })).toBe('1');
    expect(value('probe_duration_seconds', { job: 'api' })).toBe('0.05');
    expect(value('probe_http_status_code', { job: 'api' })).toBe('200');
  });

  it.each([
    // [timings in ms, phase, exposed seconds]
    [{ dns: 0.1, connect: 0.2, tls: 0, firstByte: 1.5, total: 3.9 }, 'transfer', '0.0021'],
    [{ dns: 0.1, connect: 0.2, tls: 0, firstByte: 1.5, total: 3.9 }, 'resolve', '0.0001'],
    [{ dns: 1.0000001, connect: 0, tls: 0, firstByte: 0, total: 2 }, 'resolve', '0.001'],
  ])('exposes seconds rounded to the microsecond, never float noise (%j %s)', async (timings, phase, exposed) => {
    const sink = new PrometheusTelemetry(new FakeClock(0));
    sink.runCompleted({ ...run('up', 1, 0.1 + 0.2), timings }, target);
    const value = await scrape(sink);
    expect(value('probe_http_duration_seconds', { job: 'api', phase })).toBe(exposed);
    expect(value('probe_duration_seconds', { job: 'api' })).toBe('0.0003');
  });
});
