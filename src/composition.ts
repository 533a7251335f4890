import { createRequire } from 'node:module';
import { bulkhead } from 'cockatiel';
import type { TokenCredential } from '@azure/identity';
import { AppInsightsTelemetry } from './adapters/app-insights/appInsightsTelemetry.js';
import { AzureIdentity, createCredential } from './adapters/azure-identity/azureIdentity.js';
import { DatadogTelemetry } from './adapters/datadog/datadogTelemetry.js';
import { DatadogTracing } from './adapters/datadog/datadogTracing.js';
import { startTracer } from './adapters/datadog/tracer.js';
import { EnvSecretStore } from './adapters/env-secrets/envSecretStore.js';
import { KeyVaultSecretStore } from './adapters/key-vault/keyVaultSecretStore.js';
import { UndiciOAuth2Client } from './adapters/oauth2-client/oauth2Client.js';
import { LogTelemetry } from './adapters/log-telemetry/logTelemetry.js';
import { createLogger } from './adapters/log-telemetry/logger.js';
import { PrometheusTelemetry } from './adapters/prometheus/prometheusTelemetry.js';
import { MemoryRateLimiter } from './adapters/rate-limiter/memoryRateLimiter.js';
import { SystemClock } from './adapters/system-clock/systemClock.js';
import { UndiciProber } from './adapters/undici-prober/prober.js';
import { EmailNotifier } from './adapters/notify-email/emailNotifier.js';
import { PagerDutyNotifier } from './adapters/notify-pagerduty/pagerDutyNotifier.js';
import { SlackNotifier } from './adapters/notify-slack/slackNotifier.js';
import { TeamsNotifier } from './adapters/notify-teams/teamsNotifier.js';
import { WebhookNotifier } from './adapters/notify-webhook/webhookNotifier.js';
import { Alerting } from './app/alerting.js';
import { AlertViews } from './app/alertViews.js';
import { AlertChannels } from './app/channels.js';
import { OutboxPump } from './app/outbox.js';
import { CheckRunner } from './app/checkRunner.js';
import { Dispatcher } from './app/dispatcher.js';
import { FollowUps } from './app/followUps.js';
import type {
  Clock,
  ConfigJobSource,
  DeadLetterQueue,
  HealthContributor,
  LeaseProvider,
  Logger,
  MetricsExposition,
  Notifier,
  Prober,
  RateLimiter,
  StateStore,
  Telemetry,
  TelemetrySink,
  Tracing,
} from './app/ports/index.js';
import { Health } from './app/health.js';
import { JobViews } from './app/jobViews.js';
import { Lifecycle } from './app/lifecycle.js';
import { ManualRuns } from './app/manualRuns.js';
import type { UseCases } from './app/useCases.js';
import { Catalog } from './app/catalog.js';
import { JobAdmin } from './app/jobAdmin.js';
import { RollupRecorder } from './app/rollups.js';
import { Badges } from './app/badges.js';
import { Uptime } from './app/uptime.js';
import { checkQueueFor, configSourceFor, storeFor } from './compositionStorage.js';
import { MemoryClaims } from './adapters/memory-store/memoryClaims.js';
import { QueuedChecks } from './app/queuedChecks.js';
import { StatusSummary } from './app/statusSummary.js';
import { leasesFor } from './compositionLeases.js';
import { deadLetterQueueFor } from './compositionDeadLetters.js';
import { DeadLetters } from './app/deadLetters.js';
import { compileApiJob } from './config/apiJob.js';
import { RequestAuthorizer } from './app/requestAuth.js';
import { checkCatalogSecrets, SecretResolver } from './app/secrets.js';
import { FanOutTelemetry } from './app/telemetryFanOut.js';
import { NO_SHARED_PARTS } from './config/resolveJob.js';
import type { Settings } from './config/settings.js';
import type { Env } from './config/substitute.js';
import type { Channel } from './domain/alerting/channel.js';
import { dependentsOf } from './domain/dependencies.js';
import type { MaintenanceWindow } from './domain/maintenance.js';
import { networkPolicy, type NetworkPolicy } from './domain/network.js';
import { compileCron, nextOccurrence } from './domain/schedule.js';

