// The telemetry fakes of the bench, each in its own process: an HTTPS Application Insights ingestion
// endpoint (bench/ingestion.js) and the tests' fake Datadog agent (test/support/datadog-agent.mjs).
// Both only count what they receive; `counts` is refreshed every 500 ms.
import { fork } from 'node:child_process';

function start(script, env = process.env) {
  const child = fork(new URL(script, import.meta.url), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
  const counts = {};
  const ready = new Promise((resolve) =>
    child.on('message', (message) => {
      if (message.type === 'ready') resolve(message);
      if (message.type === 'counts') Object.assign(counts, message);
    }),
  );
  return { child, counts, ready };
}

/** The Application Insights ingestion fake: its connection string and the CA file to trust. */
export async function startIngestion() {
  const { child, counts, ready } = start('./ingestion.js');
  const { port, caFile } = await ready;
  return {
    child,
    caFile,
    counts,
    connectionString: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
    stop: () => child.kill(),
  };
}

/** The fake Datadog agent of the tests, counting only. */
export async function startAgent() {
  const { child, counts, ready } = start('../test/support/datadog-agent.mjs', { ...process.env, FAKE_AGENT_COUNT_ONLY: '1' });
  const { httpPort, udpPort } = await ready;
  return { child, counts, url: `http://127.0.0.1:${httpPort}`, statsdPort: udpPort, stop: () => child.kill() };
}

/**
 * The environment that turns Application Insights and Datadog on, pointed at the fakes; the SDKs
 * stay on 127.0.0.1 (DESIGN.md §4) and only the bench's own CA is trusted.
 */
export function sinksEnv(ingestion, agent) {
  return {
    OTEL_NODE_RESOURCE_DETECTORS: 'env,host',
    APPLICATION_INSIGHTS_NO_STATSBEAT: '1',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_TRACE_TELEMETRY_ENABLED: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    NODE_EXTRA_CA_CERTS: ingestion.caFile,
    APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
    DD_TRACE_AGENT_URL: agent.url,
    DD_DOGSTATSD_HOST: '127.0.0.1',
    DD_DOGSTATSD_PORT: String(agent.statsdPort),
  };
}
