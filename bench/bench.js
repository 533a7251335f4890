// npm run bench: the figures the foundation issue asks for, printed side by side.
//
// 1. CPU per check and throughput: the full pipeline (schedule → policy → request → conditions →
//    result → log line) against a bare undici request() loop, same target, same concurrency.
// 2. The burst: 1 000 jobs due on the same 10-second boundary, run for a minute by the local host in
//    its own process, as `npm start` runs it: start lateness (p50/p99/max, from its run log lines),
//    missed and duplicated occurrences, peak RSS.
// 3. Telemetry: the pipeline's throughput with Application Insights and Datadog on (pointed at a
//    local HTTPS ingestion endpoint and a fake agent, each in its own process), and as deployed
//    (the same, runs to Table Storage on Azurite), against both off, each side in its own process
//    (bench/sinks.js).
//
// 4. Durable state (bench/storage.js): check throughput recording runs to Table Storage vs memory,
//    and API latency with 1 000 jobs and 100 000 runs on Azurite at 200 requests/s.
// 5. Unreachable sinks (bench/unreachable.js): the local host with App Insights and Datadog
//    configured but unreachable keeps 100 jobs a second on time, its memory flat.
// 6. The schedule (bench/schedule.js, issue 12): 1 000 and 10 000 jobs on */10 * * * * *, lateness at
//    the target's arrival, host CPU per check and RSS, next to a naive croner + undici script.
//
// What each part measures, how to run one part alone, and the latest figures: bench/README.md.
// The target is a node:http server in a child process, so its CPU is not counted as the client's.
import { execFile, fork, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bulkhead } from 'cockatiel';
import { Agent, request } from 'undici';
import { LogTelemetry } from '../dist/adapters/log-telemetry/logTelemetry.js';
import { createLogger } from '../dist/adapters/log-telemetry/logger.js';
import { MemoryStore } from '../dist/adapters/memory-store/memoryStore.js';
import { SystemClock } from '../dist/adapters/system-clock/systemClock.js';
import { UndiciProber } from '../dist/adapters/undici-prober/prober.js';
import { CheckRunner } from '../dist/app/checkRunner.js';
import { parseJobsFile } from '../dist/config/jobsFile.js';
import { networkPolicy } from '../dist/domain/network.js';
import { planTick } from '../dist/domain/plan.js';
import { runIdFor } from '../dist/domain/run.js';
import { startAgent, startIngestion, sinksEnv } from './fakes.js';
import { scheduleRows } from './schedule.js';
import { apiLatency, recordingThroughput, startAzurite } from './storage.js';
import { unreachableSinks } from './unreachable.js';

const CONCURRENCY = 64;
const CHECKS = Number(process.env.BENCH_CHECKS ?? 20_000);
const ROUNDS = 3;
const BURST_JOBS = 1_000;
const BURST_SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 60);

const devNull = openSync('/dev/null', 'w');
const MB = 1024 * 1024;
/** The Node flags `npm start` (package.json) and the container image run the host with. */
const NODE_FLAGS = ['--max-semi-space-size=4', '--experimental-async-context-frame'];

function startTarget() {
  const child = fork(new URL('./target.js', import.meta.url), { stdio: 'ignore' });
  return new Promise((resolve) => child.once('message', ({ port }) => resolve({ child, url: `http://127.0.0.1:${port}/health` })));
}

const jobsText = (url, count, extra = {}) =>
  JSON.stringify({
    jobs: Array.from({ length: count }, (_, i) => ({
      name: `job${i}`,
      url,
      every: '10s',
      conditions: ['[STATUS] == 200', '[BODY].status == UP', '[RESPONSE_TIME] < 1000'],
      ...extra,
    })),
  });

/** Runs `total` iterations of `once` on `concurrency` loops; returns wall and CPU time. */
async function measure(total, concurrency, once) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await once(next++);
    }),
  );
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (user + system) / 1_000, perSecond: (total / wallMs) * 1_000, cpuMsPer1000: ((user + system) / 1_000 / total) * 1_000 };
}

