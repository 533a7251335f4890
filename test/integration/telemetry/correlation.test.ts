import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDatadogAgent, type AgentSpan, type FakeDatadogAgent } from '../../support/datadogAgent.js';
import { appFolder, runCli } from '../../support/host.js';
import { sinkEnv, startFakeIngestion, type Envelope, type FakeIngestion } from '../../support/ingestion.js';
import { startServer, type TestServer } from '../../support/servers.js';

const SECRET = 's3cr3t-token-value';

/**
 * One run followed through every tool: `pulsecheck run` (the built CLI, in its own process, as a
 * user runs it) with Application Insights pointed at a captured HTTPS ingestion endpoint and Datadog
 * at a fake agent in another process.
 */
describe('a run in Application Insights, Datadog and the log, correlated', () => {
  let target: TestServer;
  let ingestion: FakeIngestion;
  let agent: FakeDatadogAgent;
  let dir: string;
  const logs: Record<string, Array<Record<string, unknown>>> = {};

  const runJob = async (job: string) => {
    const cli = runCli(['run', job], dir, {
      ...sinkEnv(ingestion, agent),
      PULSECHECK_LOG_FORMAT: 'json',
      PULSECHECK_RUN_LOCATION: 'test-lab',
    });
    const code = await cli.exited;
    logs[job] = cli
      .errors()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { code, run: JSON.parse(cli.output()) as { runId: string; durationMs: number }, stderr: cli.errors() };
  };

  const availability = (name: string) =>
    ingestion.envelopes.find((e) => e.data.baseType === 'AvailabilityData' && e.data.baseData.name === name);
  const checkSpan = (job: string) => agent.spans.find((s) => s.name === 'pulsecheck.check' && s.meta.job === job);

  beforeAll(async () => {
    target = await startServer((req, res) => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
      else res.writeHead(503).end('down');
    });
    [ingestion, agent] = await Promise.all([startFakeIngestion(), startFakeDatadogAgent()]);
    dir = appFolder({
      jobs: [
        {
          name: 'healthy',
          url: `${target.url}/ok`,
          headers: { authorization: `Bearer ${SECRET}` },
          tags: { team: 'platform' },
          conditions: ['[STATUS] == 200', '[BODY].status == UP'],
        },
        { name: 'failing', url: `${target.url}/fail`, retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 }, conditions: ['[STATUS] == 200'] },
      ],
    },
    // dd-trace reads DD_* from the process environment: the CLI exports them from local.settings.json.
    { DD_ENV: 'test' });
  });

  afterAll(async () => {
    await Promise.all([target?.close(), ingestion?.close(), agent?.close()]);
  });

  it('sends an availability result of a healthy run, field by field', async () => {
    const { code, run, stderr } = await runJob('healthy');
    expect(code, stderr).toBe(0);
    const envelope = availability('healthy') as Envelope;
    expect(envelope, `envelopes: ${ingestion.bodies.join('\n')}`).toBeDefined();
    expect(envelope.name).toBe('Microsoft.ApplicationInsights.Availability');
    expect(envelope.data.baseData).toMatchObject({
      id: run.runId,
      name: 'healthy',
      success: true,
      runLocation: 'test-lab',
      message: 'up 200',
    });
    expect(envelope.data.baseData.duration).toMatch(/^00:00:0\d\.\d{3}$/);
    expect(envelope.data.baseData.properties).toMatchObject({
      team: 'platform',
      trigger: 'manual',
      status: 'up',
      httpStatus: '200',
      attempts: '1',
      failedConditions: '',
    });
    expect(Object.keys(envelope.data.baseData.measurements ?? {}).sort()).toEqual(['connectMs', 'dnsMs', 'firstByteMs', 'tlsMs', 'totalMs']);
  });

  it('sends an availability result of a failing run, with its reason', async () => {
    const { code, run } = await runJob('failing');
    expect(code).toBe(1);
    const envelope = availability('failing') as Envelope;
    expect(envelope).toBeDefined();
    expect(envelope.data.baseData).toMatchObject({ id: run.runId, name: 'failing', success: false, message: 'conditions: [STATUS] (503) == 200' });
    expect(envelope.data.baseData.properties).toMatchObject({ status: 'down', httpStatus: '503', attempts: '2', failedConditions: '[STATUS] (503) == 200', errorKind: 'conditions' });
  });

  it('sends a custom event for the health change and a duration metric', () => {
    const events = ingestion.envelopes.filter((e) => e.data.baseType === 'EventData');
    expect(events.map((e) => e.data.baseData)).toContainEqual(
      expect.objectContaining({ name: 'PulsecheckHealthChanged', properties: expect.objectContaining({ job: 'failing', from: 'UNKNOWN', to: 'DOWN' }) }),
    );
    const metrics = ingestion.envelopes.filter((e) => e.data.baseType === 'MetricData').map((e) => e.data.baseData as { metrics: Array<{ name: string }>; properties: Record<string, string> });
    expect(metrics).toContainEqual(expect.objectContaining({ metrics: [expect.objectContaining({ name: 'pulsecheck.check.duration' })], properties: { job: 'failing', status: 'down' } }));
  });

  it('traces each check as a span with its HTTP requests as children, and sends DogStatsD metrics', async () => {
    const healthy = await agent.waitFor(() => checkSpan('healthy'), 'the healthy check span');
    expect(healthy).toMatchObject({ service: 'pulsecheck', resource: 'healthy', error: 0 });
    expect(healthy.meta).toMatchObject({ job: 'healthy', status: 'up', 'http.status_code': '200', location: 'test-lab', trigger: 'manual', env: 'test' });
    expect(healthy.metrics.attempts).toBe(1);
    const failing = await agent.waitFor(() => checkSpan('failing'), 'the failing check span');
    expect(failing.error).toBe(1);
    expect(failing.meta).toMatchObject({ status: 'down', 'http.status_code': '503', 'error.type': 'conditions', 'error.message': '[STATUS] (503) == 200' });
    const children = (parent: AgentSpan) =>
      agent.spans.filter((s) => s.name === 'undici.request' && s.parent_id === parent.span_id && s.trace_id === parent.trace_id);
    await agent.waitFor(() => children(failing).length === 2, 'two HTTP child spans of the failing check');
    expect(children(healthy).map((s) => s.meta['http.status_code'])).toEqual(['200']);
    expect(children(failing).map((s) => s.meta['http.status_code'])).toEqual(['503', '503']);

    const metric = (name: string, job: string) => agent.metrics.find((m) => m.name === name && m.tags.job === job);
    await agent.waitFor(() => metric('pulsecheck.check.attempts', 'failing'), 'DogStatsD metrics');
    expect(metric('pulsecheck.check.duration', 'healthy')).toMatchObject({ type: 'd', tags: { status: 'up', location: 'test-lab' } });
    expect(metric('pulsecheck.check.runs', 'failing')).toMatchObject({ type: 'd', value: 1, tags: { status: 'down' } });
    expect(metric('pulsecheck.check.attempts', 'failing')).toMatchObject({ type: 'd', value: 2 });
    const phases = agent.metrics.filter((m) => m.name === 'pulsecheck.check.phase_duration' && m.tags.job === 'healthy');
    expect(phases.map((m) => m.tags.phase).sort()).toEqual(['connect', 'dns', 'first_byte', 'tls', 'transfer']);
  });

  it('gives the run one trace id in Datadog, Application Insights and the log', async () => {
    for (const job of ['healthy', 'failing']) {
      const span = await agent.waitFor(() => checkSpan(job), `the ${job} span`);
      const envelope = availability(job) as Envelope;
      // Datadog's 128-bit trace id: the high 64 bits travel in the _dd.p.tid tag, the low in trace_id.
      const traceId = `${span.meta['_dd.p.tid']}${span.trace_id}`;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(envelope.tags['ai.operation.id']).toBe(traceId);
      expect(envelope.tags['ai.operation.parentId']).toBe(span.span_id);
      const line = logs[job]?.find((record) => record.event === 'run');
      expect(line?.dd).toMatchObject({ trace_id: traceId, span_id: BigInt(`0x${span.span_id}`).toString(10), env: 'test' });
    }
  });

  it('sends no secret anywhere', () => {
    const captured = [ingestion.bodies.join('\n'), agent.raw(), JSON.stringify(logs)].join('\n');
    expect(captured).toContain('healthy');
    expect(captured).not.toContain(SECRET);
    expect(captured.toLowerCase()).not.toContain('authorization');
  });
});
