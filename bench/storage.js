// npm run bench, part 4 (issue 4): durable state on Table Storage (Azurite, in its own process).
//
// a. Check throughput with runs recorded to Table Storage, against the in-memory store: the same
//    pipeline as part 1, same target. Recording is written behind, so the figure is the check path;
//    how long the last runs then take to be stored is printed beside it.
// b. API latency at a fixed 200 requests/s (open loop: a slow answer does not slow the next request)
//    for GET /api/jobs and GET /api/jobs/{name}/runs, with 1 000 API jobs and 100 000 runs stored,
//    against the local host in its own process as `npm start` runs it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createLogger } from '../dist/adapters/log-telemetry/logger.js';
import { SystemClock } from '../dist/adapters/system-clock/systemClock.js';
import { tableStore } from '../dist/compositionStorage.js';
import { startAzurite } from '../dist/hosts/local/azurite.js';

const API_JOBS = 1_000;
const RUNS_PER_JOB = 100;
const RATE = 200;
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 20);

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
const cpuOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n, digits = 1) => n.toFixed(digits);
const silent = createLogger({ level: 'warn', format: 'json', fd: 2 });

/** a. Throughput of the check pipeline recording to Table Storage vs the memory store. */
export async function recordingThroughput(azurite, pipeline, url, { checks, rounds }) {
  const table = tableStore({ clock: new SystemClock(), connection: { connectionString: azurite.connectionString }, logger: silent, tablePrefix: 'benchRecording' });
  await pipeline(url, 2_000, table); // warm-up: tables, connections, JIT
  await table.flush();
  const memory = [];
  const stored = [];
  const drain = [];
  const cpu = { memory: [], table: [] };
  for (let round = 0; round < rounds; round++) {
    const m = await pipeline(url, checks);
    memory.push(m.perSecond);
    cpu.memory.push(m.cpuMsPer1000);
    const t = await pipeline(url, checks, table);
    stored.push(t.perSecond);
    cpu.table.push(t.cpuMsPer1000);
    const started = performance.now();
    await table.flush();
    drain.push(performance.now() - started);
  }
  const health = await table.health();
  await table.close();
  const m = median(memory);
  const t = median(stored);
  const ratio = t / m;
  console.log(`\n4a. Check throughput with run recording (${checks} checks × ${rounds} rounds each, medians)`);
  console.log(`   in-memory store        ${fmt(m, 0).padStart(7)} checks/s  ${fmt(median(cpu.memory), 0).padStart(4)} CPU-ms per 1,000 checks in this process`);
  console.log(`   Table Storage (Azurite)${fmt(t, 0).padStart(7)} checks/s  ${fmt(median(cpu.table), 0).padStart(4)} CPU-ms per 1,000 checks in this process  (${fmt(ratio * 100, 0)} % of in-memory; target ≥ 80 %) ${ratio >= 0.8 ? 'PASS' : 'FAIL'}`);
  console.log(`   every run stored ${fmt(median(drain) / 1000, 2)} s after the last check of a round (median); runs lost ${health.lostRuns}, storage ${health.status}`);
  return ratio >= 0.8 && health.lostRuns === 0;
}

/** Loads 1 000 API jobs and 100 000 runs into Table Storage under `prefix`. */
async function load(azurite, prefix, url) {
  const store = tableStore({ clock: new SystemClock(), connection: { connectionString: azurite.connectionString }, logger: silent, tablePrefix: prefix, maxPendingRuns: 50_000 });
  const started = performance.now();
  const now = Date.now();
  for (let i = 0; i < API_JOBS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) => {
        const name = `job${i + k}`;
        const at = new Date(now).toISOString();
        const definition = { name, url, every: '10s', conditions: ['[STATUS] == 200', '[BODY].status == UP'] };
        return store.createJob({ name, definition, etag: `e${i + k}`, createdAt: at, updatedAt: at });
      }),
    );
  }
  for (let r = 0; r < RUNS_PER_JOB; r++) {
    const scheduledAt = new Date(now - (RUNS_PER_JOB - r) * 10_000).toISOString();
    for (let j = 0; j < API_JOBS; j++) {
      const job = `job${j}`;
      await store.recordRun({
        runId: `${job}@${scheduledAt}`, job, trigger: 'schedule', scheduledAt, startedAt: scheduledAt, durationMs: 3, attempts: 1,
        status: 'up', success: true, httpStatus: 200,
        conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }, { condition: '[BODY].status == UP', success: true, actual: 'UP' }],
        timings: { dns: 0, connect: 0.4, tls: 0, firstByte: 1.9, total: 3.2 }, location: 'bench',
      });
      await store.saveState(job, { health: 'UP', since: scheduledAt, consecutiveFailures: 0, consecutiveSuccesses: r + 1, lastRun: null });
    }
    // As the dispatcher does at the end of each tick: every tick's runs are stored apart, so the
    // history holds one entity per run, as in production (runs 10 s apart are never written together).
    await store.flush();
  }
  await store.close();
  return (performance.now() - started) / 1000;
}