async function bareUndici(url, total) {
  const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000 });
  try {
    return await measure(total, CONCURRENCY, async () => {
      const response = await request(url, { dispatcher: agent });
      await response.body.dump();
    });
  } finally {
    await agent.close();
  }
}

async function pipeline(url, total, store = new MemoryStore({ maxRunsPerJob: 100 })) {
  const jobs = parseJobsFile(jobsText(url, 500), {});
  const logger = createLogger({ level: 'info', format: 'json', fd: devNull });
  // The target listens on loopback, which the target guard refuses unless allowed.
  const prober = new UndiciProber({ connectionsPerOrigin: 32, networkPolicy: networkPolicy({ allowed: ['127.0.0.0/8'] }) });
  const runner = new CheckRunner({
    prober,
    clock: new SystemClock(),
    store,
    telemetry: new LogTelemetry(logger),
    logger,
    bulkhead: bulkhead(CONCURRENCY, CHECKS),
    location: 'bench',
  });
  // The schedule step: plan each round of occurrences as a tick would, then run them.
  let now = Date.parse('2026-01-01T00:00:00Z');
  let cursors = {};
  let planned = [];
  const byName = new Map(jobs.map((job) => [job.name, job]));
  try {
    return await measure(total, CONCURRENCY, async (i) => {
      if (i % jobs.length === 0 || planned.length === 0) {
        const plan = planTick({ jobs, cursors, now, horizon: now + 9_999, lookbackMs: 10_000 });
        cursors = plan.cursors;
        planned = plan.occurrences;
        now += 10_000;
      }
      const occurrence = planned[i % planned.length];
      const job = byName.get(occurrence.job);
      await runner.run(job, { runId: `${runIdFor(job.name, occurrence.scheduledAt)}#${i}`, trigger: 'schedule', scheduledAt: occurrence.scheduledAt });
    });
  } finally {
    await prober.close();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const fmt = (n, digits = 1) => n.toFixed(digits);

async function throughput(url) {
  await bareUndici(url, 2_000); // warm-up: JIT and connections
  await pipeline(url, 2_000);
  const bare = [];
  const full = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareUndici(url, CHECKS));
    full.push(await pipeline(url, CHECKS));
  }
  const b = { cpu: median(bare.map((r) => r.cpuMsPer1000)), rate: median(bare.map((r) => r.perSecond)) };
  const f = { cpu: median(full.map((r) => r.cpuMsPer1000)), rate: median(full.map((r) => r.perSecond)) };
  console.log(`\n1. CPU per check and throughput (${CHECKS} checks × ${ROUNDS} rounds each, concurrency ${CONCURRENCY}, medians)`);
  console.log(`   bare undici request()  ${fmt(b.cpu, 3).padStart(8)} CPU-ms per 1,000 checks  ${fmt(b.rate, 0).padStart(7)} checks/s`);
  console.log(`   full pipeline          ${fmt(f.cpu, 3).padStart(8)} CPU-ms per 1,000 checks  ${fmt(f.rate, 0).padStart(7)} checks/s`);
  const ratio = f.cpu / b.cpu;
  console.log(`   CPU per check: ${fmt(ratio, 2)}× bare undici (target ≤ 2×) ${ratio <= 2 ? 'PASS' : 'FAIL'};` +
    ` throughput ${fmt((f.rate / b.rate) * 100, 0)} % of bare undici (target ≥ 50 %) ${f.rate / b.rate >= 0.5 ? 'PASS' : 'FAIL'}`);
  return ratio <= 2 && f.rate / b.rate >= 0.5;
}