/** Replaceable parts: tests inject fakes here instead of mocking modules. */
export interface Overrides {
  readonly prober?: Prober;
  readonly clock?: Clock;
  readonly store?: StateStore;
  /** Replaces the whole telemetry fan-out (no sink is built). */
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
  /** The jobs of the jobs file (instead of reading PULSECHECK_JOBS_FILE / PULSECHECK_JOBS_URL). */
  readonly configSource?: ConfigJobSource;
  /** Builds the Azure credential for a client ID (`undefined`: the app's own). Default: `createCredential`. */
  readonly credentialFactory?: (clientId: string | undefined) => TokenCredential | Promise<TokenCredential>;
  /** Per-caller request budgets of the HTTP API. Default: in memory, from PULSECHECK_RATE_LIMIT_*. */
  readonly limiter?: RateLimiter;
  /** The notification channels, with `configSource` (else those of the jobs file). */
  readonly channels?: ReadonlyMap<string, Channel>;
  /** One notifier per channel type. Default: the undici (through the target guard) and SMTP ones. */
  readonly notifiers?: readonly Notifier[];
  /** The poison queue (queue mode). Default: in the storage account, in memory without one; none in inline mode. */
  readonly deadLetterQueue?: DeadLetterQueue;
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
  /**
   * Build `leases`, the timers' listener locks in storage (the local host, which must take them as
   * the Functions host does; in Azure the platform takes them). Default false.
   */
  readonly timerLeases?: boolean;
}

