import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFolder, runCli, type RunningCli } from '../support/host.js';
import { QUIET_SDK_ENV, INSTRUMENTATION_KEY } from '../support/ingestion.js';
import { closedPort, sleep, startServer, type TestServer } from '../support/servers.js';

const JOBS = 100;
const MB = 1024 * 1024;

/** Resident set of a process, in bytes (Linux /proc). */
const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/**
 * Application Insights and Datadog both configured but unreachable (nothing listens on their
 * ports): the local host, as a user starts it, keeps running every check on schedule, its memory
 * stays flat, and /api/health shows both sinks down.
 */
describe('telemetry sinks that cannot be reached', () => {
  let target: TestServer;
  let host: RunningCli;
  let api: string;
  const runs: Array<{ job: string; scheduledAt: string; latenessMs: number; status: string }> = [];

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
      PULSECHECK_TICK_SCHEDULE: '*/2 * * * * *',
      PULSECHECK_LOG_FORMAT: 'json',
    });
    api = (await host.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/api)/))[1] as string;
    host.child.stdout?.on('data', () => {
      runs.length = 0;
      for (const line of host.output().split('\n')) {
        if (line.startsWith('{"') && line.includes('"event":"run"')) runs.push(JSON.parse(line) as (typeof runs)[number]);
      }
    });
  });

  afterAll(async () => {
    if (host && host.child.exitCode === null) host.child.kill('SIGKILL');
    await target?.close();
  });

  it('runs every check on schedule, keeps memory flat and shows both sinks down', async () => {
    const pid = host.child.pid as number;
    await sleep(4_000);
    const before = rss(pid);
    const from = Date.now();
    await sleep(8_000);
    const after = rss(pid);
    const to = Date.now() - 2_000;

    // Every job ran at every second of the window, each once, on time.
    const inWindow = runs.filter((r) => Date.parse(r.scheduledAt) >= from && Date.parse(r.scheduledAt) <= to);
    const seconds = Math.floor(to / 1_000) - Math.ceil(from / 1_000) + 1;
    expect(inWindow).toHaveLength(JOBS * seconds);
    expect(new Set(inWindow.map((r) => `${r.job}@${r.scheduledAt}`)).size).toBe(inWindow.length);
    expect(inWindow.every((r) => r.status === 'up')).toBe(true);
    expect(Math.max(...inWindow.map((r) => r.latenessMs))).toBeLessThan(250);
    expect(after - before, `RSS ${Math.round(before / MB)} MB → ${Math.round(after / MB)} MB`).toBeLessThan(40 * MB);

    const health = (await (await fetch(`${api}/health`)).json()) as { status: string; checks: Record<string, Record<string, unknown>> };
    expect(health.status).toBe('degraded');
    expect(health.checks.appInsights).toMatchObject({ status: 'down', configured: true, lastExportAt: null });
    expect(String(health.checks.appInsights?.detail)).toMatch(/^the last export failed: /);
    expect(health.checks.datadog).toMatchObject({ status: 'down', configured: true, lastExportAt: null, detail: 'the Datadog agent does not answer: ECONNREFUSED' });
    expect(health.checks.dispatcher).toMatchObject({ status: 'ok' });
  });
});
