import { appendFileSync } from 'node:fs';
// npm run bench, part 6 (issue 12): N jobs on `*/10 * * * * *` for a minute, measured where the user
// feels it. Each row is one process, started alone:
//
// - the naive reference (bench/naive.js): one croner job per check + undici request();
// - Pulsecheck's local host as `npm start` runs it (same V8 flags), in-memory store;
// - Pulsecheck as deployed: Table Storage on Azurite, Application Insights and Datadog on, pointed
//   at local fakes; Azurite, the fakes and a counting proxy in front of Azurite (bench/proxy.js)
//   each in its own process.
//
// Lateness is the request's arrival at the target (bench/target.js, its own process) minus its
// scheduled instant; CPU per check is the measured process's utime + stime over a steady window of
// BENCH_SCHEDULE_SECONDS that starts 0.5 s before a boundary, after one warm-up boundary, divided by
// the requests the target saw in that window; RSS is the process's peak (VmHWM).
// Targets are ratios to the naive row with the same number of jobs, in the same run.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent, startIngestion, sinksEnv } from './fakes.js';
import { startAzurite } from './storage.js';

const SECONDS = Number(process.env.BENCH_SCHEDULE_SECONDS ?? 60);
const JOBS = Number(process.env.BENCH_SCHEDULE_JOBS ?? 1_000);
const ROWS = (process.env.BENCH_SCHEDULE_ROWS ?? 'naive,memory,deployed,naive-10x,memory-10x').split(',').map((row) => row.trim());
const PROFILE_DIR = process.env.BENCH_SCHEDULE_PROFILE;
const PERIOD = 10_000;
const MB = 1024 * 1024;
/** The V8 flags `npm start` (package.json) and the container image run the host with. */
const NODE_FLAGS = ['--max-semi-space-size=4'];
/**
 * Variants to measure (the Pulsecheck rows only): BENCH_HOST_FLAGS, extra V8/Node flags (space
 * separated, e.g. `--experimental-async-context-frame`); BENCH_HOST_ENV, extra environment as JSON
 * (e.g. `{"DD_TRACE_UNDICI_ENABLED":"false"}`).
 */
const EXTRA_FLAGS = (process.env.BENCH_HOST_FLAGS ?? '').split(' ').filter(Boolean);
const EXTRA_ENV = JSON.parse(process.env.BENCH_HOST_ENV || '{}');

/** CPU milliseconds (user + system) a process has used so far (Linux /proc; clock ticks of 10 ms). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** Peak resident set of a process, in bytes (Linux /proc). */
const peakRss = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
const sleepUntil = (at) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** Asks the target (bench/target.js) over IPC and waits for its answer. */
function ask(target, message) {
  return new Promise((resolve) => {
    target.child.once('message', resolve);
    target.child.send(message);
  });
}

/** A child process's stdout, drained; resolves with it once `pattern` has been printed. */
function waitFor(child, pattern) {
  let output = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${output.slice(-2_000)}`)));
    child.stdout.on('data', (chunk) => {
      if (process.env.BENCH_HOST_LOG) appendFileSync(process.env.BENCH_HOST_LOG, chunk);
      if (output.length < 100_000) output += chunk;
      if (pattern.test(output)) resolve();
    });
  });
}

const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve)));

/** The naive reference, in its own process. */
async function startNaive(base, jobs) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./naive.js', import.meta.url)), base, String(jobs)], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitFor(child, /ready/);
  return { pid: child.pid, stop: async () => (child.kill('SIGTERM'), exited(child)) };
}

/** Pulsecheck's local host as `npm start` runs it, in its own process, with `jobs` jobs. */
async function startHost(base, jobs, { values = {}, env = {}, profile } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-bench-schedule-'));
  writeFileSync(
    join(dir, 'jobs.config.json'),
    JSON.stringify({
      jobs: Array.from({ length: jobs }, (_, i) => ({
        name: `job${i}`,
        url: `${base}/j/${i}`,
        schedule: '*/10 * * * * *',
        conditions: ['[STATUS] == 200', '[BODY].status == UP', '[RESPONSE_TIME] < 1000'],
      })),
    }),
  );
  // JSON logs, as in Azure; the target is on loopback: allowed explicitly, not by the local host's default.
  writeFileSync(
    join(dir, 'local.settings.json'),
    JSON.stringify({ Values: { PULSECHECK_PORT: '0', PULSECHECK_LOG_FORMAT: 'json', AzureWebJobsStorage: '', PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8', ...values } }),
  );
  const flags = [...NODE_FLAGS, ...EXTRA_FLAGS, ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [])];
  const child = spawn(process.execPath, [...flags, fileURLToPath(new URL('../dist/cli/index.js', import.meta.url)), 'start'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ...EXTRA_ENV },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitFor(child, /listening on http/);
  return { pid: child.pid, stop: async () => (child.kill('SIGTERM'), exited(child)) };
}

/** The as-deployed dependencies: Azurite behind the counting proxy, and the two telemetry fakes. */
async function startDeployment() {
  const [azurite, ingestion, agent] = await Promise.all([startAzurite(), startIngestion(), startAgent()]);
  const proxy = fork(new URL('./proxy.js', import.meta.url), [new URL(azurite.endpoints.table).port], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const { port } = await new Promise((resolve) => proxy.once('message', resolve));
  const connectionString = azurite.connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${port}`);
  return {
    azurite,
    ingestion,
    agent,
    connectionString,
    env: sinksEnv(ingestion, agent),
    /** Storage requests counted at the proxy so far: total and by kind. */
    requests: () =>
      new Promise((resolve) => {
        proxy.once('message', resolve);
        proxy.send({ type: 'counts' });
      }),
    stop: async () => {
      proxy.kill();
      ingestion.stop();
      agent.stop();
      await azurite.stop();
    },
  };
}

