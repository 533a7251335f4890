import { z } from 'zod';
import { SECRET_ID, SECRET_ID_RULE } from '../domain/auth.js';
import { MAX_CONDITION_LENGTH } from '../domain/conditions/parse.js';
import { HTTP_METHODS } from '../domain/job.js';
import { PRIORITIES } from '../domain/priority.js';
import { alertsSchema } from './alertsSchema.js';
import { channelsSchema } from './channelsSchema.js';
import { maintenanceSchema } from './maintenanceSchema.js';
import { linkFields } from './dependencies.js';

/**
 * The jobs file (`jobs.config.json`) and the job body of the API share these schemas.
 * `jobs.schema.json` is generated from them (`pulsecheck schema`); a test fails when it is stale.
 */

/** URL- and Table-key-safe: letters, digits, `-` and `_`, starting with a letter or digit, ≤ 63 chars. */
export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const jobName = z
  .string()
  .regex(JOB_NAME_PATTERN, 'must be 1-63 letters, digits, "-" or "_", starting with a letter or digit')
  .describe('Unique name of the job; used in URLs and as a storage key.');

const seconds = (max: number) => z.number().positive().max(max);

export const retrySchema = z
  .strictObject({
    maxAttempts: z.int().min(1).max(10).optional().describe('Total attempts including the first. Default 3.'),
    initialDelayMs: z.int().min(0).max(60_000).optional().describe('First backoff delay in ms. Default 200.'),
    maxDelayMs: z.int().min(0).max(300_000).optional().describe('Largest backoff delay in ms. Default 5000.'),
    deadlineSeconds: seconds(600)
      .optional()
      .describe('Overall deadline of a run, retries included. Default timeoutSeconds × maxAttempts + 5.'),
  })
  .describe('Retry of transient failures (connect errors, timeouts, 408, 429, 5xx) with exponential backoff and jitter.');

export const circuitBreakerSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      failureThreshold: z.int().min(1).max(1_000).optional().describe('Consecutive failed runs that open the circuit. Default 5.'),
      halfOpenAfterSeconds: seconds(86_400).optional().describe('Seconds before a probe run is let through. Default 60.'),
    }),
  ])
  .describe('Circuit breaker; `false` turns it off. While open, runs are recorded as skipped (circuit-open).');

/** Any JSON value (a request body given as JSON). */
export const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be a valid HTTP header name');

// --- auth (issue 3) ---
const secretId = z
  .string()
  .regex(SECRET_ID, `must name a Key Vault secret: ${SECRET_ID_RULE}`)
  .describe('Name of a Key Vault secret (`name` or `name/version`): a reference, never the value.');
const AUTH_TYPES = ['none', 'bearer', 'basic', 'apiKey', 'oauth2ClientCredentials', 'managedIdentity', 'clientCertificate'];

export const authSchema = z
  .discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('none') }).describe('No authentication (the default).'),
      z.strictObject({ type: z.literal('bearer'), secret: secretId }).describe('Sends `Authorization: Bearer <secret>`.'),
      z
        .strictObject({ type: z.literal('basic'), username: z.string().min(1), secret: secretId })
        .describe('Sends `Authorization: Basic` with the username and the secret as password.'),
      z
        .strictObject({
          type: z.literal('apiKey'),
          header: headerName.optional().describe('Header that carries the key, e.g. X-Api-Key.'),
          query: z.string().min(1).optional().describe('Query parameter that carries the key, e.g. code.'),
          secret: secretId,
        })
        .refine((auth) => (auth.header === undefined) !== (auth.query === undefined), {
          message: 'must set exactly one of "header" and "query"',
        })
        .describe('Sends the secret in a header or a query parameter.'),
      z
        .strictObject({
          type: z.literal('oauth2ClientCredentials'),
          tokenUrl: z.string().min(1).describe('Token endpoint (absolute https URL); may contain ${env:NAME}.'),
          clientId: z.string().min(1),
          secret: secretId.describe('Key Vault secret holding the client secret.'),
          scope: z.string().min(1).optional(),
        })
        .describe('OAuth2 client credentials grant; the token is cached until shortly before it expires.'),
      z
        .strictObject({
          type: z.literal('managedIdentity'),
          scope: z.string().min(1).describe('Entra ID scope of the target, e.g. api://my-api/.default.'),
          clientId: z.string().min(1).optional().describe('Client ID of a user-assigned identity. Default: AZURE_CLIENT_ID, else system-assigned.'),
        })
        .describe("An Entra ID token for the app's managed identity; no secret at all."),
      z
        .strictObject({ type: z.literal('clientCertificate'), secret: secretId.describe('Key Vault secret holding the PEM certificate and key.') })
        .describe('Mutual TLS with a client certificate.'),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? `expected one of ${AUTH_TYPES.map((t) => `"${t}"`).join(', ')}` : undefined) },
  )
  .describe('How requests authenticate. Secrets are named, never written here.')
  .meta({ id: 'auth' });
// --- end auth ---

