import type { HttpHandler, HttpMethod, StorageQueueHandler, TimerHandler } from '@azure/functions';
import type { UseCases } from '../app/useCases.js';
import { DEFAULT_RETENTION_SCHEDULE, DEFAULT_TICK_SCHEDULE, type Settings } from '../config/settings.js';
import { CHECKS_QUEUE } from '../domain/occurrence.js';
import type { Role } from '../domain/access.js';
import { authorized, hostAuthLevel, statusPageView, type AccessOptions, type CallerHandler } from './access.js';
import { withSecurityHeaders } from './http.js';
import { dispatcher } from './handlers/dispatcher.js';
import { health, healthDetail } from './handlers/health.js';
import { getJob, listJobs, runJob } from './handlers/jobs.js';
import { metrics } from './handlers/metrics.js';
import { listAudit, listRuns, retention } from './handlers/history.js';
import { createJob, deleteJob, replaceJob, runUnsaved } from './handlers/jobAdmin.js';
import { openApi } from './handlers/openapi.js';
import { testChannel } from './handlers/channels.js';
import { listDeadLetters, retryDeadLetter } from './handlers/deadLetters.js';
import { runCheck } from './handlers/runCheck.js';
import { jobStats, sla } from './handlers/uptime.js';
import { stateBadgeHandler, uptimeBadgeHandler } from './handlers/badges.js';
import { listAlerts } from './handlers/alerts.js';
import { statusAsset, statusPage, statusSummary } from './handlers/status.js';

export interface TimerFunction {
  readonly trigger: 'timer';
  readonly name: string;
  /** The app setting holding the NCRONTAB schedule (`%NAME%` in Azure), and its value when unset. */
  readonly schedule: { readonly setting: string; readonly fallback: string };
  /** Picks the use case the handler needs from the app's. */
  readonly handler: (useCases: UseCases) => TimerHandler;
}

export interface HttpFunction {
  readonly trigger: 'http';
  readonly name: string;
  readonly methods: readonly HttpMethod[];
  /** Route below the `/api` prefix, with `{param}` segments. */
  readonly route: string;
  /**
   * The least role a caller needs (docs/security.md, Roles and access): `anonymous`, `reader`,
   * `operator` or `admin`. Enforced by `authorized`; the Functions auth level follows from it
   * (`hostAuthLevel`).
   */
  readonly role: Role;
  /** `PULSECHECK_METRICS_TOKEN` is accepted here as `reader`. */
  readonly metricsToken?: boolean;
  /**
   * A status-page route (page, summary, badges): `PULSECHECK_STATUS_PAGE` sets its role (`role` when
   * `private`, anonymous when `public`) or makes it a 404 (`off`); see `effectiveRole`. Its handler
   * shows only what `statusPageView(access)` lets it.
   */
  readonly statusPage?: boolean;
  /** Picks the use case the handler needs from the app's; `access`: the deployment's access options (for `statusPageView`). */
  readonly handler: (useCases: UseCases, access: AccessOptions) => CallerHandler;
}

export interface QueueFunction {
  readonly trigger: 'queue';
  readonly name: string;
  /** The Storage queue it is triggered by; failed messages go to `<queueName>-poison`. */
  readonly queueName: string;
  /** The app setting (or setting prefix, for an identity) naming the storage account. */
  readonly connection: string;
  /** Registered only when this holds: a host polls no queue the app does not use. */
  readonly enabled: (settings: Settings) => boolean;
  /** Picks the use case the handler needs from the app's. */
  readonly handler: (useCases: UseCases) => StorageQueueHandler;
}

export type FunctionDefinition = TimerFunction | HttpFunction | QueueFunction;

