// The benchmark's target: a plain node:http server in its own process (its CPU is not the client's).
//
// Any path answers 200 {"status":"UP"}. Requests to /j/<i> (the schedule part, bench/schedule.js)
// are also recorded: job i, and its arrival time (when the request's head has been read). Every
// job there runs on `*/10 * * * * *`, so a request's scheduled instant is the last 10-second boundary
// before it arrived (valid while lateness stays under 10 s). The parent asks over IPC:
//   { type: 'reset' }                     forget what was recorded → { type: 'reset' }
//   { type: 'report', from, to, instants, jobs }
//     → { type: 'report', arrivals, lateness: { p50, p99, max }, occurrences, missed, doubled, late }
//       arrivals: requests that arrived in [from, to) (ms since the epoch); the rest is about the
//       occurrences at `instants` (10-second boundaries) of jobs 0 … jobs-1.
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'UP' });
const PERIOD = 10_000;
// Recorded as parallel growable arrays: a burst of 10 000 requests must cost the target little.
let jobOf = new Int32Array(1 << 16);
let arrivedAt = new Float64Array(1 << 16);
let recorded = 0;

function record(job, at) {
  if (recorded === jobOf.length) {
    const grow = (from, To) => {
      const to = new To(from.length * 2);
      to.set(from);
      return to;
    };
    jobOf = grow(jobOf, Int32Array);
    arrivedAt = grow(arrivedAt, Float64Array);
  }
  jobOf[recorded] = job;
  arrivedAt[recorded] = at;
  recorded++;
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/j/')) record(Number(req.url.slice(3)), performance.timeOrigin + performance.now());
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;

const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

function report({ from, to, instants, jobs }) {
  const wanted = new Map(instants.map((at, k) => [at, k]));
  const counts = new Uint8Array(instants.length * jobs);
  const lateness = [];
  let arrivals = 0;
  for (let r = 0; r < recorded; r++) {
    const at = arrivedAt[r];
    if (at >= from && at < to) arrivals++;
    const instant = Math.floor(at / PERIOD) * PERIOD;
    const k = wanted.get(instant);
    if (k === undefined || jobOf[r] >= jobs) continue;
    const slot = k * jobs + jobOf[r];
    if (counts[slot] < 255) counts[slot]++;
    lateness.push(at - instant);
  }
  lateness.sort((a, b) => a - b);
  let missed = 0;
  let doubled = 0;
  for (const n of counts) {
    if (n === 0) missed++;
    else if (n > 1) doubled += n - 1;
  }
  return {
    type: 'report',
    arrivals,
    occurrences: lateness.length,
    missed,
    doubled,
    // Arrivals more than 9 s after their boundary: the floor() attribution may be wrong past 10 s.
    late: lateness.filter((ms) => ms > 9_000).length,
    lateness: { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) ?? NaN },
  };
}

process.on('message', (message) => {
  if (message.type === 'reset') {
    recorded = 0;
    process.send({ type: 'reset' });
  }
  if (message.type === 'report') process.send(report(message));
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
process.on('disconnect', () => process.exit(0));
