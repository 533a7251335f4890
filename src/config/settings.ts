import { z } from 'zod';
import { isUnresolvedKeyVaultReference, SECRET_NAME } from '../domain/auth.js';
import { configError } from '../domain/errors.js';
import { overlayFileName } from './overlay.js';
import { parseAllowList, type AllowList, type ReferencePolicy } from '../domain/sandbox.js';
import { parseNetworks } from '../domain/network.js';
import { DEFAULT_SHED_AFTER_MS } from '../domain/priority.js';
import { compileCron } from '../domain/schedule.js';
import { isTimeZone } from '../domain/calendar.js';
import { PUBLIC_TAG, STATUS_PAGE_ACCESS, parsePublicTag, type PublicTag, type StatusPageAccess } from '../domain/statusAccess.js';
import { datadogAgentUrl } from './datadog.js';
import { formatPath } from './issues.js';
import type { Env } from './substitute.js';

/** The dispatcher timer's schedule when `PULSECHECK_TICK_SCHEDULE` is not set: every 10 seconds. */
export const DEFAULT_TICK_SCHEDULE = '*/10 * * * * *';
/** The retention timer's schedule when `PULSECHECK_RETENTION_SCHEDULE` is not set: hourly, at minute 17. */
export const DEFAULT_RETENTION_SCHEDULE = '0 17 * * * *';

