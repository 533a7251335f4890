import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_KEY } from '../../support/alertingWorld.js';
import { startFakeDatadogAgent, type FakeDatadogAgent } from '../../support/datadogAgent.js';
import { appFolder, runCli } from '../../support/host.js';
import { sinkEnv, startFakeIngestion, type FakeIngestion } from '../../support/ingestion.js';
import { startReceiver, type Receiver } from '../../support/receivers.js';
import { startServer, type TestServer } from '../../support/servers.js';

/**
 * Issue 15, item 8: an alert event also goes to telemetry. `pulsecheck run` (the built CLI, in its
 * own process, as dd-trace and the Application Insights SDK are per process) runs a failing job whose
 * rule triggers at once; the event reaches a signed webhook, Application Insights as the custom event
 * `PulsecheckAlert`, Datadog as the count `pulsecheck.alert.events` and the JSON log line
 * `event: "alert"` (what Datadog's log collection takes in).
 */
describe('alert events in Application Insights, Datadog and the log', () => {
  let target: TestServer;
  let receiver: Receiver;
  let ingestion: FakeIngestion;
  let agent: FakeDatadogAgent;

  beforeAll(async () => {
    target = await startServer((_req, res) => res.writeHead(503).end('down'));
    [receiver, ingestion, agent] = await Promise.all([startReceiver(), startFakeIngestion(), startFakeDatadogAgent()]);
  });
  afterAll(async () => {
    await Promise.all([target?.close(), receiver?.close(), ingestion?.close(), agent?.close()]);
  });

  it('a trigger is one custom event, one DogStatsD count and one log line, besides the notification', async () => {
    const dir = appFolder(
      {
        channels: { hooks: { type: 'webhook', url: `${receiver.url}/hook`, secret: 'hook-key' } },
        jobs: [{ name: 'billing', url: `${target.url}/health`, retry: { maxAttempts: 1 }, alerts: [{ channels: ['hooks'], failureThreshold: 1 }] }],
      },
      { DD_ENV: 'test' },
    );
    const cli = runCli(['run', 'billing'], dir, {
      ...sinkEnv(ingestion, agent),
      PULSECHECK_LOG_FORMAT: 'json',
      PULSECHECK_RUN_LOCATION: 'test-lab',
      PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8',
      PULSECHECK_SECRET_HOOK_KEY: HOOK_KEY,
    });
    expect(await cli.exited, cli.errors()).toBe(1); // the run is down
    const { alertId } = (JSON.parse(receiver.received[0]?.body ?? '{}') as { data: { alertId: string } }).data;
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual(['alert.triggered']);

    const alertEvents = () => ingestion.envelopes.filter((e) => e.data.baseType === 'EventData' && e.data.baseData.name === 'PulsecheckAlert');
    expect(alertEvents().map((e) => e.data.baseData.properties)).toEqual([
      expect.objectContaining({ type: 'alert.triggered', job: 'billing', alertId, status: 'down', failures: '1', location: 'test-lab', channels: 'hooks' }),
    ]);

    const count = await agent.waitFor(() => agent.metrics.find((m) => m.name === 'pulsecheck.alert.events'), 'the alert count');
    expect(count).toMatchObject({ type: 'c', value: 1, tags: { job: 'billing', type: 'alert.triggered', env: 'test' } });

    const lines = cli
      .errors()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line.event === 'alert')).toEqual([
      expect.objectContaining({ type: 'alert.triggered', job: 'billing', alertId, location: 'test-lab', channels: ['hooks'], reason: expect.stringContaining('503') }),
    ]);
  });
});
