import { z } from 'zod';
import { ERROR_CODES, validationError } from '../domain/errors.js';
import { HTTP_METHODS } from '../domain/job.js';
import { RUN_ERROR_KINDS } from '../domain/run.js';
import { describeZodIssue } from './issues.js';

/**
 * Schemas of the management API beyond the job body (which is the jobs file's `jobSchema`): query
 * strings, and the shapes of responses, from which `GET /api/openapi.json` is generated.
 */

/** Default and largest page of run history and audit. */
export const PAGE = { default: 50, max: 1_000 } as const;

export const pageQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${PAGE.max}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be a whole number from 1 to ${PAGE.max}`).max(PAGE.max, `must be a whole number from 1 to ${PAGE.max}`))
    .optional()
    .describe(`Items per page, 1-${PAGE.max}. Default ${PAGE.default}.`),
  cursor: z.string().max(400).optional().describe('The `nextCursor` of the previous page, unchanged.'),
});

/** Validates `limit` and `cursor` of a query string (other parameters, like the function key's `code`, are ignored). */
export function parsePageQuery(query: URLSearchParams): { limit: number; cursor: string | undefined } {
  const parsed = pageQuery.safeParse({
    ...(query.has('limit') ? { limit: query.get('limit') } : {}),
    ...(query.has('cursor') ? { cursor: query.get('cursor') } : {}),
  });
  if (!parsed.success) throw validationError('the query string', parsed.error.issues.map((issue) => describeZodIssue(issue, '', 0)));
  return { limit: parsed.data.limit ?? PAGE.default, cursor: parsed.data.cursor };
}

export const resolvedQuery = z
  .enum(['true', 'false'], { error: 'must be "true" or "false"' })
  .optional()
  .describe('`true`: the job as it runs (defaults and templates merged) instead of as written.');

/** `?resolved=` of `GET /api/jobs/{name}`: false when absent. */
export function parseResolvedQuery(query: URLSearchParams): boolean {
  const parsed = resolvedQuery.safeParse(query.get('resolved') ?? undefined);
  if (!parsed.success) throw validationError('the query string', parsed.error.issues.map((issue) => describeZodIssue({ ...issue, path: ['resolved'] }, '', 0)));
  return parsed.data === 'true';
}

// ---- response shapes (documentation: GET /api/openapi.json) ----

const instant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant');
const runError = z.object({
  kind: z.enum(RUN_ERROR_KINDS),
  message: z.string(),
});

export const runSchema = z
  .object({
    runId: z.string(),
    job: z.string(),
    trigger: z.enum(['schedule', 'manual', 'followup']),
    scheduledAt: instant,
    startedAt: instant,
    durationMs: z.number(),
    attempts: z.int(),
    status: z.enum(['up', 'degraded', 'down', 'skipped', 'error']),
    success: z.boolean(),
    httpStatus: z.int().nullable(),
    conditions: z.array(z.object({ condition: z.string(), success: z.boolean(), actual: z.string(), degraded: z.literal(true).optional().describe('a result of `degradedConditions`') })),
    error: runError.optional(),
    timings: z.object({ dns: z.number(), connect: z.number(), tls: z.number(), firstByte: z.number(), total: z.number() }).optional(),
    certificateExpiresAt: instant.optional(),
    location: z.string(),
    parentRunId: z.string().optional().describe('Trigger `followup`: the run whose end started this one'),
    catchUp: z.boolean().optional(),
    maintenance: z.boolean().optional().describe('true when the run fell in a maintenance window'),
    suppressed: z
      .object({ reason: z.literal('upstream-down'), upstream: z.array(z.string()) })
      .optional()
      .describe('Ran while upstream jobs were down (`whenUpstreamDown: "silent"`): alerts nobody'),
  })
  .describe('One run of a job');

const definitionShape = z.record(z.string(), z.unknown());

export const jobStateSchema = z.object({
  health: z.enum(['UP', 'DEGRADED', 'DOWN', 'UNKNOWN', 'MAINTENANCE']),
  since: instant.nullable(),
  consecutiveFailures: z.int(),
  consecutiveSuccesses: z.int(),
  lastRun: z
    .object({ runId: z.string(), status: z.enum(['up', 'degraded', 'down', 'skipped', 'error']), startedAt: instant, durationMs: z.number(), httpStatus: z.int().nullable(), error: runError.optional() })
    .nullable(),
});

export const jobViewSchema = z
  .object({
    name: z.string(),
    description: z.string().optional(),
    source: z.enum(['config', 'api']).describe('`config`: the jobs file (read-only here); `api`: created through the API'),
    etag: z.string().optional().describe('API jobs: the revision, also sent as the ETag header'),
    enabled: z.boolean(),
    method: z.enum(HTTP_METHODS),
    url: z.string().describe('As written: references, not their values; credentials masked'),
    schedule: z.string(),
    nextRunAt: instant.nullable(),
    tags: z.record(z.string(), z.string()),
    headers: z.record(z.string(), z.string()).describe('As written; authorization, cookie and key headers masked'),
    conditions: z.array(z.string()),
    timeoutSeconds: z.number(),
    retry: z.object({ maxAttempts: z.int(), initialDelayMs: z.int(), maxDelayMs: z.int(), deadlineSeconds: z.number() }),
    circuitBreaker: z.union([z.literal(false), z.object({ failureThreshold: z.int(), halfOpenAfterSeconds: z.number() })]),
    state: jobStateSchema,
    locations: z
      .record(z.string(), jobStateSchema)
      .optional()
      .describe('`GET /api/jobs/{name}`: the state in each location (region) that has run the job, by location name'),
    maintenance: z
      .object({ name: z.string(), checks: z.enum(['run', 'pause']), start: instant, end: instant })
      .optional()
      .describe('`GET /api/jobs/{name}`: the maintenance window open now, if any'),
    definition: definitionShape.optional().describe('`GET /api/jobs/{name}`: as written (extends, params, references); credentials masked'),
    dependents: z.array(z.string()).optional().describe('`GET /api/jobs/{name}`: the jobs this one takes down while it is down (their `dependsOn`, followed through)'),
    resolved: definitionShape.optional().describe('`GET /api/jobs/{name}?resolved=true`: as it runs (defaults and templates merged), references unresolved; credentials masked'),
  })
  .describe('A job with its current state');

const definition = z.record(z.string(), z.unknown()).describe('A job definition as written, secrets masked');
export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: instant,
    actor: z.object({ name: z.string(), via: z.enum(['app-service-auth', 'function-key', 'none']) }),
    action: z.enum(['job.create', 'job.update', 'job.delete', 'channel.test']).describe('`channel.test`: a test notification; `job` names the channel, `after` says what happened.'),
    job: z.string(),
    before: definition.nullable(),
    after: definition.nullable(),
  })
  .describe('One change made through the API');

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    code: z.enum(ERROR_CODES),
    detail: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('One per rejected field'),
  })
  .describe('An error (RFC 9457 problem details)');

const componentHealth = z.looseObject({ status: z.enum(['ok', 'degraded', 'down']), detail: z.string() });
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptimeSeconds: z.number(),
  jobs: z.int().nullable().describe('null when the job catalog did not answer in time'),
  runningChecks: z.int(),
  lastTickAt: instant.nullable(),
  lastTickAgeSeconds: z.number().nullable(),
  checks: z.record(z.string(), componentHealth),
});
/** What `GET /api/health` tells a caller without the reader role. */
export const healthSummarySchema = healthSchema.pick({ status: true, version: true });

export const jobListSchema = z.object({ jobs: z.array(jobViewSchema) });
export const runPageSchema = z.object({ runs: z.array(runSchema), nextCursor: z.string().optional().describe('Absent on the last page') });
export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema), nextCursor: z.string().optional().describe('Absent on the last page') });
