// npm run bench, part 5: telemetry sinks that cannot be reached.
//
// Application Insights and Datadog both configured, nothing listening on their ports; the local
// host in its own process, as `npm start` runs it, with 100 jobs every second. After a warm-up,
// over a steady window: every job ran at every second, once, on time; RSS stays flat; /api/health
// shows both sinks down and the dispatcher ok. (Was test/telemetry/unreachable.test.ts, 12 s of
// `npm test`; a 1-second version stays in test/integration/telemetry/unreachable.test.ts.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const JOBS = 100;
const WARM_UP_MS = 4_000;
const WINDOW_MS = Number(process.env.BENCH_UNREACHABLE_SECONDS ?? 8) * 1_000;
const MAX_LATENESS_MS = 250;
const MAX_RSS_GROWTH = 40 * 1024 * 1024;
const MB = 1024 * 1024;

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
const closedPort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Resident set of a process, in bytes (Linux /proc). */
const rss = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** Runs part 5 against `url` (the bench's target); prints its figures and returns whether every target was met. */
export async function unreachableSinks(url) {
  const [ingestionPort, agentPort, statsdPort] = [await closedPort(), await closedPort(), await closedPort()];
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-bench-unreachable-'));
  writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify({ jobs: Array.from({ length: JOBS }, (_, i) => ({ name: `job${i}`, url, every: '1s' })) }));
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ Values: { AzureWebJobsStorage: '' } }));
  const host = spawn(process.execPath, ['--max-semi-space-size=4', '--experimental-async-context-frame', fileURLToPath(new URL('../dist/cli/index.js', import.meta.url)), 'start'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The SDKs stay on 127.0.0.1 (DESIGN.md §4).
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host',
      APPLICATION_INSIGHTS_NO_STATSBEAT: '1',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_TRACE_TELEMETRY_ENABLED: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_CRASHTRACKING_ENABLED: 'false',
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${ingestionPort}/`,
      DD_TRACE_AGENT_URL: `http://127.0.0.1:${agentPort}`,
      DD_DOGSTATSD_HOST: '127.0.0.1',
      DD_DOGSTATSD_PORT: String(statsdPort),
      PULSECHECK_PORT: '0',
      PULSECHECK_TICK_SCHEDULE: '*/2 * * * * *',
      PULSECHECK_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const runs = [];
  let resolveApi;
  const listening = new Promise((resolve) => (resolveApi = resolve));
  createInterface({ input: host.stdout }).on('line', (line) => {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/api)/.exec(line);
    if (match) resolveApi(match[1]);
    if (!line.startsWith('{')) return;
    const record = JSON.parse(line);
    if (record.event === 'run') runs.push(record);
  });
  const api = await listening;
  console.log(`\n5. Unreachable sinks: ${JOBS} jobs every second, App Insights and Datadog configured at closed ports, local host in its own process (about ${Math.round((WARM_UP_MS + WINDOW_MS) / 1000)} s)…`);
  try {
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const before = rss(host.pid);
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    const after = rss(host.pid);
    // The last two seconds may still be running: not counted.
    const to = Date.now() - 2_000;
    const health = await (await fetch(`${api}/health`)).json();

    const inWindow = runs.filter((r) => Date.parse(r.scheduledAt) >= from && Date.parse(r.scheduledAt) <= to);
    const seconds = Math.floor(to / 1_000) - Math.ceil(from / 1_000) + 1;
    const expected = JOBS * seconds;
    const duplicated = inWindow.length - new Set(inWindow.map((r) => `${r.job}@${r.scheduledAt}`)).size;
    const notUp = inWindow.filter((r) => r.status !== 'up').length;
    const maxLateness = Math.max(...inWindow.map((r) => r.latenessMs));
    const growth = after - before;
    const sinksDown = health.checks.appInsights?.status === 'down' && health.checks.datadog?.status === 'down' && health.checks.dispatcher?.status === 'ok';
    const ok = inWindow.length === expected && duplicated === 0 && notUp === 0 && maxLateness < MAX_LATENESS_MS && growth < MAX_RSS_GROWTH && sinksDown;
    console.log(`   runs ${inWindow.length} (expected ${expected}), not up ${notUp}, duplicated ${duplicated}, max start lateness ${maxLateness} ms (target < ${MAX_LATENESS_MS} ms)`);
    console.log(`   RSS ${Math.round(before / MB)} MB → ${Math.round(after / MB)} MB over ${WINDOW_MS / 1000} s (target: grows < 40 MB)`);
    console.log(`   health: appInsights ${health.checks.appInsights?.status} (${health.checks.appInsights?.detail}), datadog ${health.checks.datadog?.status} (${health.checks.datadog?.detail}), dispatcher ${health.checks.dispatcher?.status}`);
    console.log(`   checks go on with both sinks unreachable: ${ok ? 'PASS' : 'FAIL'}`);
    return ok;
  } finally {
    host.kill('SIGTERM');
    await new Promise((resolve) => host.once('exit', resolve));
  }
}