async function telemetrySinks(url) {
  const [ingestion, agent, azurite] = await Promise.all([startIngestion(), startAgent(), startAzurite()]);
  const base = { PATH: process.env.PATH, HOME: process.env.HOME };
  const on = { ...base, ...sinksEnv(ingestion, agent) };
  // As deployed (DESIGN.md §6): both sinks on and runs recorded to Table Storage (Azurite).
  const deployed = { ...on, BENCH_TABLE_CONNECTION: azurite.connectionString };
  const script = fileURLToPath(new URL('./sinks.js', import.meta.url));
  const run = async (env) => {
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_FLAGS, script, url, String(CHECKS), '2', String(CONCURRENCY)], { env, maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1));
  };
  // Two processes per side, alternating (off, on, deployed, off, …), so that a noisy moment does not decide.
  const pool = (a, b) => {
    const rounds = [...a.rounds, ...b.rounds];
    return { ...b, perSecond: median(rounds.map((r) => r.perSecond)), cpuMsPer1000: median(rounds.map((r) => r.cpuMsPer1000)), dropped: a.dropped + b.dropped };
  };
  try {
    const first = { off: await run(base), on: await run(on), deployed: await run(deployed) };
    const off = pool(first.off, await run(base));
    const with_ = pool(first.on, await run(on));
    const asDeployed = pool(first.deployed, await run(deployed));
    // Let the last batches arrive, and the agent report its counts.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const ratio = with_.perSecond / off.perSecond;
    const deployedRatio = asDeployed.perSecond / off.perSecond;
    const line = (label, side) => console.log(`   ${label.padEnd(60)} ${fmt(side.cpuMsPer1000, 1).padStart(8)} CPU-ms per 1,000 checks  ${fmt(side.perSecond, 0).padStart(7)} checks/s`);
    console.log(`\n3. Telemetry sinks (${CHECKS} checks × 2 rounds × 2 processes per side, alternating, concurrency ${CONCURRENCY}, medians)`);
    line(`sinks ${off.sinks.join(', ')}, memory store`, off);
    line(`sinks ${with_.sinks.join(', ')}, memory store`, with_);
    line('as deployed: the same, runs to Table Storage', asDeployed);
    console.log(`   received: ${ingestion.counts.availability} availability results (${ingestion.counts.envelopes} envelopes), ${agent.counts.spans} spans, ${agent.counts.metricLines} DogStatsD lines; dropped by the fan-out ${with_.dropped + asDeployed.dropped}; sink health ${JSON.stringify(with_.health)}`);
    console.log(`   throughput with both sinks on: ${fmt(ratio * 100, 0)} % of sinks off (target ≥ 80 %) ${ratio >= 0.8 ? 'PASS' : 'FAIL'}; CPU per check ${fmt(with_.cpuMsPer1000 / off.cpuMsPer1000, 2)}×`);
    console.log(`   throughput as deployed: ${fmt(deployedRatio * 100, 0)} % of sinks off with the memory store (target ≥ 60 %) ${deployedRatio >= 0.6 ? 'PASS' : 'FAIL'}; CPU per check ${fmt(asDeployed.cpuMsPer1000 / off.cpuMsPer1000, 2)}×`);
    return ratio >= 0.8 && deployedRatio >= 0.6;
  } finally {
    ingestion.stop();
    agent.stop();
    await azurite.stop();
  }
}

