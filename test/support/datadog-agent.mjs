// A fake Datadog agent, run in its own process (a traced process must not host its own agent: it
// would trace itself). Traces (PUT /v0.4/traces, msgpack) and DogStatsD lines (UDP, or POST
// /dogstatsd/v2/proxy, which dd-trace uses when the agent has a URL) are decoded and passed to the
// parent over IPC, with the raw bytes as text for scanning. With FAKE_AGENT_COUNT_ONLY=1 (the
// benchmark) it only counts, and reports the counts every 500 ms, so that it costs little CPU.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { decode } from '@msgpack/msgpack';

const ids = (value) => (typeof value === 'bigint' ? value : BigInt(value ?? 0));
const span = (s) => ({
  ...s,
  trace_id: ids(s.trace_id).toString(16).padStart(16, '0'),
  span_id: ids(s.span_id).toString(16).padStart(16, '0'),
  parent_id: ids(s.parent_id).toString(16).padStart(16, '0'),
  start: Number(s.start),
  duration: Number(s.duration),
});

const countOnly = process.env.FAKE_AGENT_COUNT_ONLY === '1';
const counts = { spans: 0, traces: 0, metricLines: 0, bytes: 0 };
if (countOnly) setInterval(() => process.send?.({ type: 'counts', ...counts }), 500).unref();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const path = (req.url ?? '').split('?')[0];
    counts.bytes += body.length;
    if (countOnly && path === '/v0.4/traces') {
      // dd-trace sends the number of traces in a header; spans are counted from the payload's markers.
      counts.traces += Number(req.headers['x-datadog-trace-count'] ?? 0);
      counts.spans += body.toString('latin1').split('span_id').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
      return;
    }
    if (path === '/v0.4/traces') {
      const traces = decode(body, { useBigInt64: true }).map((trace) => trace.map(span));
      process.send?.({ type: 'traces', traces, raw: body.toString('latin1'), headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
      return;
    }
    if (path === '/dogstatsd/v2/proxy') {
      statsd(body);
      res.writeHead(200).end();
      return;
    }
    process.send?.({ type: 'request', method: req.method, path, raw: body.toString('latin1') });
    if (path === '/info') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: 'fake', endpoints: ['/v0.4/traces'] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

function statsd(message) {
  counts.bytes += message.length;
  if (countOnly) {
    counts.metricLines += message.toString('utf8').split('\n').filter(Boolean).length;
    return;
  }
  process.send?.({ type: 'statsd', lines: message.toString('utf8').split('\n').filter(Boolean) });
}

const udp = createSocket('udp4');
udp.on('message', statsd);

await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
process.send?.({ type: 'ready', httpPort: server.address().port, udpPort: udp.address().port });
process.on('disconnect', () => process.exit(0));
