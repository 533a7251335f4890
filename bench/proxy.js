// A counting HTTP proxy in front of Azurite's Table endpoint, and optionally its Queue and Blob
// endpoints, in its own process (forked by bench/schedule.js), so that the bench can print storage
// requests per check without touching the app. `node bench/proxy.js <table port> [<queue port>
// [<blob port>]]`: listens on one port per upstream; sends { type: 'ready', port, ports } once
// listening (port: the table's; ports: { table, queue, blob } for those given); answers
// { type: 'counts' } with { type: 'counts', total, byService, byKind }. Kinds: a Table request's
// method and resource ("POST $batch", "POST $batch (claims)" a transaction on the Claims table, "PUT entity",
// "GET query", "POST insert", "POST table"), a Queue or Blob
// request's service, method and resource ("queue POST messages" is a put, "queue GET messages" a
// receive, "queue GET peek", "queue DELETE message", "queue PUT message" an update, "blob PUT lease").
import { Agent, createServer, request } from 'node:http';

const [tablePort, queuePort, blobPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let total = 0;
const byService = {};
const byKind = {};

/** The kind of a Table Storage request, from its method and path. */
function tableKind(method, path) {
  if (path.endsWith('/$batch')) return `${method} $batch`;
  if (/\/Tables(\(|$)/.test(path)) return `${method} table`;
  if (path.endsWith(')')) return `${method} entity`;
  // A POST to a table inserts an entity (e.g. a claim); a GET there is a query.
  return method === 'POST' ? 'POST insert' : `${method} query`;
}

/** The kind of a Queue Storage request: `/<account>/<queue>[/messages[/<id>]]`. */
function queueKind(method, path, query) {
  const parts = path.split('/').filter(Boolean);
  if (parts[2] === 'messages') {
    if (parts.length > 3) return `queue ${method} message`;
    return /(^|&)peekonly=true/i.test(query) ? `queue ${method} peek` : `queue ${method} messages`;
  }
  const comp = /(^|&)comp=(\w+)/.exec(query)?.[2];
  return `queue ${method} ${comp ?? (parts.length > 1 ? 'queue' : 'service')}`;
}

/** The kind of a Blob Storage request: its `comp` (lease, list, …), else container or blob. */
function blobKind(method, path, query) {
  const comp = /(^|&)comp=(\w+)/.exec(query)?.[2];
  if (comp) return `blob ${method} ${comp}`;
  return `blob ${method} ${path.split('/').filter(Boolean).length > 2 ? 'blob' : 'container'}`;
}

const KINDS = { table: tableKind, queue: queueKind, blob: blobKind };

/** A proxy to `upstreamPort` counting each request under `service`; resolves with its port. */
function proxy(service, upstreamPort) {
  const server = createServer(async (req, res) => {
    total++;
    byService[service] = (byService[service] ?? 0) + 1;
    const [path, query = ''] = req.url.split('?');
    let kind = KINDS[service](req.method, path, query);
    // A transaction's body names its table: the claims' transactions are told from the runs'.
    let body;
    if (kind.endsWith(' $batch')) {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      body = Buffer.concat(chunks);
      if (/^(POST|PUT|PATCH|MERGE|DELETE) \S*Claims[(\s]/m.test(body.toString('latin1'))) kind += ' (claims)';
    }
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    const upstream = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const upstreams = Object.entries({ table: tablePort, queue: queuePort, blob: blobPort }).filter(([, port]) => Number.isInteger(port) && port > 0);
const ports = Object.fromEntries(await Promise.all(upstreams.map(async ([service, port]) => [service, await proxy(service, port)])));
process.send({ type: 'ready', port: ports.table, ports });
process.on('message', (message) => {
  if (message.type === 'counts') process.send({ type: 'counts', total, byService, byKind });
});
process.on('disconnect', () => process.exit(0));