/**
 * Measures one row: starts it, lets one boundary go by, then measures `SECONDS`; returns its figures.
 * `counters` (optional) reads other processes' counters; it is called at both edges of the window.
 */
async function measureRow(target, jobs, start, counters) {
  await ask(target, { type: 'reset' });
  const loadBefore = load();
  const row = await start();
  try {
    // One warm-up boundary (connections, JIT, first reads of storage), then the measured ones.
    const first = Math.ceil((Date.now() + 1_000) / PERIOD) * PERIOD + PERIOD;
    const instants = Array.from({ length: SECONDS / 10 }, (_, i) => first + i * PERIOD);
    const from = first - 500;
    const to = from + SECONDS * 1_000;
    await sleepUntil(from);
    const cpuBefore = cpuMs(row.pid);
    const before = await counters?.();
    await sleepUntil(to);
    const cpu = cpuMs(row.pid) - cpuBefore;
    const rss = peakRss(row.pid);
    const after = await counters?.();
    // The last boundary's requests may still be arriving (lateness < 10 s is assumed).
    await sleepUntil(instants.at(-1) + PERIOD + 200);
    const report = await ask(target, { type: 'report', from, to, instants, jobs });
    return { ...report, cpuPerCheck: cpu / report.arrivals, rss, load: [loadBefore, load()], expected: jobs * instants.length, counters: after && { before, after } };
  } finally {
    await row.stop();
  }
}

function printRow(label, r) {
  console.log(
    `   ${label.padEnd(34)} ${fmt(r.cpuPerCheck, 3).padStart(6)} CPU-ms   ${`${fmt(r.lateness.p50)} / ${fmt(r.lateness.p99)} ms`.padStart(17)}` +
      `  (max ${fmt(r.lateness.max)})  RSS ${fmt(r.rss / MB).padStart(5)} MB   ${r.occurrences}/${r.expected} occurrences, missed ${r.missed}, doubled ${r.doubled}` +
      `${r.late ? `, ${r.late} arrived > 9 s late (attribution unsure)` : ''}   load ${r.load.map((l) => fmt(l, 1)).join('→')}`,
  );
}

/** Prints one figure against its target; returns whether it was met. */
function verdict(name, text, ok) {
  console.log(`      ${name.padEnd(22)} ${text.padEnd(44)} ${ok ? 'PASS' : 'FAIL'}`);
  return ok;
}