/** Fields a job may set and `defaults` may provide. */
const settable = {
  method: z.enum(HTTP_METHODS).optional().describe('HTTP method. Default GET.'),
  headers: z
    .record(headerName, z.string())
    .optional()
    .describe('Request headers; values may contain ${env:NAME} and ${secret:name}.'),
  body: z
    .union([z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)])
    .optional()
    .describe('Request body: a string, or JSON (sent with content-type application/json).'),
  schedule: z.string().optional().describe('NCRONTAB: 6 fields with seconds first, or 5 fields. Exclusive with `every`.'),
  every: z.string().optional().describe('Interval such as "30s", "5m", "1h", aligned to the epoch. Exclusive with `schedule`.'),
  timezone: z.string().optional().describe('IANA time zone for `schedule`. Default UTC.'),
  enabled: z.boolean().optional().describe('Disabled jobs are listed but never scheduled. Default true.'),
  tags: z.record(z.string(), z.string()).optional().describe('Key/value tags, sent with every result to telemetry.'),
  priority: z
    .enum(PRIORITIES)
    .optional()
    .describe('Which checks start first when more are due than an instance can run at once; background and low are shed first when late. Default normal.'),
  timeoutSeconds: seconds(300).optional().describe('Per-attempt timeout in seconds. Default 10.'),
  retry: retrySchema.optional(),
  circuitBreaker: circuitBreakerSchema.optional(),
  conditions: z
    .array(z.string().max(MAX_CONDITION_LENGTH))
    .max(50)
    .optional()
    .describe('Gatus conditions, e.g. "[STATUS] == 200", "[BODY].status == UP". Default: 2xx status.'),
  degradedConditions: z
    .array(z.string().max(MAX_CONDITION_LENGTH))
    .max(50)
    .optional()
    .describe('Conditions judged when `conditions` hold; one that fails makes the run "degraded" (still up), e.g. "[RESPONSE_TIME] < 300".'),
  tls: z
    .strictObject({ insecureSkipVerify: z.boolean().optional().describe('Accept any server certificate.') })
    .optional(),
  auth: authSchema.optional(),
  alerts: alertsSchema.optional(),
};

export const defaultsSchema = z.strictObject(settable).describe('Values every job inherits unless it sets its own.');

export const jobSchema = z
  .strictObject({
    name: jobName,
    description: z.string().max(500).optional(),
    url: z.string().min(1).describe('Absolute http(s) URL; may contain ${env:NAME} and ${secret:name}.'),
    ...settable,
    ...linkFields,
  })
  .describe('One HTTP health check.');

export type JobInput = z.infer<typeof jobSchema>;
export type DefaultsInput = z.infer<typeof defaultsSchema>;

// --- templates (issue 14) ---
const extendsField = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe('Template(s) this job builds on, applied in order: defaults, then each template, then the job\'s own fields.');

/** A template: any job field but `name`, all optional; its strings may hold `${param:name}`. */
export const templateSchema = jobSchema
  .omit({ name: true })
  .partial()
  .extend({ extends: extendsField.optional() })
  .describe('Fields a job takes with "extends"; strings may contain ${param:name}, filled from the job\'s params.');

/** A job as the jobs file (and the API) takes it: with `extends` and `params`; `url` may come from a template. */
export const jobEntrySchema = jobSchema
  .partial({ url: true })
  .extend({
    extends: extendsField.optional(),
    params: z.record(z.string(), z.string()).optional().describe('Values for ${param:name} in the templates the job extends.'),
  })
  .describe('One HTTP health check.');
// --- end templates ---

export const jobsFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    defaults: defaultsSchema.optional(),
    templates: z.record(z.string(), templateSchema).optional().describe('Named sets of job fields, for "extends".'),
    channels: channelsSchema.optional(),
    maintenance: maintenanceSchema.optional(),
    jobs: z.array(jobEntrySchema).describe('The health checks.'),
  })
  .describe('Pulsecheck jobs file');

export type JobsFileInput = z.infer<typeof jobsFileSchema>;

/** The JSON Schema of the jobs file, for editors (`"$schema": "./jobs.schema.json"`). */
export function jobsJsonSchema(): Record<string, unknown> {
  return {
    ...(withReferences(z.toJSONSchema(jobsFileSchema, { io: 'input' })) as Record<string, unknown>),
    title: 'Pulsecheck jobs file',
  };
}

/**
 * Number and boolean fields also take a string with `${env:NAME}` or `${param:name}`: the value is
 * typed after substitution (config/typedFields.ts), and an editor must not flag it.
 */
function withReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withReferences);
  if (node === null || typeof node !== 'object') return node;
  const schema = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, withReferences(value)])) as Record<string, unknown>;
  const scalar = schema.type === 'number' || schema.type === 'integer' || schema.type === 'boolean' || typeof schema.const === 'boolean';
  if (!scalar) return schema;
  const { description, ...rest } = schema;
  return { ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'string', pattern: REFERENCE_PATTERN }] };
}

const REFERENCE_PATTERN = '\\$\\{(env|param):';
