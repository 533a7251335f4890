import type { AlertViews } from './alertViews.js';
import type { AlertChannels } from './channels.js';
import type { CompileJob } from './catalog.js';
import type { Health } from './health.js';
import type { JobAdmin } from './jobAdmin.js';
import type { JobViews } from './jobViews.js';
import type { Lifecycle } from './lifecycle.js';
import type { ManualRuns } from './manualRuns.js';
import type { MetricsExposition, RateLimiter } from './ports/index.js';
import type { SecretCheck } from './secrets.js';
import type { StatusSummary } from './statusSummary.js';
import type { Uptime } from './uptime.js';

/**
 * Every use case the functions, the hosts and the CLI call, built once by the composition root;
 * each registry row hands its handler the one it needs.
 */
export interface UseCases {
  /** The app's version (package.json). */
  readonly version: string;
  /** The dispatcher's ticks and the graceful shutdown. */
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  /** Jobs with their state, as the API shows them. */
  readonly jobViews: JobViews;
  readonly manualRuns: ManualRuns;
  /** Job CRUD, history, audit and retention. */
  readonly admin: JobAdmin;
  /** The triggered alerts (`GET /api/alerts`). */
  readonly alerts: AlertViews;
  /** Notification channels: send an alert event, test a channel. */
  readonly channels: AlertChannels;
  /** Per-caller request budgets of the HTTP API. */
  readonly limiter: RateLimiter;
  /** Prometheus metrics for `GET /api/metrics`; unset when that sink is off. */
  readonly metrics?: MetricsExposition;
  /**
   * Compiles a job definition sent to the API (a new or replaced API job, an unsaved run) against
   * the jobs file in use, within the API's sandbox (config/apiJob.ts).
   */
  readonly compileApiJob: (definition: Readonly<Record<string, unknown>>) => ReturnType<CompileJob>;
  /** Uptime, SLA and trend figures from the rollups (the status page, `/api/sla`, `/api/jobs/{name}/stats`). */
  readonly uptime: Uptime;
  /** The status page's data (`GET /api/status/summary`). */
  readonly statusSummary: StatusSummary;
  /** Reads every secret the jobs reference, fresh (`pulsecheck validate --secrets`). */
  checkSecrets(): Promise<{ store: string; secrets: SecretCheck[] }>;
}