const integer = <F extends number | undefined>(min: number, max: number, fallback: F) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `"${text}" must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

/** A comma-separated allow-list (`domain/sandbox.ts`); each entry, unless `*`, must match `entry`. */
const allowList = (entry: RegExp, expected: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): AllowList => {
      const list = parseAllowList(value);
      const bad = list === '*' ? [] : list.filter((name) => !entry.test(name));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `has ${bad.map((name) => `"${name}"`).join(', ')}: expected comma-separated ${expected}, or *` });
      return list;
    });

/** A comma-separated CIDR list (unset or empty: none); a bad entry is named. */
const networks = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const parsed = parseNetworks(value ?? '');
    if (parsed.ok) return parsed.networks;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? fallback : value.trim()));

/**
 * App settings: environment variables in Azure, `local.settings.json` Values locally.
 * Every name and default has one row in docs/configuration.md (a test checks it).
 */
const settingsSchema = z.object({
  AzureWebJobsStorage: z.string().optional(),
  PULSECHECK_JOBS_FILE: text('jobs.config.json'),
  PULSECHECK_TICK_SCHEDULE: text(DEFAULT_TICK_SCHEDULE).refine((value) => typeof compileCron(value, 'UTC') !== 'string', {
    message: 'must be NCRONTAB with 5 or 6 fields, e.g. "*/10 * * * * *"',
  }),
  PULSECHECK_DISPATCH: text('inline').pipe(z.enum(['inline', 'queue'], { error: 'must be "inline" or "queue"' })),
  PULSECHECK_PORT: integer(0, 65_535, 7071),
  // The timer singleton (issue 13): instances with one host id share the timers' listener locks.
  AzureFunctionsWebHost__hostid: z
    .string()
    .trim()
    .regex(/^([a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?)?$/, 'must be 1-32 lower-case letters, digits or "-", not starting or ending with "-" (the Functions host id rule)')
    .optional(),
  PULSECHECK_MAX_CONCURRENCY: integer(1, 10_000, 1_024),
  PULSECHECK_SHED_AFTER_MS: integer(0, 3_600_000, DEFAULT_SHED_AFTER_MS),
  PULSECHECK_MAX_CONNECTIONS_PER_ORIGIN: integer(1, 1_000, 32),
  PULSECHECK_SHUTDOWN_GRACE_SECONDS: integer(0, 600, 10),
  PULSECHECK_LOG_LEVEL: text('info').pipe(
    z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'must be one of trace, debug, info, warn, error, fatal, silent',
    }),
  ),
  PULSECHECK_LOG_FORMAT: z
    .enum(['json', 'pretty'], { error: 'must be "json" or "pretty"' })
    .optional(),
  PULSECHECK_RUN_LOCATION: z.string().optional(),
  REGION_NAME: z.string().optional(),
  // --- secrets (issue 3) ---
  KEY_VAULT_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const url = value?.trim();
      if (!url) return undefined;
      if (isUnresolvedKeyVaultReference(url)) {
        ctx.addIssue({ code: 'custom', message: 'holds a Key Vault reference the platform could not resolve; set the vault URL itself' });
      } else if (!URL.canParse(url) || new URL(url).protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `"${url}" must be the vault's https URL, e.g. https://my-vault.vault.azure.net/` });
      }
      return url;
    }),
  KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: text('false').pipe(z.enum(['true', 'false'], { error: 'must be "true" or "false"' })),
  PULSECHECK_SECRET_TTL_SECONDS: integer(0, 86_400, 300),
  AZURE_CLIENT_ID: z.string().optional(),
  IDENTITY_ENDPOINT: z.string().optional(),
  MSI_ENDPOINT: z.string().optional(),
  WEBSITE_INSTANCE_ID: z.string().optional(),
  // --- end secrets ---
  // Telemetry sinks (docs/telemetry.md).
  APPLICATIONINSIGHTS_CONNECTION_STRING: text('').refine((value) => value === '' || /(^|;)\s*InstrumentationKey\s*=\s*[^;\s]/i.test(value), {
    message: 'must be a connection string with InstrumentationKey=… (copy it from the Application Insights resource)',
  }),
  PULSECHECK_PROMETHEUS: text('true').pipe(z.enum(['true', 'false'], { error: 'must be "true" or "false"' })),
  // Durable state (issue 4): identity-based storage, retention, the jobs file from a blob.
  AzureWebJobsStorage__accountName: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3-24 lower-case letters and digits)').optional(),
  AzureWebJobsStorage__tableServiceUri: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AzureWebJobsStorage__queueServiceUri: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AzureWebJobsStorage__clientId: z.string().min(1).optional(),
  PULSECHECK_TABLE_PREFIX: text('Pulsecheck').pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,40}$/, 'must be letters and digits, starting with a letter')),
  PULSECHECK_RETENTION_DAYS: integer(1, 3_650, 30),
  PULSECHECK_RETENTION_SCHEDULE: text(DEFAULT_RETENTION_SCHEDULE).refine((value) => typeof compileCron(value, 'UTC') !== 'string', {
    message: 'must be NCRONTAB with 5 or 6 fields, e.g. "0 17 * * * *"',
  }),
  // The status page (docs/status-page.md): the tag whose value groups the jobs.
  PULSECHECK_STATUS_GROUP_BY: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9_.:-]{1,64})?$/, 'must be a tag name (1-64 letters, digits, "_", "-", "." or ":"), e.g. "team"')
    .optional(),
  // Rollups and SLA (issue 16): the calendar days of the daily buckets.
  PULSECHECK_STATUS_TIMEZONE: text('UTC').refine(isTimeZone, { message: 'must be an IANA time zone, e.g. "UTC" or "Europe/Berlin"' }),
  // Who sees the status page and the badges (docs/status-page.md, Access).
  PULSECHECK_STATUS_PAGE: text('private')
    .transform((value) => value.toLowerCase())
    .pipe(z.enum(STATUS_PAGE_ACCESS, { error: 'must be "private", "public" or "off"' })),
  // The tag that puts a job on a public status page: "name=value", or "name" for "name=true".
  PULSECHECK_STATUS_PUBLIC_TAG: text(`${PUBLIC_TAG.name}=${PUBLIC_TAG.value}`).transform((value, ctx) => {
    const tag = parsePublicTag(value);
    if (typeof tag === 'string') {
      ctx.addIssue({ code: 'custom', message: tag });
      return z.NEVER;
    }
    return tag;
  }),
  PULSECHECK_JOBS_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL of a blob' }).optional(),
  // The API sandbox (docs/security.md, Scoped references): what API jobs may reference, how many, their bulkhead.
  PULSECHECK_API_ENV_ALLOW: allowList(/^[A-Za-z_][A-Za-z0-9_]*$/, 'setting names'),
  PULSECHECK_API_SECRETS_ALLOW: allowList(SECRET_NAME, 'secret names (letters, digits and "-")'),
  PULSECHECK_API_MI_SCOPES_ALLOW: allowList(/^\S+$/, 'scopes'),
  PULSECHECK_MAX_API_JOBS: integer(0, 1_000_000, 1_000),
  PULSECHECK_API_MAX_CONCURRENCY: integer(1, 10_000, undefined),
  // The target guard (docs/security.md, Target guard).
  PULSECHECK_ALLOWED_NETWORKS: networks,
  PULSECHECK_BLOCKED_NETWORKS: networks,
  // Access (issue 10): App Service Authentication, the metrics token, rate limits.
  WEBSITE_AUTH_ENABLED: z.string().optional(),
  // An unresolved Key Vault reference counts as unset (listed in health, like any other setting):
  // /api/metrics then falls back to function keys, closed rather than open, and checks keep running.
  PULSECHECK_METRICS_TOKEN: z
    .string()
    .optional()
    .transform((value) => (isUnresolvedKeyVaultReference(value) ? undefined : value?.trim() || undefined))
    .refine((value) => value === undefined || /^[\x21-\x7e]{16,}$/.test(value), {
      message: 'must be at least 16 printable characters without spaces (e.g. `openssl rand -hex 32`)',
    }),
  PULSECHECK_RATE_LIMIT_READS: integer(0, 1_000_000, 600),
  PULSECHECK_RATE_LIMIT_WRITES: integer(0, 1_000_000, 60),
  // Environments of the jobs file (issue 14).
  PULSECHECK_ENVIRONMENT: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9_-]{1,40})?$/, 'must be 1-40 letters, digits, "-" or "_" (e.g. "prod"): it names the overlay jobs.config.<environment>.json')
    .optional(),
  PULSECHECK_JOBS_OVERLAY: z.string().trim().optional(),
  // Alerting (issue 15): the SMTP server of `email` channels (docs/alerting.md).
  PULSECHECK_SMTP_URL: z
    .string()
    .optional()
    .transform((value) => (isUnresolvedKeyVaultReference(value) ? undefined : value?.trim() || undefined))
    .refine((value) => value === undefined || (URL.canParse(value) && /^smtps?:$/.test(new URL(value).protocol)), {
      message: 'must be an smtp:// or smtps:// URL, e.g. smtps://user:password@smtp.azurecomm.net:465',
    }),
  PULSECHECK_SMTP_FROM: z.email({ error: 'must be an e-mail address' }).optional(),
});