export interface Deps {
  readonly useCases: UseCases;
  readonly settings: Settings;
  readonly logger: Logger;
  /** The timers' listener locks, with `timerLeases` and storage configured; else none (one instance). */
  readonly leases?: LeaseProvider;
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
  // The target guard: every connection to a job's or a caller's URL (attempts, token endpoints).
  // The app's own platform calls (identity endpoint, Key Vault, Storage, telemetry) do not pass it.
  const targets = networkPolicy({ allowed: settings.allowedNetworks, blocked: settings.blockedNetworks });
  const prober =
    options.prober ?? new UndiciProber({ connectionsPerOrigin: settings.maxConnectionsPerOrigin, networkPolicy: targets });
  const clock = options.clock ?? new SystemClock();
  const sinks: Sinks = options.telemetry ? { telemetry: options.telemetry, contributors: [] } : telemetrySinks(settings, env, logger, clock);
  const { telemetry } = sinks;
  const { tracing } = sinks;
  const { secrets, authorizer, oauth2, identity } = secretParts(settings, env, options, clock, logger, targets);
  const store = options.store ?? storeFor(settings, logger, identity, clock);
  // What API jobs and alerts take from the jobs file: `defaults` and `templates` (issue 14) and
  // `channels` (issue 15), kept to the version in use.
  const file = { current: { shared: NO_SHARED_PARTS, channels: options.channels ?? new Map<string, Channel>(), maintenance: [] as readonly MaintenanceWindow[] } };
  const config =
    options.configSource ??
    configSourceFor(settings, { env, baseDir: options.baseDir ?? process.cwd(), logger, clock, watch: options.watchJobsFile ?? false, identity, file });
  const channels = () => file.current.channels;
  const compile = compileApiJob(env, targets, () => file.current.shared, channels, () => file.current.maintenance);
  const alertChannels = new AlertChannels({
    channels,
    notifiers: options.notifiers ?? notifiersFor(settings, targets),
    secrets,
    clock,
    audit: store,
    location: settings.location,
  });
  // Alerts (issue 15): decided after each recorded run, sent through the persisted outbox.
  const outbox = new OutboxPump({ store, channels: alertChannels, clock, logger });
  // An upstream job's alert lists the jobs it takes down (dependsOn), read from the catalog when sent.
  const alerting = new Alerting({ store, clock, logger, telemetry, outbox, dependents: async (job) => dependentsOf(job, await catalog.list()) });
  const sandbox = settings.apiSandbox;
  const catalog = new Catalog({ config, repository: store, compile, sandbox, logger });
  // Rollups (issue 16): every recorded run also feeds its hourly and daily buckets (an observer of the runner).
  const rollups = new RollupRecorder({ store, timeZone: settings.statusTimeZone, logger });
  // Follow-ups run through the runner they follow; built once the lifecycle that tracks them is.
  let followUps: FollowUps | undefined;
  const runner = new CheckRunner({
    prober,
    clock,
    store,
    telemetry,
    logger,
    bulkhead: bulkhead(settings.maxConcurrency, settings.maxConcurrency * 64),
    apiBulkhead: bulkhead(settings.apiMaxConcurrency, settings.apiMaxConcurrency * 64),
    location: settings.location,
    shedAfterMs: settings.shedAfterMs,
    authorizer,
    ...(tracing ? { tracing } : {}),
    observers: [rollups, alerting, { after: (job, run, request) => followUps?.after(job, run, request) }],
  });
  const tickSchedule = compileCron(settings.tickSchedule, 'UTC');
  if (typeof tickSchedule === 'string') throw new Error(`PULSECHECK_TICK_SCHEDULE ${tickSchedule}`);
  const firstTick = nextOccurrence(tickSchedule, 0) ?? 0;
  // Queue mode (docs/scaling.md): the tick queues occurrences; runCheck runs them on every instance.
  const queue = checkQueueFor(settings, identity);
  const dispatcher = new Dispatcher({ catalog, store, clock, runner, logger, tickSchedule, ...(queue ? { queue } : {}) });
  const queuedChecks = new QueuedChecks({ catalog, runner, clock, claims: store.claims ?? new MemoryClaims(), store, logger, location: settings.location, retentionDays: settings.retentionDays });
  const lifecycle = new Lifecycle({ dispatcher, telemetry, store, alerting, outbox });
  followUps = new FollowUps({ catalog, runner, clock, logger, lifecycle });
  const uptime = new Uptime({ store, catalog, clock, timeZone: settings.statusTimeZone });
  const deadLetters = new DeadLetters({
    queue: options.deadLetterQueue ?? deadLetterQueueFor(settings, identity, clock),
    audit: store,
    clock,
    logger,
    retentionDays: settings.retentionDays,
  });
  const useCases: UseCases = {
    version: VERSION,
    lifecycle,
    queuedChecks,
    health: new Health({
      catalog,
      store,
      clock,
      runner,
      dispatcher,
      version: VERSION,
      tickIntervalMs: (nextOccurrence(tickSchedule, firstTick) ?? firstTick + 10_000) - firstTick,
      contributors: [
        { name: 'storage', health: () => store.health() },
        { name: 'jobsFile', health: () => catalog.health() },
        secrets,
        deadLetters,
        outbox,
        ...sinks.contributors,
      ],
    }),
    jobViews: new JobViews({ catalog, store, clock }),
    manualRuns: new ManualRuns({ catalog, runner, clock, telemetry, store, lifecycle }),
    admin: new JobAdmin({
      catalog,
      store,
      clock,
      maxApiJobs: settings.maxApiJobs,
      jobsFile: settings.jobsUrl ? 'the jobs blob' : settings.jobsFile,
      retentionDays: settings.retentionDays,
    }),
    channels: alertChannels,
    alerts: new AlertViews(store),
    limiter: options.limiter ?? new MemoryRateLimiter(settings.access.rateLimits),
    ...(sinks.metrics ? { metrics: sinks.metrics } : {}),
    compileApiJob: (definition) => compile(definition, sandbox),
    checkSecrets: () => checkCatalogSecrets(catalog, secrets),
    uptime,
    statusSummary: new StatusSummary({ catalog, store, uptime, clock, groupBy: settings.statusGroupBy }),
    deadLetters,
    badges: new Badges({ catalog, store, uptime }),
  };
  const leases = options.timerLeases ? leasesFor(settings, logger, identity) : undefined;
  return {
    useCases,
    settings,
    logger,
    ...(leases ? { leases } : {}),
    close: async () => {
      config.close();
      await alerting.settled();
      await outbox.settled();
      await Promise.all([prober.close(), oauth2.close(), alertChannels.close(), store.close()]);
      await sinks.close?.();
    },
  };
}