function judge(label, row, naive, targets) {
  console.log(`   ${label}, against the naive row:`);
  if (!(naive.arrivals > 0 && row.arrivals > 0)) return verdict('every figure', 'no requests reached the target in the window', false);
  const cpu = row.cpuPerCheck / naive.cpuPerCheck;
  const p99 = row.lateness.p99 / naive.lateness.p99;
  let ok = verdict('CPU per check', `${fmt(cpu, 2)}× naive (target ≤ ${targets.cpu}×)`, cpu <= targets.cpu);
  ok = verdict('p99 arrival lateness', `${fmt(p99, 2)}× naive (target ≤ ${targets.p99}×)`, p99 <= targets.p99) && ok;
  ok = verdict('peak RSS', `${fmt(row.rss / MB)} MB (target ≤ ${targets.rssMb} MB)`, row.rss <= targets.rssMb * MB) && ok;
  if (targets.exact) ok = verdict('every occurrence once', `missed ${row.missed}, doubled ${row.doubled}`, row.missed === 0 && row.doubled === 0) && ok;
  return ok;
}

/** Runs part 6 against the target (bench/target.js); prints every row and verdict; returns whether all targets were met. */
export async function scheduleRows(target) {
  const base = target.url.replace(/\/health$/, '');
  const big = JOBS * 10;
  console.log(`\n6. Schedule: jobs on */10 * * * * *, ${SECONDS} s measured after one warm-up boundary, lateness at the target's arrival, each row its own process (about ${ROWS.length * (SECONDS + 30)} s)`);
  const results = {};
  const run = async (key, label, jobs, start, counters) => {
    if (!ROWS.includes(key)) return;
    results[key] = await measureRow(target, jobs, start, counters);
    printRow(label, results[key]);
  };
  const profile = (key) => (PROFILE_DIR ? join(PROFILE_DIR, key) : undefined);

  await run('naive', `naive (croner + undici), ${JOBS} jobs`, JOBS, () => startNaive(base, JOBS));
  await run('memory', `Pulsecheck memory store, ${JOBS} jobs`, JOBS, () => startHost(base, JOBS, { profile: profile('memory') }));
  if (ROWS.includes('deployed')) {
    const deployment = await startDeployment();
    try {
      const counters = async () => ({ azuriteMs: cpuMs(deployment.azurite.pid), storage: await deployment.requests(), ingestion: { ...deployment.ingestion.counts }, agent: { ...deployment.agent.counts } });
      const prefix = `benchSchedule${Date.now().toString(36)}`;
      const values = { AzureWebJobsStorage: deployment.connectionString, PULSECHECK_TABLE_PREFIX: prefix };
      await run('deployed', `Pulsecheck as deployed, ${JOBS} jobs`, JOBS, () => startHost(base, JOBS, { values, env: deployment.env, profile: profile('deployed') }), counters);
      const { before, after } = results.deployed.counters;
      const checks = results.deployed.arrivals;
      const kinds = Object.entries(after.storage.byKind)
        .map(([kind, n]) => [kind, n - (before.storage.byKind[kind] ?? 0)])
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${fmt(n / checks, 2)}`)
        .join(', ');
      console.log(`      Azurite's own CPU ${fmt((after.azuriteMs - before.azuriteMs) / checks, 3)} CPU-ms per check; storage requests per check ${fmt((after.storage.total - before.storage.total) / checks, 2)} (${kinds || 'none'})`);
      console.log(
        `      received in the window: ${after.ingestion.availability - before.ingestion.availability} App Insights availability results,` +
          ` ${after.agent.spans - before.agent.spans} Datadog spans, ${after.agent.metricLines - before.agent.metricLines} DogStatsD lines, for ${checks} checks`,
      );
    } finally {
      await deployment.stop();
    }
  }
  await run('naive-10x', `naive (croner + undici), ${big} jobs`, big, () => startNaive(base, big));
  await run('memory-10x', `Pulsecheck memory store, ${big} jobs`, big, () => startHost(base, big, { profile: profile('memory-10x') }));

  let ok = true;
  if (results.naive && results.memory) ok = judge(`memory store, ${JOBS} jobs`, results.memory, results.naive, { cpu: 1, p99: 0.5, rssMb: 150 }) && ok;
  if (results.naive && results.deployed) ok = judge(`as deployed, ${JOBS} jobs`, results.deployed, results.naive, { cpu: 2, p99: 1, rssMb: 250 }) && ok;
  if (results['naive-10x'] && results['memory-10x']) {
    ok = judge(`memory store, ${big} jobs (naive with ${big} jobs)`, results['memory-10x'], results['naive-10x'], { cpu: 1, p99: 1, rssMb: 600, exact: true }) && ok;
  }
  return ok;
}