export interface Settings {
  readonly storageConnection: string | undefined;
  readonly jobsFile: string;
  /**
   * The overlay merged over the jobs file: `PULSECHECK_JOBS_OVERLAY`, else
   * `jobs.config.<PULSECHECK_ENVIRONMENT>.json` beside the jobs file; unset: none.
   */
  readonly jobsOverlay: string | undefined;
  readonly tickSchedule: string;
  /** `inline`: the tick runs the checks; `queue`: it queues them for `runCheck` (docs/scaling.md). */
  readonly dispatch: 'inline' | 'queue';
  readonly port: number;
  /** `AzureFunctionsWebHost__hostid`: the app's host id, which names its timer locks; unset: the host's default. */
  readonly hostId: string | undefined;
  /** Checks running at once in this process (the bulkhead). */
  readonly maxConcurrency: number;
  /** How late a waiting `background` check may be before it is shed (`low`: twice that), in ms. Default 10 000. */
  readonly shedAfterMs: number;
  readonly maxConnectionsPerOrigin: number;
  readonly shutdownGraceMs: number;
  readonly logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** `json` lines, or `pretty` readable lines; unset lets the host choose (local: pretty, Azure: json). */
  readonly logFormat: 'json' | 'pretty' | undefined;
  /** Reported with every run: `PULSECHECK_RUN_LOCATION`, else Azure's `REGION_NAME`, else `local`. */
  readonly location: string;
  // --- secrets (issue 3) ---
  /** `KEY_VAULT_URL`: secrets come from this vault; unset, from `PULSECHECK_SECRET_*` settings. */
  readonly keyVault: { readonly url: string; readonly disableChallengeResourceVerification: boolean } | undefined;
  /** How long a secret value is used before it is read again, in ms. Default 300 000. */
  readonly secretTtlMs: number;
  /** Running in Azure (a managed identity endpoint or an App Service instance), and `AZURE_CLIENT_ID`. */
  readonly azure: { readonly inAzure: boolean; readonly clientId: string | undefined };
  /** Names of settings still holding `@Microsoft.KeyVault(…)`: references the platform failed to resolve. */
  readonly unresolvedKeyVaultReferences: readonly string[];
  // --- end secrets ---
  /** Application Insights connection string; `undefined`: that sink is off. */
  readonly appInsightsConnectionString: string | undefined;
  /** The Datadog agent's URL when Datadog is on (see `datadogAgentUrl`); `undefined`: off. */
  readonly datadogAgentUrl: string | undefined;
  /** Whether `GET /api/metrics` serves Prometheus metrics. */
  readonly prometheus: boolean;
  /** Identity-based storage (`AzureWebJobsStorage__accountName` …), used when there is no connection string. */
  readonly storageIdentity: StorageIdentity | undefined;
  /** Prefix of the Table Storage table names. */
  readonly tablePrefix: string;
  /** Run history older than this many days is deleted. */
  readonly retentionDays: number;
  readonly retentionSchedule: string;
  /** The IANA time zone whose calendar days make the daily rollups (`PULSECHECK_STATUS_TIMEZONE`). Default `UTC`. */
  readonly statusTimeZone: string;
  /** The tag whose value groups the jobs on the status page (`PULSECHECK_STATUS_GROUP_BY`); unset: one group. */
  readonly statusGroupBy: string | undefined;
  /** URL of a blob holding the jobs file, re-read by ETag; instead of `jobsFile` when set. */
  readonly jobsUrl: string | undefined;
  /**
   * What API jobs and unsaved runs may reference: `PULSECHECK_API_ENV_ALLOW`,
   * `PULSECHECK_API_SECRETS_ALLOW`, `PULSECHECK_API_MI_SCOPES_ALLOW`; no user-assigned identity.
   * Default: nothing (docs/security.md, Scoped references).
   */
  readonly apiSandbox: ReferencePolicy;
  /** Most API jobs there may be (`PULSECHECK_MAX_API_JOBS`). Default 1 000. */
  readonly maxApiJobs: number;
  /**
   * Checks of API jobs and unsaved runs running at once, in a bulkhead of their own beside the jobs
   * file's `maxConcurrency`. Default a quarter of `maxConcurrency`, at least 1.
   */
  readonly apiMaxConcurrency: number;
  /**
   * The target guard's lists (normalised CIDRs): `allowedNetworks` opens default-blocked ranges
   * (the local tools default it to loopback), `blockedNetworks` closes any range. Default none.
   */
  readonly allowedNetworks: readonly string[];
  readonly blockedNetworks: readonly string[];
  /** Who may call the API (docs/security.md, Roles and access). */
  readonly access: AccessSettings;
  /** The SMTP server of `email` channels (`PULSECHECK_SMTP_URL`) and their default sender; unset: e-mail is off. */
  readonly smtp: { readonly url: string | undefined; readonly from: string };
}

