// An HTTPS Application Insights ingestion endpoint that accepts everything and counts envelopes,
// in its own process (forked by bench/fakes.js), so that its CPU is not the measured process's.
// Sends { type: 'ready', port, caFile } once listening, then { type: 'counts', … } every 500 ms.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generate } from 'selfsigned';

const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
  keyType: 'ec',
  curve: 'P-256',
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
});
const caFile = join(mkdtempSync(join(tmpdir(), 'pulsecheck-bench-ca-')), 'ca.pem');
writeFileSync(caFile, pems.cert);
const counts = { envelopes: 0, availability: 0, requests: 0 };
const server = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    // Counted, not parsed: this server shares the machine with the measured process.
    const text = body.toString('utf8');
    const items = text.split('"iKey"').length - 1;
    counts.requests++;
    counts.envelopes += items;
    counts.availability += text.split('"AvailabilityData"').length - 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ itemsReceived: items, itemsAccepted: items, errors: [] }));
  });
});
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port, caFile }));
setInterval(() => process.send({ type: 'counts', ...counts }), 500).unref();
process.on('disconnect', () => process.exit(0));
