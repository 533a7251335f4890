import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.js';
import { appFolder, runCli, type RunningCli } from '../../support/host.js';
import { QUIET_SDK_ENV, INSTRUMENTATION_KEY } from '../../support/ingestion.js';
import { closedPort, startServer, type TestServer } from '../../support/servers.js';

const JOBS = 3;

interface Health {
  status: string;
  checks: Record<string, Record<string, unknown>>;
}

/**
 * Application Insights and Datadog both configured but unreachable (nothing listens on their
 * ports): the local host, as a user starts it, keeps running its checks and /api/health shows the
 * Datadog agent down. Part 5 of `npm run bench` (bench/README.md) runs the same for longer, under
 * load: every occurrence on time, memory flat, and Application Insights down too (the Azure SDK
 * retries a refused export for about 5 s before the sink sees it fail, too long for this test).
 */
describe('telemetry sinks that cannot be reached', () => {
  let target: TestServer;
  let host: RunningCli;
  let api: string;

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(200).end('ok'));
    const [ingestionPort, agentPort, statsdPort] = [await closedPort(), await closedPort(), await closedPort()];
    const dir = appFolder({ jobs: Array.from({ length: JOBS }, (_, i) => ({ name: `job${i}`, url: `${target.url}/`, every: '1s' })) });
    host = runCli(['start'], dir, {
      ...QUIET_SDK_ENV,
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${INSTRUMENTATION_KEY};IngestionEndpoint=https://127.0.0.1:${ingestionPort}/`,
      DD_TRACE_AGENT_URL: `http://127.0.0.1:${agentPort}`,
      DD_DOGSTATSD_HOST: '127.0.0.1',
      DD_DOGSTATSD_PORT: String(statsdPort),
      PULSECHECK_PORT: '0',
      PULSECHECK_TICK_SCHEDULE: '* * * * * *',
      PULSECHECK_LOG_FORMAT: 'json',
    });
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
  });

  afterAll(async () => {
    if (host && host.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
  });

  it('keeps running every check and shows the Datadog agent down', async () => {
    const health = await eventually(
      async () => {
        const body = (await (await fetch(`${api}/health`)).json()) as Health;
        return body.checks.datadog?.status === 'down' && body;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'the Datadog agent to be reported down' },
    );
    expect(health.status).toBe('degraded');
    expect(health.checks.appInsights).toMatchObject({ configured: true, lastExportAt: null });
    expect(health.checks.datadog).toMatchObject({ status: 'down', configured: true, lastExportAt: null, detail: 'the Datadog agent does not answer: ECONNREFUSED' });
    expect(health.checks.dispatcher).toMatchObject({ status: 'ok' });

    // Checks go on: every job runs again, up, once per occurrence.
    const runs = () =>
      host
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{"') && line.includes('"event":"run"'))
        .map((line) => JSON.parse(line) as { job: string; runId: string; status: string });
    const seen = runs().length;
    await eventually(() => runs().length >= seen + JOBS, { timeoutMs: 5_000, what: () => `${JOBS} more runs (${runs().length - seen} so far)` });
    const all = runs();
    expect(all.every((r) => r.status === 'up')).toBe(true);
    expect(new Set(all.map((r) => r.runId)).size).toBe(all.length);
    expect(new Set(all.map((r) => r.job))).toEqual(new Set(Array.from({ length: JOBS }, (_, i) => `job${i}`)));
  });
});