/** How callers are identified and limited. */
export interface AccessSettings {
  /**
   * App Service Authentication is on (`WEBSITE_AUTH_ENABLED`, set by the platform, `true` in any
   * case): roles come from `x-ms-client-principal`. Off, those headers are ignored.
   */
  readonly easyAuth: boolean;
  /** `PULSECHECK_METRICS_TOKEN`: a bearer token that may read `GET /api/metrics` and nothing else. */
  readonly metricsToken: string | undefined;
  /**
   * Who sees the status page and the badges (`PULSECHECK_STATUS_PAGE`, default `private`): see
   * `domain/statusAccess.ts` and `functions/access.ts` (`statusPageAccess`, `effectiveRole`).
   */
  readonly statusPage: StatusPageAccess;
  /** The tag (and value) that puts a job on a `public` status page (`PULSECHECK_STATUS_PUBLIC_TAG`, default `public=true`). */
  readonly statusPublicTag: PublicTag;
  /** Requests per minute per caller and instance; 0: unlimited. Defaults 600 reads, 60 writes. */
  readonly rateLimits: { readonly read: number; readonly write: number };
}

/** The storage account reached with an Entra ID identity (managed identity in Azure). */
export interface StorageIdentity {
  readonly accountName: string;
  /** Default `https://<account>.table.core.windows.net`. */
  readonly tableServiceUri: string;
  /** Default `https://<account>.queue.core.windows.net` (queue mode). */
  readonly queueServiceUri: string;
  /** Client id of a user-assigned managed identity (`AzureWebJobsStorage__clientId`, else `AZURE_CLIENT_ID`). */
  readonly clientId: string | undefined;
}

