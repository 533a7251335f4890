import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { selfSignedCertificate } from './certs.js';
import type { FakeDatadogAgent } from './datadogAgent.js';
import { startServer, type TestServer } from './servers.js';

/** One Application Insights envelope as the ingestion endpoint receives it. */
export interface Envelope {
  readonly name: string;
  readonly time: string;
  readonly iKey: string;
  readonly tags: Record<string, string>;
  readonly data: { readonly baseType: string; readonly baseData: Record<string, unknown> & { properties?: Record<string, string>; measurements?: Record<string, number> } };
}

export interface FakeIngestion {
  /** For APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion and live endpoints on this server. */
  readonly connectionString: string;
  /** PEM file of the server's self-signed certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  readonly envelopes: Envelope[];
  /** Every body received, decompressed, as text. */
  readonly bodies: string[];
  readonly server: TestServer;
  close(): Promise<void>;
}

export const INSTRUMENTATION_KEY = '00000000-1111-2222-3333-444444444444';

/**
 * An HTTPS Application Insights ingestion endpoint on 127.0.0.1 (self-signed certificate) that
 * captures what `POST /v2.1/track` receives (gzip or not) and accepts it all.
 */
export async function startFakeIngestion(): Promise<FakeIngestion> {
  const certificate = await selfSignedCertificate();
  const caFile = join(mkdtempSync(join(tmpdir(), 'pulsecheck-ca-')), 'ca.pem');
  writeFileSync(caFile, certificate.cert);
  const envelopes: Envelope[] = [];
  const bodies: string[] = [];
  const server = await startServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const text = body.toString('utf8');
    bodies.push(text);
    if (req.method === 'POST' && req.url?.startsWith('/v2.1/track')) {
      const received = JSON.parse(text) as Envelope | Envelope[];
      const items = Array.isArray(received) ? received : [received];
      envelopes.push(...items);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
      return;
    }
    res.writeHead(404).end();
  }, certificate);
  return {
    connectionString: `InstrumentationKey=${INSTRUMENTATION_KEY};IngestionEndpoint=${server.url}/;LiveEndpoint=${server.url}/`,
    caFile,
    envelopes,
    bodies,
    server,
    close: () => server.close(),
  };
}

/** What every child process that loads the telemetry SDKs needs to stay on 127.0.0.1 (DESIGN.md §4). */
export const QUIET_SDK_ENV = {
  OTEL_NODE_RESOURCE_DETECTORS: 'env,host',
  APPLICATION_INSIGHTS_NO_STATSBEAT: '1',
  DD_REMOTE_CONFIGURATION_ENABLED: 'false',
  DD_TRACE_TELEMETRY_ENABLED: 'false',
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
  DD_CRASHTRACKING_ENABLED: 'false',
} as const;

/** A child process's settings that point its sinks at the fakes: Application Insights at `ingestion`, Datadog at `agent`. */
export const sinkEnv = (ingestion: FakeIngestion, agent: Pick<FakeDatadogAgent, 'url' | 'statsdPort'>): Record<string, string> => ({
  ...QUIET_SDK_ENV,
  NODE_EXTRA_CA_CERTS: ingestion.caFile,
  APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString,
  DD_TRACE_AGENT_URL: agent.url,
  DD_DOGSTATSD_HOST: '127.0.0.1',
  DD_DOGSTATSD_PORT: String(agent.statsdPort),
});
