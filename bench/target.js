// The benchmark's target: a plain node:http server in its own process (its CPU is not the client's).
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'UP' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
process.on('disconnect', () => process.exit(0));