/** THE table of every function; both hosts register exactly this. */
export const registry: readonly FunctionDefinition[] = [
  {
    trigger: 'timer',
    name: 'dispatcher',
    schedule: { setting: 'PULSECHECK_TICK_SCHEDULE', fallback: DEFAULT_TICK_SCHEDULE },
    handler: (u) => dispatcher(u.lifecycle),
  },
  // Queue mode (docs/scaling.md): every instance runs the occurrences the dispatcher queued.
  {
    trigger: 'queue',
    name: 'runCheck',
    queueName: CHECKS_QUEUE,
    connection: 'AzureWebJobsStorage',
    enabled: (settings) => settings.dispatch === 'queue',
    handler: (u) => runCheck(u.lifecycle, u.queuedChecks),
  },
  // Anonymous: container probes and the smoke test call it; only readers see the detail.
  { trigger: 'http', name: 'health', methods: ['GET'], route: 'health', role: 'anonymous', handler: (u) => health(u.health) },
  // The detail for key holders in Azure without App Service Authentication (anonymous routes see no key).
  { trigger: 'http', name: 'healthDetail', methods: ['GET'], route: 'health/detail', role: 'reader', handler: (u) => healthDetail(u.health) },
  { trigger: 'http', name: 'listJobs', methods: ['GET'], route: 'jobs', role: 'reader', handler: (u) => listJobs(u.jobViews) },
  { trigger: 'http', name: 'getJob', methods: ['GET'], route: 'jobs/{name}', role: 'reader', handler: (u) => getJob(u.jobViews) },
  { trigger: 'http', name: 'runJob', methods: ['POST'], route: 'jobs/{name}/run', role: 'operator', handler: (u) => runJob(u.manualRuns) },
  // Prometheus scrapes with PULSECHECK_METRICS_TOKEN, an Entra reader, or a key of this function only.
  { trigger: 'http', name: 'metrics', methods: ['GET'], route: 'metrics', role: 'reader', metricsToken: true, handler: (u) => metrics(u.metrics) },
  // Management API and retention (issue 4).
  { trigger: 'http', name: 'createJob', methods: ['POST'], route: 'jobs', role: 'admin', handler: (u) => createJob(u.admin, u.compileApiJob) },
  { trigger: 'http', name: 'replaceJob', methods: ['PUT'], route: 'jobs/{name}', role: 'admin', handler: (u) => replaceJob(u.admin, u.compileApiJob) },
  { trigger: 'http', name: 'deleteJob', methods: ['DELETE'], route: 'jobs/{name}', role: 'admin', handler: (u) => deleteJob(u.admin) },
  { trigger: 'http', name: 'listRuns', methods: ['GET'], route: 'jobs/{name}/runs', role: 'reader', handler: (u) => listRuns(u.admin) },
  { trigger: 'http', name: 'runUnsaved', methods: ['POST'], route: 'runs', role: 'operator', handler: (u) => runUnsaved(u.manualRuns, u.compileApiJob) },
  { trigger: 'http', name: 'listAudit', methods: ['GET'], route: 'audit', role: 'admin', handler: (u) => listAudit(u.admin) },
  // Alerting (issue 15): the triggered alerts; a test notification through a channel of the jobs file.
  { trigger: 'http', name: 'listAlerts', methods: ['GET'], route: 'alerts', role: 'reader', handler: (u) => listAlerts(u.alerts) },
  { trigger: 'http', name: 'testChannel', methods: ['POST'], route: 'channels/{name}/test', role: 'operator', handler: (u) => testChannel(u.channels) },
  // Dead letters of queue dispatch (issue 13): readers list them, admins put one back.
  { trigger: 'http', name: 'listDeadLetters', methods: ['GET'], route: 'deadletters', role: 'reader', handler: (u) => listDeadLetters(u.deadLetters) },
  { trigger: 'http', name: 'retryDeadLetter', methods: ['POST'], route: 'deadletters/{id}/retry', role: 'admin', handler: (u) => retryDeadLetter(u.deadLetters) },
  // Uptime, SLA and trends from the rollups (issue 16).
  { trigger: 'http', name: 'sla', methods: ['GET'], route: 'sla', role: 'reader', handler: (u) => sla(u.uptime) },
  { trigger: 'http', name: 'jobStats', methods: ['GET'], route: 'jobs/{name}/stats', role: 'reader', handler: (u) => jobStats(u.uptime) },
  // The status page (issue 16): the page, its data and its files, all under the same access rule.
  { trigger: 'http', name: 'statusPage', methods: ['GET'], route: 'status', role: 'reader', statusPage: true, handler: (u) => statusPage(u.version) },
  { trigger: 'http', name: 'statusSummary', methods: ['GET'], route: 'status/summary', role: 'reader', statusPage: true, handler: (u, access) => statusSummary(u.statusSummary, statusPageView(access)) },
  { trigger: 'http', name: 'statusAsset', methods: ['GET'], route: 'status/assets/{file}', role: 'reader', statusPage: true, handler: () => statusAsset() },
  // Badges: the status page's access rule (PULSECHECK_STATUS_PAGE), its role when private.
  { trigger: 'http', name: 'stateBadge', methods: ['GET'], route: 'badges/{name}.svg', role: 'reader', statusPage: true, handler: (u, access) => stateBadgeHandler(u.badges, access) },
  { trigger: 'http', name: 'uptimeBadge', methods: ['GET'], route: 'badges/{name}/uptime/{window}.svg', role: 'reader', statusPage: true, handler: (u, access) => uptimeBadgeHandler(u.badges, access) },
  { trigger: 'http', name: 'openApi', methods: ['GET'], route: 'openapi.json', role: 'anonymous', handler: (u) => openApi(u.version) },
  {
    trigger: 'timer',
    name: 'retention',
    schedule: { setting: 'PULSECHECK_RETENTION_SCHEDULE', fallback: DEFAULT_RETENTION_SCHEDULE },
    handler: (u) => retention(u.admin, u.deadLetters, u.queuedChecks),
  },
];

/** An HTTP function as a host registers it. */
export interface HostedHttpFunction {
  readonly name: string;
  readonly methods: readonly HttpMethod[];
  readonly route: string;
  /** What the Functions host checks before the app runs (see `hostAuthLevel`). */
  readonly authLevel: 'anonymous' | 'function';
  /** The registry's handler behind `authorized`: role check and rate limit included. */
  readonly handler: HttpHandler;
}

/** Every HTTP function of the registry behind `authorized` and the security headers: what both hosts register. */
export function hostedHttpFunctions(useCases: UseCases, options: AccessOptions): HostedHttpFunction[] {
  return registry.flatMap((fn) =>
    fn.trigger === 'http'
      ? [{ name: fn.name, methods: fn.methods, route: fn.route, authLevel: hostAuthLevel(fn, options), handler: withSecurityHeaders(authorized(fn, fn.handler(useCases, options), useCases.limiter, options)) }]
      : [],
  );
}