/** Reads the settings from an environment; every bad value is reported at once. */
export function loadSettings(env: Env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw configError(
      parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: `${formatPath(issue.path)} ${issue.message}`,
      })),
      'settings',
    );
  }
  const s = parsed.data;
  if (s.PULSECHECK_DISPATCH === 'queue' && !s.AzureWebJobsStorage?.trim() && !s.AzureWebJobsStorage__accountName && !s.AzureWebJobsStorage__tableServiceUri) {
    const message = 'PULSECHECK_DISPATCH "queue" needs a storage account for its queue: set AzureWebJobsStorage (or AzureWebJobsStorage__accountName)';
    throw configError([{ path: 'PULSECHECK_DISPATCH', message }], 'settings');
  }
  return {
    storageConnection: s.AzureWebJobsStorage?.trim() || undefined,
    jobsFile: s.PULSECHECK_JOBS_FILE,
    jobsOverlay: s.PULSECHECK_JOBS_OVERLAY || (s.PULSECHECK_ENVIRONMENT ? overlayFileName(s.PULSECHECK_JOBS_FILE, s.PULSECHECK_ENVIRONMENT) : undefined),
    tickSchedule: s.PULSECHECK_TICK_SCHEDULE,
    dispatch: s.PULSECHECK_DISPATCH,
    port: s.PULSECHECK_PORT,
    hostId: s.AzureFunctionsWebHost__hostid || undefined,
    maxConcurrency: s.PULSECHECK_MAX_CONCURRENCY,
    shedAfterMs: s.PULSECHECK_SHED_AFTER_MS,
    maxConnectionsPerOrigin: s.PULSECHECK_MAX_CONNECTIONS_PER_ORIGIN,
    shutdownGraceMs: s.PULSECHECK_SHUTDOWN_GRACE_SECONDS * 1_000,
    logLevel: s.PULSECHECK_LOG_LEVEL,
    logFormat: s.PULSECHECK_LOG_FORMAT,
    location: s.PULSECHECK_RUN_LOCATION?.trim() || s.REGION_NAME?.trim() || 'local',
    keyVault:
      s.KEY_VAULT_URL === undefined
        ? undefined
        : { url: s.KEY_VAULT_URL, disableChallengeResourceVerification: s.KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION === 'true' },
    secretTtlMs: s.PULSECHECK_SECRET_TTL_SECONDS * 1_000,
    azure: {
      inAzure: Boolean(s.IDENTITY_ENDPOINT || s.MSI_ENDPOINT || s.WEBSITE_INSTANCE_ID),
      clientId: s.AZURE_CLIENT_ID?.trim() || undefined,
    },
    unresolvedKeyVaultReferences: Object.keys(env).filter((name) => isUnresolvedKeyVaultReference(env[name])).sort(),
    appInsightsConnectionString: s.APPLICATIONINSIGHTS_CONNECTION_STRING || undefined,
    datadogAgentUrl: datadogAgentUrl(env),
    prometheus: s.PULSECHECK_PROMETHEUS === 'true',
    storageIdentity:
      s.AzureWebJobsStorage__accountName || s.AzureWebJobsStorage__tableServiceUri
      ? {
          accountName: s.AzureWebJobsStorage__accountName ?? new URL(s.AzureWebJobsStorage__tableServiceUri as string).hostname.split('.')[0] ?? '',
          tableServiceUri: s.AzureWebJobsStorage__tableServiceUri ?? `https://${s.AzureWebJobsStorage__accountName}.table.core.windows.net`,
          queueServiceUri:
            s.AzureWebJobsStorage__queueServiceUri ??
            `https://${s.AzureWebJobsStorage__accountName ?? new URL(s.AzureWebJobsStorage__tableServiceUri as string).hostname.split('.')[0]}.queue.core.windows.net`,
          clientId: s.AzureWebJobsStorage__clientId ?? (s.AZURE_CLIENT_ID?.trim() || undefined),
        }
      : undefined,
    tablePrefix: s.PULSECHECK_TABLE_PREFIX,
    retentionDays: s.PULSECHECK_RETENTION_DAYS,
    retentionSchedule: s.PULSECHECK_RETENTION_SCHEDULE,
    statusTimeZone: s.PULSECHECK_STATUS_TIMEZONE,
    statusGroupBy: s.PULSECHECK_STATUS_GROUP_BY || undefined,
    jobsUrl: s.PULSECHECK_JOBS_URL,
    apiSandbox: {
      env: s.PULSECHECK_API_ENV_ALLOW,
      secrets: s.PULSECHECK_API_SECRETS_ALLOW,
      managedIdentityScopes: s.PULSECHECK_API_MI_SCOPES_ALLOW,
      managedIdentityClientIds: [],
    },
    maxApiJobs: s.PULSECHECK_MAX_API_JOBS,
    apiMaxConcurrency: s.PULSECHECK_API_MAX_CONCURRENCY ?? Math.max(1, Math.floor(s.PULSECHECK_MAX_CONCURRENCY / 4)),
    allowedNetworks: s.PULSECHECK_ALLOWED_NETWORKS,
    blockedNetworks: s.PULSECHECK_BLOCKED_NETWORKS,
    access: {
      easyAuth: s.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true',
      metricsToken: s.PULSECHECK_METRICS_TOKEN,
      statusPage: s.PULSECHECK_STATUS_PAGE,
      statusPublicTag: s.PULSECHECK_STATUS_PUBLIC_TAG,
      rateLimits: { read: s.PULSECHECK_RATE_LIMIT_READS, write: s.PULSECHECK_RATE_LIMIT_WRITES },
    },
    smtp: { url: s.PULSECHECK_SMTP_URL, from: s.PULSECHECK_SMTP_FROM ?? 'pulsecheck@localhost' },
  };
}
