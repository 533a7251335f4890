import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import { setTimeout } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadSettings } from '../../config/settings.js';
import { buildDeps, type BuildOptions, type Deps } from '../../composition.js';
import { hostedHttpFunctions, registry } from '../../functions/registry.js';
import { PulsecheckError } from '../../domain/errors.js';
import { problem } from '../../functions/http.js';
import { allowedHosts } from './hostHeader.js';
import { answerClientError, requestListener, writeResponse } from './httpServer.js';
import { DEFAULT_PORTS, isListening, startAzurite, type AzuriteOptions, type RunningAzurite } from './azurite.js';
import { localEnv } from './localSettings.js';
import type { Settings } from '../../config/settings.js';
import { TimerRunner } from './timerRunner.js';
import { SingletonTimer } from './singletonTimer.js';
import { defaultHostId, singletonOptions } from './singletonOptions.js';
import { isDisabled, startQueueFunctions } from './queueFunctions.js';

export interface LocalHostOptions extends Omit<BuildOptions, 'env' | 'baseDir'> {
  /** The app directory: `local.settings.json` and a relative jobs file are found here. Default cwd. */
  readonly dir?: string;
  /** Environment, under which `local.settings.json` Values are laid. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Interface to listen on. Default 127.0.0.1 (loopback only: no setting or CLI flag widens it).
   * Requests must name a loopback host or `WEBSITE_HOSTNAME` in `Host` either way.
   */
  readonly hostname?: string;
  /** Ports of the embedded Azurite (`UseDevelopmentStorage=true`). Default 10000-10002, as func start expects. */
  readonly azurite?: Pick<AzuriteOptions, 'ports'>;
}

export interface LocalHost {
  /** Base URL of the functions, e.g. `http://127.0.0.1:7071/api`. */
  readonly url: string;
  readonly deps: Deps;
  /** The timer functions and the NCRONTAB schedule each runs on. */
  readonly timers: ReadonlyArray<{ readonly name: string; readonly schedule: string }>;
  /** Graceful stop: no new requests or runs; runs in flight get the grace period to finish. */
  stop(): Promise<void>;
}

/**
 * Runs the registry like `func start`: HTTP functions on port 7071 (or `PULSECHECK_PORT`, 0 for any)
 * below `/api`, timers on their schedules, settings from `local.settings.json` Values.
 */
