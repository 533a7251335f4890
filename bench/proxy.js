// A counting HTTP proxy in front of Azurite's Table endpoint, in its own process (forked by
// bench/schedule.js), so that the bench can print storage requests per check without touching the
// app. `node bench/proxy.js <upstream port>`: sends { type: 'ready', port } once listening; answers
// { type: 'counts' } with { type: 'counts', total, byKind } (kind: method and resource, e.g.
// "POST $batch", "PUT entity", "GET query").
import { Agent, createServer, request } from 'node:http';

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let total = 0;
const byKind = {};

/** The kind of a Table Storage request, from its method and path. */
function kindOf(method, url) {
  const path = url.split('?')[0];
  if (path.endsWith('/$batch')) return `${method} $batch`;
  if (/\/Tables(\(|$)/.test(path)) return `${method} table`;
  if (path.endsWith(')')) return `${method} entity`;
  return `${method} query`;
}

const server = createServer((req, res) => {
  total++;
  const kind = kindOf(req.method, req.url);
  byKind[kind] = (byKind[kind] ?? 0) + 1;
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
process.on('message', (message) => {
  if (message.type === 'counts') process.send({ type: 'counts', total, byKind });
});
process.on('disconnect', () => process.exit(0));
