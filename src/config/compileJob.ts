import type { z } from 'zod';
import type { Issue } from '../domain/errors.js';
import type { HttpMethod, Job, JobSource } from '../domain/job.js';
import { DEFAULT_PRIORITY } from '../domain/priority.js';
import { compileCron, compileEvery, type Schedule } from '../domain/schedule.js';
import { parseCondition, needsBody, type Condition } from '../domain/conditions/index.js';
import { allows, type ReferencePolicy } from '../domain/sandbox.js';
import { compileAlerts } from './alertsSchema.js';
import { collectSecrets, compileAuth } from './compileAuth.js';
import { compileLinks } from './dependencies.js';
import { jobSchema, type DefaultsInput, type JobInput } from './jobsSchema.js';
import { ENV_NOT_ALLOWED, refuseReferences } from './sandbox.js';
import { substituteEnv, type Env } from './substitute.js';

/** Defaults applied when neither the job nor `defaults` sets a value (docs/configuration.md, Job fields). */
export const BUILT_IN = {
  method: 'GET' as HttpMethod,
  every: '1m',
  timezone: 'UTC',
  timeoutSeconds: 10,
  retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 5_000 },
  circuitBreaker: { failureThreshold: 5, halfOpenAfterSeconds: 60 },
  conditions: ['[STATUS] >= 200', '[STATUS] < 300'],
  priority: DEFAULT_PRIORITY,
  userAgent: 'Pulsecheck',
};

export interface CompileOptions {
  readonly env: Env;
  readonly source: JobSource;
  /** Prefix naming the job in messages, e.g. `jobs[2] "billing": `. */
  readonly where: string;
  /** Path prefix for issue paths, e.g. `jobs[2].`. */
  readonly pathPrefix: string;
  /**
   * What a sandboxed job (API jobs, unsaved runs) may reference; every other `${env:}`, secret and
   * managed identity is a problem. Absent for the jobs file, whose jobs may reference anything.
   */
  readonly sandbox?: ReferencePolicy;
  /** Names of the jobs file's channels, which `alerts` may name. Default none. */
  readonly channels?: ReadonlySet<string>;
}

/**
 * Turns a structurally valid job (zod has checked shapes) into a domain `Job`: merges defaults,
 * substitutes `${env:NAME}`, compiles the schedule and parses every condition. Collects every
 * problem instead of stopping at the first.
 */
export function compileJob(input: JobInput, defaults: DefaultsInput, options: CompileOptions): { job?: Job; issues: Issue[] } {
  const issues: Issue[] = [];
  const problem = (field: string, message: string) =>
    issues.push({ path: `${options.pathPrefix}${field}`, message: `${options.where}${field} ${message}` });
  const { sandbox } = options;
  const allowEnv = sandbox && ((name: string) => allows(sandbox, 'env', name));
  const env = (field: string, text: string) => {
    const result = substituteEnv(text, options.env, allowEnv);
    for (const name of result.refused) problem(field, `references \${env:${name}}, ${ENV_NOT_ALLOWED}`);
    for (const name of result.missing) problem(field, `references \${env:${name}}, which is not set`);
    for (const name of result.unresolved) problem(field, `references \${env:${name}}, ${UNRESOLVED}`);
    return result.text;
  };

  const url = env('url', input.url);
  if (!isHttpUrl(url)) problem('url', `"${input.url}" is not an absolute http(s) URL`);

  const headers: Record<string, string> = {};
  const texts: Array<readonly [field: string, text: string]> = [['url', url]];
  for (const [key, value] of Object.entries({ ...defaults.headers, ...input.headers })) {
    headers[key.toLowerCase()] = env(`headers.${key}`, value);
    texts.push([`headers.${key}`, headers[key.toLowerCase()] as string]);
  }
  const rawBody = input.body ?? defaults.body;
  let body: string | undefined;
  if (typeof rawBody === 'string') body = env('body', rawBody);
  else if (rawBody !== undefined) {
    body = JSON.stringify(mapStrings(rawBody, (s) => env('body', s)));
    headers['content-type'] ??= 'application/json';
  }

  const writtenAuth = input.auth ?? defaults.auth;
  const auth = compileAuth(writtenAuth, env, problem);
  if (body !== undefined) texts.push(['body', body]);
  const secrets = collectSecrets(auth, texts, headers, url, problem);
  if (sandbox) refuseReferences(sandbox, auth, writtenAuth, texts, problem);

  const schedule = compileSchedule(input, defaults, problem);
  const parseAll = (field: 'conditions' | 'degradedConditions', texts: readonly string[]): Condition[] =>
    texts.flatMap((text, i) => {
      const parsed = parseCondition(text);
      if (typeof parsed !== 'string') return [parsed];
      problem(`${field}[${i}]`, parsed);
      return [];
    });
  const conditions = parseAll('conditions', input.conditions ?? defaults.conditions ?? BUILT_IN.conditions);
  const degradedConditions = parseAll('degradedConditions', input.degradedConditions ?? defaults.degradedConditions ?? []);

  const timeoutSeconds = input.timeoutSeconds ?? defaults.timeoutSeconds ?? BUILT_IN.timeoutSeconds;
  const pick = <K extends keyof typeof BUILT_IN.retry>(key: K) =>
    input.retry?.[key] ?? defaults.retry?.[key] ?? BUILT_IN.retry[key];
  const retry = {
    maxAttempts: pick('maxAttempts'),
    initialDelayMs: pick('initialDelayMs'),
    maxDelayMs: pick('maxDelayMs'),
    deadlineSeconds: input.retry?.deadlineSeconds ?? defaults.retry?.deadlineSeconds,
  };
  if (retry.maxDelayMs < retry.initialDelayMs) problem('retry.maxDelayMs', `must be at least retry.initialDelayMs (${retry.initialDelayMs})`);
  const deadlineSeconds = retry.deadlineSeconds ?? timeoutSeconds * retry.maxAttempts + 5;
  if (deadlineSeconds < timeoutSeconds) problem('retry.deadlineSeconds', `must be at least timeoutSeconds (${timeoutSeconds})`);
  const breaker = input.circuitBreaker ?? defaults.circuitBreaker ?? {};
  const alerts = compileAlerts(input.alerts ?? defaults.alerts, options.channels ?? new Set(), problem);

  if (issues.length > 0 || !schedule) return { issues };
  headers['user-agent'] ??= BUILT_IN.userAgent;
  const job: Job = {
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    url,
    method: input.method ?? defaults.method ?? BUILT_IN.method,
    headers,
    ...(body === undefined ? {} : { body }),
    auth,
    secrets,
    schedule,
    enabled: input.enabled ?? defaults.enabled ?? true,
    tags: { ...defaults.tags, ...input.tags },
    priority: input.priority ?? defaults.priority ?? BUILT_IN.priority,
    timeoutMs: timeoutSeconds * 1_000,
    retry: {
      maxAttempts: retry.maxAttempts,
      initialDelayMs: retry.initialDelayMs,
      maxDelayMs: retry.maxDelayMs,
      deadlineMs: deadlineSeconds * 1_000,
    },
    circuitBreaker:
      breaker === false
        ? null
        : {
            failureThreshold: breaker.failureThreshold ?? BUILT_IN.circuitBreaker.failureThreshold,
            halfOpenAfterMs: (breaker.halfOpenAfterSeconds ?? BUILT_IN.circuitBreaker.halfOpenAfterSeconds) * 1_000,
          },
    conditions,
    ...(degradedConditions.length > 0 ? { degradedConditions } : {}),
    readBody: needsBody([...conditions, ...degradedConditions]),
    insecureSkipVerify: input.tls?.insecureSkipVerify ?? defaults.tls?.insecureSkipVerify ?? false,
    ...(alerts.length > 0 ? { alerts } : {}),
    ...compileLinks(input),
    source: options.source,
    definition: input,
  };
  return { job, issues };
}