/** `RATE` requests per second for `SECONDS`, each on time whatever the others do; latencies in ms. */
async function openLoop(pool, pathFor) {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  const pending = [];
  for (let i = 0; i < RATE * SECONDS; i++) {
    const due = started + (i * 1_000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      (async () => {
        const sent = performance.now();
        try {
          const { statusCode, body } = await pool.request({ method: 'GET', path: pathFor(i) });
          await body.dump({ limit: Infinity });
          if (statusCode !== 200) errors++;
        } catch {
          errors++;
        }
        // Measured from the instant the request was due: time waiting for a socket counts.
        latencies.push(performance.now() - Math.min(sent, due));
      })(),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), errors };
}

/** b. API latency against the local host (own process) with the stored data. */
export async function apiLatency(azurite, url, azuritePid) {
  const prefix = `benchApi${Date.now().toString(36)}`;
  console.log(`\n4b. API latency at ${RATE} requests/s for ${SECONDS} s each, ${API_JOBS} API jobs and ${API_JOBS * RUNS_PER_JOB} runs in Table Storage (Azurite)`);
  const loadSeconds = await load(azurite, prefix, url);
  console.log(`   loaded in ${fmt(loadSeconds, 1)} s`);
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-bench-api-'));
  writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: [] }));
  writeFileSync(
    join(dir, 'local.settings.json'),
    JSON.stringify({
      Values: {
        AzureWebJobsStorage: azurite.connectionString,
        PULSECHECK_TABLE_PREFIX: prefix,
        PULSECHECK_PORT: '0',
        // No tick during the measurement: the API alone is measured.
        PULSECHECK_TICK_SCHEDULE: '0 0 0 1 1 *',
        PULSECHECK_LOG_FORMAT: 'json',
        PULSECHECK_LOG_LEVEL: 'warn',
        // Runs against the loopback target: allowed explicitly, not by the local host's default.
        PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8',
      },
    }),
  );
  const host = spawn(process.execPath, ['--max-semi-space-size=4', '--experimental-async-context-frame', fileURLToPath(new URL('../dist/cli/index.js', import.meta.url)), 'start'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const base = await new Promise((resolve) => host.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(output);
    if (match) resolve(match[1]);
  }));
  const pool = new Pool(base, { connections: 64, pipelining: 1 });
  let ok = true;
  try {
    // Warm-up: the first requests read the jobs and states from storage into the host's caches.
    for (let i = 0; i < 20; i++) await (await pool.request({ method: 'GET', path: '/api/jobs' })).body.dump({ limit: Infinity });
    const { body } = await pool.request({ method: 'GET', path: '/api/jobs' });
    const listed = (await body.json()).jobs.length;
    for (const [label, pathFor] of [
      ['GET /api/jobs', () => '/api/jobs'],
      ['GET /api/jobs/{name}/runs', (i) => `/api/jobs/job${(i * 7919) % API_JOBS}/runs`],
    ]) {
      const cpuBefore = { host: cpuOf(host.pid), azurite: cpuOf(azuritePid), bench: process.cpuUsage() };
      const { latencies, errors } = await openLoop(pool, pathFor);
      const bench = process.cpuUsage(cpuBefore.bench);
      const busy = {
        host: (cpuOf(host.pid) - cpuBefore.host) / SECONDS,
        azurite: (cpuOf(azuritePid) - cpuBefore.azurite) / SECONDS,
        client: (bench.user + bench.system) / 1e6 / SECONDS,
      };
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const pass = p99 < 100 && errors === 0;
      ok &&= pass;
      console.log(`   ${label.padEnd(26)} p50 ${fmt(p50).padStart(6)} ms  p99 ${fmt(p99).padStart(6)} ms  max ${fmt(latencies.at(-1), 0).padStart(5)} ms  errors ${errors}  (target p99 < 100 ms) ${pass ? 'PASS' : 'FAIL'}`);
      console.log(`   ${''.padEnd(26)} CPU busy: host ${fmt(busy.host * 100, 0)} %, Azurite ${fmt(busy.azurite * 100, 0)} %, load generator ${fmt(busy.client * 100, 0)} % of a core`);
    }
    console.log(`   (GET /api/jobs lists ${listed} jobs; GET …/runs returns the default page of 50 runs)`);
  } finally {
    await pool.close();
    host.kill('SIGTERM');
    await new Promise((resolve) => host.once('exit', resolve));
  }
  return ok;
}

export { startAzurite };