/** Peak and current resident set of a process, in bytes (Linux /proc). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

async function burst(url) {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-bench-'));
  writeFileSync(join(dir, 'jobs.config.json'), jobsText(url, BURST_JOBS));
  writeFileSync(
    join(dir, 'local.settings.json'),
    // In-memory storage: this part measures the scheduler; part 3 measures recording to Table Storage.
    // The target is on loopback: allowed explicitly, not by the local host's default.
    JSON.stringify({
      Values: { PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: '*/10 * * * * *', PULSECHECK_LOG_FORMAT: 'json', AzureWebJobsStorage: '', PULSECHECK_ALLOWED_NETWORKS: '127.0.0.0/8' },
    }),
  );
  // The local host exactly as `npm start` runs it, in its own process; runs are read from its log.
  const host = spawn(process.execPath, [...NODE_FLAGS, fileURLToPath(new URL('../dist/cli/index.js', import.meta.url)), 'start'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const runs = [];
  createInterface({ input: host.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const record = JSON.parse(line);
    if (record.event === 'run') runs.push(record);
  });
  await new Promise((resolve) => host.stdout.once('data', resolve));
  const cpuAtStart = readCpu(host.pid);
  const startedAt = Date.now();
  const first = Math.ceil((startedAt + 1_000) / 10_000) * 10_000;
  const expected = Array.from({ length: BURST_SECONDS / 10 }, (_, i) => first + i * 10_000);
  const last = expected.at(-1);
  console.log(`\n2. Burst: ${BURST_JOBS} jobs every 10 s on the same boundary, ${expected.length} boundaries, local host in its own process (about ${Math.round((last + 5_000 - startedAt) / 1000)} s)…`);
  const idle = memoryOf(host.pid).now;
  await new Promise((resolve) => setTimeout(resolve, last + 5_000 - Date.now()));
  const { peak } = memoryOf(host.pid);
  const cpuSeconds = readCpu(host.pid) - cpuAtStart;
  host.kill('SIGTERM');
  await new Promise((resolve) => host.once('exit', resolve));

  const inWindow = runs.filter((run) => expected.includes(Date.parse(run.scheduledAt)));
  const seen = new Map();
  for (const run of inWindow) seen.set(run.runId, (seen.get(run.runId) ?? 0) + 1);
  let missed = 0;
  for (let i = 0; i < BURST_JOBS; i++) {
    for (const at of expected) if (!seen.has(runIdFor(`job${i}`, at))) missed++;
  }
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  const lateness = inWindow.map((run) => run.latenessMs).sort((a, b) => a - b);
  const notUp = inWindow.filter((run) => run.status !== 'up').length;
  const p99 = percentile(lateness, 99);
  const perBoundary = expected.map((at) =>
    percentile(inWindow.filter((run) => Date.parse(run.scheduledAt) === at).map((run) => run.latenessMs).sort((a, b) => a - b), 99),
  );
  console.log(`   runs ${inWindow.length} (expected ${BURST_JOBS * expected.length}), not up ${notUp}, missed ${missed}, duplicated ${duplicated}`);
  console.log(`   start lateness  p50 ${percentile(lateness, 50)} ms  p99 ${p99} ms  max ${lateness.at(-1)} ms (target p99 < 100 ms) ${p99 < 100 ? 'PASS' : 'FAIL'}`);
  console.log(`   p99 per boundary (ms): ${perBoundary.join(', ')}`);
  console.log(`   RSS idle with ${BURST_JOBS} jobs ${fmt(idle / MB, 0)} MB, peak ${fmt(peak / MB, 0)} MB (target < 150 MB) ${peak < 150 * MB ? 'PASS' : 'FAIL'}; CPU ${fmt(cpuSeconds, 2)} s`);
  return p99 < 100 && missed === 0 && duplicated === 0 && peak < 150 * MB && notUp === 0;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function readCpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Whether a part runs: BENCH_ONLY (comma-separated part names) runs those alone; else BENCH_SKIP_<PART> skips one. */
const only = process.env.BENCH_ONLY?.split(',').map((part) => part.trim().toLowerCase());
const runs = (part) => (only ? only.includes(part) : !process.env[`BENCH_SKIP_${part.toUpperCase()}`]);

const target = await startTarget();
console.log(`Pulsecheck benchmark — node ${process.version}, target ${target.url} (separate process), load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
try {
  const okThroughput = runs('throughput') ? await throughput(target.url) : true;
  const okBurst = runs('burst') ? await burst(target.url) : true;
  const okSinks = runs('sinks') ? await telemetrySinks(target.url) : true;
  let okStorage = true;
  // BENCH_SKIP_STORAGE skips 4a and 4b; BENCH_ONLY names them apart (storage: 4a, api: 4b).
  const api = runs('api') && (only !== undefined || runs('storage'));
  if (runs('storage') || api) {
    const azurite = await startAzurite();
    try {
      if (runs('storage')) okStorage = (await recordingThroughput(azurite, pipeline, target.url, { checks: CHECKS, rounds: ROUNDS })) && okStorage;
      if (api) okStorage = (await apiLatency(azurite, target.url, azurite.pid)) && okStorage;
    } finally {
      await azurite.stop();
    }
  }
  const okUnreachable = runs('unreachable') ? await unreachableSinks(target.url) : true;
  const okSchedule = runs('schedule') ? await scheduleRows(target) : true;
  const ok = okThroughput && okBurst && okSinks && okStorage && okUnreachable && okSchedule;
  console.log(`\n${ok ? 'All targets met.' : 'Some targets were NOT met (see above).'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  target.child.kill();
}