function compileSchedule(
  input: JobInput,
  defaults: DefaultsInput,
  problem: (field: string, message: string) => void,
): Schedule | undefined {
  if (input.schedule !== undefined && input.every !== undefined) {
    problem('schedule', 'and every are mutually exclusive (set one of them)');
    // Each is still checked, so that fixing the conflict does not reveal a second problem.
    const cron = compileCron(input.schedule, 'UTC');
    if (typeof cron === 'string') problem('schedule', cron);
    const every = compileEvery(input.every);
    if (typeof every === 'string') problem('every', every);
    return undefined;
  }
  // A job that sets either field ignores both fields of `defaults`.
  const own = input.schedule !== undefined || input.every !== undefined;
  const schedule = own ? input.schedule : defaults.schedule;
  const every = own ? input.every : defaults.every;
  const timezone = input.timezone ?? defaults.timezone ?? BUILT_IN.timezone;
  const zoneValid = isTimeZone(timezone);
  if (!zoneValid) problem('timezone', `"${timezone}" is not an IANA time zone (e.g. "Europe/Amsterdam", "UTC")`);
  const compiled =
    schedule !== undefined ? compileCron(schedule, zoneValid ? timezone : 'UTC') : compileEvery(every ?? BUILT_IN.every);
  if (typeof compiled === 'string') problem(schedule !== undefined ? 'schedule' : 'every', compiled);
  return typeof compiled === 'string' || !zoneValid ? undefined : compiled;
}

export const UNRESOLVED =
  'which holds an App Service Key Vault reference the platform could not resolve (@Microsoft.KeyVault(…)): ' +
  'give the app\'s identity the "Key Vault Secrets User" role on the vault and check the secret exists';

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol, hostname } = new URL(text);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

const zones = new Map<string, boolean>();
/** Whether `zone` is an IANA time zone; memoised, as building a DateTimeFormat is slow. */
function isTimeZone(zone: string): boolean {
  let valid = zones.get(zone);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      valid = true;
    } catch {
      valid = false;
    }
    zones.set(zone, valid);
  }
  return valid;
}

function mapStrings(value: unknown, fn: (text: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
  }
  return value;
}

/**
 * The problems a structurally broken job has in its other fields, so that every problem is reported
 * at once: the broken fields are set aside (a placeholder stands in for a broken name or url), the
 * rest is compiled by `compile`, and what it says about the set-aside fields is dropped. `pathPrefix`
 * is the one `compile` puts before each issue's field.
 */
export function problemsBeyond(
  structural: readonly z.core.$ZodIssue[],
  rawJob: unknown,
  compile: (input: JobInput) => readonly Issue[],
  pathPrefix: string,
): Issue[] {
  if (rawJob === null || typeof rawJob !== 'object' || Array.isArray(rawJob)) return [];
  const broken = new Set<string>();
  for (const issue of structural) {
    if (issue.code === 'unrecognized_keys' && issue.path.length === 0) issue.keys.forEach((key) => broken.add(key));
    else broken.add(String(issue.path[0]));
  }
  const kept = Object.fromEntries(Object.entries(rawJob).filter(([key]) => !broken.has(key)));
  const retry = jobSchema.safeParse({ name: 'job', url: 'http://placeholder.invalid/', ...kept });
  if (!retry.success) return [];
  return compile(retry.data).filter((issue) => !broken.has(issue.path.slice(pathPrefix.length).split(/[.[]/)[0] ?? ''));
}
