import { createRequire } from 'node:module';
import { bulkhead } from 'cockatiel';
import { LogTelemetry } from './adapters/log-telemetry/logTelemetry.js';
import { createLogger } from './adapters/log-telemetry/logger.js';
import { SystemClock } from './adapters/system-clock/systemClock.js';
import { UndiciProber } from './adapters/undici-prober/prober.js';
import { CheckRunner } from './app/checkRunner.js';
import { Dispatcher } from './app/dispatcher.js';
import type { Clock, ConfigJobSource, Logger, Prober, StateStore, Telemetry } from './app/ports/index.js';
import { Pulsecheck } from './app/pulsecheck.js';
import { Catalog } from './app/catalog.js';
import { JobAdmin } from './app/jobAdmin.js';
import { compileApiJob, configSourceFor, storeFor } from './compositionStorage.js';
import type { Settings } from './config/settings.js';
import type { Env } from './config/substitute.js';
import { compileCron, nextOccurrence } from './domain/schedule.js';

/** Replaceable parts: tests inject fakes here instead of mocking modules. */
export interface Overrides {
  readonly prober?: Prober;
  readonly clock?: Clock;
  readonly store?: StateStore;
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
  /** The jobs of the jobs file (instead of reading PULSECHECK_JOBS_FILE / PULSECHECK_JOBS_URL). */
  readonly configSource?: ConfigJobSource;
}

export interface BuildOptions extends Overrides {
  /** Variables for `${env:NAME}` in the jobs file. Default `process.env`. */
  readonly env?: Env;
  /** Directory a relative `PULSECHECK_JOBS_FILE` is resolved against. Default the working directory. */
  readonly baseDir?: string;
  /** Log format when no logger is given and `PULSECHECK_LOG_FORMAT` is unset. Default `json`. */
  readonly logFormat?: 'json' | 'pretty';
  /** File descriptor the logger writes to when no logger is given. Default 1 (stdout). */
  readonly logFd?: number;
  /** Re-read the jobs file when it changes (the local host). Default false. */
  readonly watchJobsFile?: boolean;
}

export interface Deps {
  readonly app: Pulsecheck;
  readonly settings: Settings;
  readonly logger: Logger;
  readonly store: StateStore;
  /** Stores pending writes, stops watching the jobs file and closes pooled connections; call after the last check. */
  close(): Promise<void>;
}

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * The composition root: the one place that builds adapters from settings and wires the use cases.
 * Synchronous, so a bad jobs file throws while the host loads the app.
 */
export function buildDeps(settings: Settings, options: BuildOptions = {}): Deps {
  const env = options.env ?? process.env;
  const logger =
    options.logger ??
    createLogger({
      level: settings.logLevel,
      format: settings.logFormat ?? options.logFormat ?? 'json',
      fd: options.logFd ?? 1,
    });
  const config =
    options.configSource ??
    configSourceFor(settings, { env, baseDir: options.baseDir ?? process.cwd(), logger, watch: options.watchJobsFile ?? false });
  const prober =
    options.prober ?? new UndiciProber({ connectionsPerOrigin: settings.maxConnectionsPerOrigin });
  const clock = options.clock ?? new SystemClock();
  const store = options.store ?? storeFor(settings, logger);
  const compile = compileApiJob(env);
  const catalog = new Catalog({ config, repository: store, compile, logger });
  const telemetry = options.telemetry ?? new LogTelemetry(logger);
  const runner = new CheckRunner({
    prober,
    clock,
    store,
    telemetry,
    logger,
    bulkhead: bulkhead(settings.maxConcurrency, settings.maxConcurrency * 64),
    location: settings.location,
  });
  const tickSchedule = compileCron(settings.tickSchedule, 'UTC');
  if (typeof tickSchedule === 'string') throw new Error(`PULSECHECK_TICK_SCHEDULE ${tickSchedule}`);
  const firstTick = nextOccurrence(tickSchedule, 0) ?? 0;
  const dispatcher = new Dispatcher({ catalog, store, clock, runner, logger, tickSchedule });
  const app = new Pulsecheck({
    catalog,
    store,
    clock,
    runner,
    dispatcher,
    telemetry,
    version: VERSION,
    tickIntervalMs: (nextOccurrence(tickSchedule, firstTick) ?? firstTick + 10_000) - firstTick,
    contributors: [
      { name: 'storage', health: () => store.health() },
      { name: 'jobsFile', health: () => catalog.health() },
    ],
    admin: new JobAdmin({ catalog, store, clock, compile, jobsFile: settings.jobsUrl ? 'the jobs blob' : settings.jobsFile, retentionDays: settings.retentionDays }),
  });
  const close = async () => {
    config.close();
    await Promise.all([prober.close(), store.close()]);
  };
  return { app, settings, logger, store, close };
}
