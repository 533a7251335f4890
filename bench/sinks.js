// One side of the telemetry benchmark, in its own process (dd-trace must start before undici loads,
// and the SDKs keep process-wide state): the full check pipeline with the telemetry sinks the
// environment turns on, as composition wires them, and runs recorded to Table Storage when
// BENCH_TABLE_CONNECTION is set (else the in-memory store). Prints one JSON line: throughput and CPU.
import '../dist/hosts/preload.js';

const { openSync } = await import('node:fs');
const { bulkhead } = await import('cockatiel');
const { AppInsightsTelemetry } = await import('../dist/adapters/app-insights/appInsightsTelemetry.js');
const { DatadogTelemetry } = await import('../dist/adapters/datadog/datadogTelemetry.js');
const { DatadogTracing } = await import('../dist/adapters/datadog/datadogTracing.js');
const { startTracer } = await import('../dist/adapters/datadog/tracer.js');
const { LogTelemetry } = await import('../dist/adapters/log-telemetry/logTelemetry.js');
const { createLogger } = await import('../dist/adapters/log-telemetry/logger.js');
const { MemoryStore } = await import('../dist/adapters/memory-store/memoryStore.js');
const { PrometheusTelemetry } = await import('../dist/adapters/prometheus/prometheusTelemetry.js');
const { SystemClock } = await import('../dist/adapters/system-clock/systemClock.js');
const { UndiciProber } = await import('../dist/adapters/undici-prober/prober.js');
const { CheckRunner } = await import('../dist/app/checkRunner.js');
const { FanOutTelemetry } = await import('../dist/app/telemetryFanOut.js');
const { parseJobsFile } = await import('../dist/config/jobsFile.js');
const { networkPolicy } = await import('../dist/domain/network.js');
const { datadogAgentUrl } = await import('../dist/config/datadog.js');
const { tableStore } = await import('../dist/compositionStorage.js');
const { RollupRecorder } = await import('../dist/app/rollups.js');

const [url, total, rounds, concurrency] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const FLUSH_EVERY = 5_000;

const clock = new SystemClock();
const logger = createLogger({ level: 'info', format: 'json', fd: openSync('/dev/null', 'w') });
const tracer = startTracer(process.env);
const sinks = [new LogTelemetry(logger), new PrometheusTelemetry(clock)];
const connectionString = process.env.APPLICATIONINSIGHTS_CONNECTION_STRING;
if (connectionString) sinks.push(new AppInsightsTelemetry({ connectionString, clock }));
if (tracer) sinks.push(new DatadogTelemetry(tracer, datadogAgentUrl(process.env), clock));
const telemetry = new FanOutTelemetry(sinks, { logger, clock });
const tableConnection = process.env.BENCH_TABLE_CONNECTION;
const store = tableConnection
  ? tableStore({ clock, connection: { connectionString: tableConnection }, logger, tablePrefix: `benchSinks${process.pid}` })
  : new MemoryStore({ maxRunsPerJob: 100 });
// As composition wires it: each recorded run also feeds its rollups (an observer of the runner).
const rollups = new RollupRecorder({ store, timeZone: 'UTC', logger });
// The target listens on loopback, which the target guard refuses unless allowed.
const prober = new UndiciProber({ connectionsPerOrigin: 32, networkPolicy: networkPolicy({ allowed: ['127.0.0.0/8'] }) });
const runner = new CheckRunner({
  prober,
  clock,
  store,
  observers: [rollups],
  telemetry,
  logger,
  bulkhead: bulkhead(concurrency, total),
  location: 'bench',
  ...(tracer ? { tracing: new DatadogTracing(tracer) } : {}),
});
const jobs = parseJobsFile(
  JSON.stringify({ jobs: Array.from({ length: 500 }, (_, i) => ({ name: `job${i}`, url, every: '10s', conditions: ['[STATUS] == 200', '[BODY].status == UP', '[RESPONSE_TIME] < 1000'] })) }),
  {},
);

async function measure(count) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const job = jobs[i % jobs.length];
        await runner.run(job, { runId: `${job.name}@${i}`, trigger: 'schedule', scheduledAt: Date.now() });
        // The dispatcher flushes once per tick; here once per FLUSH_EVERY checks.
        if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await telemetry.flush();
      }
    }),
  );
  await telemetry.flush();
  // Runs are written behind: a round ends when they are stored, so their cost is in the figure.
  await store.flush?.();
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { perSecond: (count / wallMs) * 1_000, cpuMsPer1000: ((user + system) / 1_000 / count) * 1_000 };
}

await measure(2_000); // warm-up: JIT, connections, exporters
const results = [];
for (let round = 0; round < rounds; round++) results.push(await measure(total));
const health = Object.fromEntries(await Promise.all(sinks.filter((s) => s.health).map(async (s) => [s.name, (await s.health()).status])));
console.log(JSON.stringify({
  sinks: telemetry.sinks,
  rounds: results,
  dropped: telemetry.dropped,
  health,
}));
await telemetry.close();
await store.close?.();
await prober.close();
process.exit(0);