export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const dir = options.dir ?? process.cwd();
  // Like the local.settings.example.json: durable state in an embedded Azurite unless the app's
  // settings choose otherwise (an empty AzureWebJobsStorage keeps everything in memory).
  const env: Record<string, string | undefined> = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...localEnv(dir, options.env) };
  let settings = loadSettings(env);
  const hostname = options.hostname ?? '127.0.0.1';

  // Listen first: with port 0 the real port is only known now, and jobs may use it through
  // ${env:WEBSITE_HOSTNAME}, which `func start` sets the same way.
  let listener: RequestListener | undefined;
  const responding = new Set<ServerResponse>();
  // A request without Host reaches the listener, which answers it (400 problem, security headers) itself.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    responding.add(res);
    res.on('close', () => responding.delete(res));
    if (listener) listener(req, res);
    else void writeResponse(res, problem(new PulsecheckError('unavailable', 'starting'), { retryAfterSeconds: 1 }));
  });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, hostname, resolve);
  });
  const { port } = server.address() as AddressInfo;
  env.WEBSITE_HOSTNAME ??= `${hostname}:${port}`;
  // Like func start: local hosts in one app folder are instances of one app, sharing timer locks.
  if (!env.AzureFunctionsWebHost__hostid?.trim()) {
    env.AzureFunctionsWebHost__hostid = defaultHostId(dir);
    settings = { ...settings, hostId: env.AzureFunctionsWebHost__hostid };
  }
  let singleton: ReturnType<typeof singletonOptions>;

  let deps: Deps;
  let azurite: RunningAzurite | undefined;
  try {
    singleton = singletonOptions(dir);
    azurite = options.store ? undefined : await embeddedAzurite(settings, dir, options.azurite?.ports);
    if (azurite) settings = { ...settings, storageConnection: azurite.connectionString };
    deps = buildDeps(settings, { watchJobsFile: true, timerLeases: !options.store, ...options, env, baseDir: dir });
  } catch (error) {
    server.close();
    await azurite?.stop();
    throw error;
  }
  if (azurite) deps.logger.info({ endpoints: azurite.endpoints }, `Azurite started for UseDevelopmentStorage=true (data in ${join(dir, '.azurite')})`);
  // Each behind `authorized`, as in Azure; this host checks no keys (a caller on loopback is admin).
  const functions = hostedHttpFunctions(deps.useCases, { ...deps.settings.access, host: 'local' });
  listener = requestListener(functions, deps.logger, allowedHosts(env.WEBSITE_HOSTNAME));

  // Each timer on one instance at a time (the holder of its lock in storage), as in Azure; a timer
  // turned off with AzureWebJobs.<name>.Disabled does not run here at all.
  const { leases } = deps;
  const timers = registry.flatMap((fn) => {
    if (fn.trigger !== 'timer' || isDisabled(env, fn.name)) return [];
    const schedule = env[fn.schedule.setting]?.trim() || fn.schedule.fallback;
    const runner = () => new TimerRunner(fn.name, schedule, fn.handler(deps.useCases), deps.logger);
    return [leases ? new SingletonTimer(fn.name, schedule, leases.listenerLease(fn.name, singleton.lockPeriodMs), runner, deps.logger, singleton) : runner()];
  });
  const schedules = timers.map((timer) => ({ name: timer.name, schedule: timer.schedule }));
  for (const timer of timers) timer.start();
  const queues = startQueueFunctions(deps, dir, env);

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${hostname}:${port}/api`,
    deps,
    timers: schedules,
    stop: () =>
      (stopping ??= (async () => {
        const deadline = Date.now() + stopBudgetMs(settings.shutdownGraceMs);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const orderly = (async () => {
          // The pollers stop taking messages; runCheck refuses new ones, which go back to the queue.
          await Promise.all([deps.useCases.lifecycle.shutdown(settings.shutdownGraceMs), queues.stop()]);
          await Promise.all(timers.map((timer) => timer.stop()));
          // Responses to requests whose run just finished are still being written: let them go out.
          const written = Date.now() + 2_000;
          while (responding.size > 0 && Date.now() < Math.min(written, deadline)) await setTimeout(10);
          await deps.close();
        })().catch((error: unknown) => deps.logger.error({ err: error }, 'the host did not stop cleanly'));
        // Storage that does not answer (Azurite killed or hung) must not hold the stop: the writes
        // still pending then are lost, and said so (the runs are in the log).
        if (!(await beforeDeadline(orderly, deadline))) {
          deps.logger.error(
            { stopBudgetMs: stopBudgetMs(settings.shutdownGraceMs) },
            'stopping without waiting any longer: storage (or another dependency) did not answer in time; writes still pending are lost (the runs are in the log)',
          );
        }
        server.closeAllConnections();
        await closed;
        // Azurite saves its data as it stops; past the deadline it finishes on its own (it stops
        // itself when this process is gone, see azurite.ts).
        if (azurite) await beforeDeadline(azurite.stop(), Math.max(deadline, Date.now() + 1_000));
      })()),
  };
}

/**
 * The most a stop may take, in ms: the grace period of the checks in flight
 * (PULSECHECK_SHUTDOWN_GRACE_SECONDS), then at most `FINAL_WRITES_MS` for the last writes.
 */
export const stopBudgetMs = (graceMs: number): number => graceMs + FINAL_WRITES_MS;
/** How long the last writes (runs, state, rollups) may take after the grace period, in ms. */
export const FINAL_WRITES_MS = 2_000;

/** Whether `work` settled (either way) before `deadline` (epoch ms); the timer keeps nothing alive. */
async function beforeDeadline(work: Promise<unknown>, deadline: number): Promise<boolean> {
  const late = setTimeout(Math.max(0, deadline - Date.now()), false, { ref: false });
  return Promise.race([work.then(() => true, () => true), late]);
}

/**
 * With `AzureWebJobsStorage=UseDevelopmentStorage=true`, Azurite must listen on 127.0.0.1:10000-10002:
 * if nothing does, it is started here (data under `.azurite/` in the app folder) and stopped with
 * the host; if an Azurite already runs there, it is used.
 */
async function embeddedAzurite(settings: Settings, dir: string, ports: AzuriteOptions['ports'] = DEFAULT_PORTS): Promise<RunningAzurite | undefined> {
  if (!settings.storageConnection || !/UseDevelopmentStorage=true/i.test(settings.storageConnection)) return undefined;
  const busy = await Promise.all([ports.blob, ports.queue, ports.table].map((port) => isListening(port)));
  if (busy[2]) return undefined;
  if (busy.some(Boolean)) {
    throw new Error(`UseDevelopmentStorage=true needs ports ${ports.blob}-${ports.table} on 127.0.0.1 for Azurite, but some are in use by something else`);
  }
  // The returned connection string names the real ports (the default ones unless a test chose others).
  return startAzurite({ ports, location: join(dir, '.azurite') });
}