/** One notifier per channel type (docs/alerting.md): HTTP ones through the target guard, e-mail over PULSECHECK_SMTP_URL. */
function notifiersFor(settings: Settings, targets: NetworkPolicy): Notifier[] {
  return [
    new WebhookNotifier(targets),
    new SlackNotifier(targets),
    new TeamsNotifier(targets),
    new PagerDutyNotifier(targets),
    new EmailNotifier({ url: settings.smtp.url, from: settings.smtp.from }),
  ];
}

/** Secrets and request authentication (README, Secrets): credentials are created on first use only. */
function secretParts(settings: Settings, env: Env, options: Overrides, clock: Clock, logger: Logger, targets: NetworkPolicy) {
  const identity = new AzureIdentity(
    options.credentialFactory ?? ((clientId) => createCredential({ inAzure: settings.azure.inAzure, clientId: clientId ?? settings.azure.clientId })),
    clock,
  );
  const secretStore = settings.keyVault
    ? new KeyVaultSecretStore({ ...settings.keyVault, credential: () => identity.credential() })
    : new EnvSecretStore(env);
  const secrets = new SecretResolver(secretStore, clock, {
    ttlMs: settings.secretTtlMs,
    unresolvedSettings: settings.unresolvedKeyVaultReferences,
  });
  const oauth2 = new UndiciOAuth2Client({ networkPolicy: targets });
  const authorizer = new RequestAuthorizer({ clock, secrets, oauth2, managedIdentity: identity });
  if (settings.unresolvedKeyVaultReferences.length > 0) {
    logger.warn(
      { event: 'unresolved-key-vault-references', settings: settings.unresolvedKeyVaultReferences },
      `settings ${settings.unresolvedKeyVaultReferences.join(', ')} hold Key Vault references the platform could not resolve; their values are not used`,
    );
  }
  return { secrets, authorizer, oauth2, identity };
}

interface Sinks {
  readonly telemetry: Telemetry;
  readonly contributors: readonly HealthContributor[];
  readonly tracing?: Tracing;
  readonly metrics?: MetricsExposition;
  close?(): Promise<void>;
}

/** The telemetry sinks the settings turn on, behind one fan-out, with their health (README, Telemetry). */
function telemetrySinks(settings: Settings, env: Env, logger: Logger, clock: Clock): Sinks {
  const tracer = settings.datadogAgentUrl ? startTracer(env) : undefined;
  const appInsights = settings.appInsightsConnectionString
    ? new AppInsightsTelemetry({ connectionString: settings.appInsightsConnectionString, version: VERSION, clock })
    : undefined;
  const datadog = tracer && settings.datadogAgentUrl ? new DatadogTelemetry(tracer, settings.datadogAgentUrl, clock) : undefined;
  const prometheus = settings.prometheus ? new PrometheusTelemetry(clock) : undefined;
  const on: TelemetrySink[] = [new LogTelemetry(logger)];
  for (const sink of [appInsights, datadog, prometheus]) if (sink) on.push(sink);
  const fanOut = new FanOutTelemetry(on, { logger, clock });
  const off = (name: string, how: string): HealthContributor => ({ name, health: () => ({ status: 'ok', detail: `off: ${how}`, configured: false }) });
  const contributors: HealthContributor[] = [
    fanOut,
    appInsights ?? off('appInsights', 'set APPLICATIONINSIGHTS_CONNECTION_STRING'),
    datadog ?? off('datadog', 'set DD_AGENT_HOST, DD_TRACE_AGENT_URL or DD_API_KEY'),
    prometheus ?? off('prometheus', 'PULSECHECK_PROMETHEUS is false'),
  ];
  return {
    telemetry: fanOut,
    contributors,
    close: () => fanOut.close(),
    ...(prometheus ? { metrics: prometheus } : {}),
    ...(tracer ? { tracing: new DatadogTracing(tracer) } : {}),
  };
}
