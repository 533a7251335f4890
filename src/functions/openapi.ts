import { z } from 'zod';
import {
  PAGE,
  auditPageSchema,
  healthSchema,
  healthSummarySchema,
  jobListSchema,
  jobViewSchema,
  pageQuery,
  resolvedQuery,
  problemSchema,
  runPageSchema,
  runSchema,
} from '../config/apiSchemas.js';
import { alertListSchema, channelTestSchema } from '../config/channelsSchema.js';
import { slaQuery, slaSchema, statsQuery, statsSchema } from '../config/uptimeSchemas.js';
import { JOB_NAME_PATTERN, authSchema, jobEntrySchema, jsonValue } from '../config/jobsSchema.js';
import { UPTIME_WINDOWS } from '../domain/sla.js';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from './http.js';

type Json = Record<string, unknown>;

/** The component schemas, generated from the zod schemas the API validates and answers with. */
function componentSchemas(): Json {
  const registry = z.registry<{ id: string }>();
  registry.add(jsonValue, { id: 'JsonValue' });
  // Has an id of its own (`.meta({ id: 'auth' })`): registered here too, so its $refs point into components.
  registry.add(authSchema, { id: 'auth' });
  registry.add(jobEntrySchema, { id: 'JobDefinition' });
  registry.add(runSchema, { id: 'Run' });
  registry.add(jobViewSchema, { id: 'Job' });
  registry.add(jobListSchema, { id: 'JobList' });
  registry.add(runPageSchema, { id: 'RunPage' });
  registry.add(auditPageSchema, { id: 'AuditPage' });
  registry.add(problemSchema, { id: 'Problem' });
  registry.add(healthSchema, { id: 'Health' });
  registry.add(healthSummarySchema, { id: 'HealthSummary' });
  registry.add(channelTestSchema, { id: 'ChannelTest' });
  registry.add(slaSchema, { id: 'Sla' });
  registry.add(statsSchema, { id: 'JobStats' });
  registry.add(alertListSchema, { id: 'AlertList' });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: 'input', unrepresentable: 'any' });
  // Each schema is embedded in the document: its own `$schema` and `$id` do not belong there.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const content = (id: string, type = 'application/json') => ({ content: { [type]: { schema: ref(id) } } });
const DEAD_LETTER = {
  type: 'object',
  required: ['id', 'job', 'scheduledAt', 'runId', 'lastError', 'deadLetteredAt', 'expiresAt', 'dequeueCount'],
  properties: {
    id: { type: 'string' },
    job: { type: ['string', 'null'] },
    scheduledAt: { type: ['string', 'null'], format: 'date-time' },
    runId: { type: ['string', 'null'] },
    lastError: { oneOf: [{ type: 'null' }, { type: 'object', properties: { message: { type: 'string' } } }] },
    deadLetteredAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    dequeueCount: { type: 'integer' },
    unreadable: { type: 'string' },
  },
};
const DEAD_LETTER_LIST = {
  type: 'object',
  properties: {
    dispatch: { enum: ['inline', 'queue'] },
    queue: { type: ['string', 'null'] },
    count: { type: 'integer' },
    deadLetters: { type: 'array', items: DEAD_LETTER },
    truncated: { type: 'boolean' },
  },
};
const ok = (description: string, id: string, headers?: Json) => ({ description, ...content(id), ...(headers ? { headers } : {}) });
const problem = (description: string) => ({ description, ...content('Problem', 'application/problem+json') });

const ERRORS: Record<number, string> = {
  400: `Rejected input: \`issues\` names each field and what was expected (a \`{name}\` no job can have; a body nested over ${MAX_JSON_DEPTH} levels)`,
  401: 'No credential this route accepts (a function key, an Entra ID token, or for /metrics the metrics token); `WWW-Authenticate: Bearer`',
  403: "The caller's role is below the route's (`x-pulsecheck-role`)",
  404: 'No such job, channel or dead letter (or, for /metrics, the Prometheus sink is off)',
  409: 'The job is defined in the jobs file (read-only here), or the name is taken; for a dead letter, queue mode is off',
  412: 'The job has changed since it was read (`If-Match` does not match its ETag)',
  413: `The body is over ${MAX_BODY_BYTES} bytes`,
  415: 'The body is not JSON (`content-type: application/json`)',
  421: 'Local host only: the `Host` header names neither a loopback host nor `WEBSITE_HOSTNAME`',
  428: '`If-Match` is missing: send the ETag from `GET /api/jobs/{name}` (or `*`)',
  429: "Over the caller's rate limit (reads and writes counted apart, per instance); `Retry-After` gives the seconds to wait",
  500: 'A fault of Pulsecheck; details are only in its log',
  503: 'A dependency (`dependency` names it: Table Storage) failed or did not answer in time, or the app is starting or shutting down; `Retry-After` gives the seconds to wait',
};
const responses = (statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem(ERRORS[s] as string)]));
/** The errors of a route that needs a role, plus `statuses`. */
const errors = (...statuses: number[]) => responses([...statuses, 401, 403, 421, 429, 500, 503]);
/** The errors of an anonymous route. */
const anonymousErrors = () => responses([421, 429, 500, 503]);

const etag = { ETag: { description: 'Revision of the job, for `If-Match`', schema: { type: 'string' } } };
const name = { name: 'name', in: 'path', required: true, description: 'Job name (ignoring case)', schema: { type: 'string', pattern: JOB_NAME_PATTERN.source } };
const ifMatch = { name: 'If-Match', in: 'header', required: true, description: 'The ETag the change is based on (from GET); `*`: any revision', schema: { type: 'string' } };
const queryParams = Object.entries(z.toJSONSchema(pageQuery, { io: 'input' }).properties ?? {}).map(([key, schema]) => ({
  name: key,
  in: 'query',
  required: false,
  description: (schema as Json).description,
  schema: key === 'limit' ? { type: 'integer', minimum: 1, maximum: PAGE.max, default: PAGE.default } : { type: 'string' },
}));
/** The query parameters of a zod object schema, all optional (the input side: what a client sends). */
const queryOf = (schema: z.ZodType): Json[] =>
  Object.entries((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json & { properties?: Record<string, Json> }).properties ?? {}).map(([key, { description, ...rest }]) => ({
    name: key,
    in: 'query',
    required: false,
    description,
    schema: rest,
  }));
const badgeResponses = {
  200: {
    description: 'The badge (shields-style flat SVG)',
    headers: { ETag: { description: 'Of the SVG; `If-None-Match` with it answers 304', schema: { type: 'string' } }, 'Cache-Control': { description: '`max-age` in seconds', schema: { type: 'string' } } },
    content: { 'image/svg+xml': { schema: { type: 'string' } } },
  },
  304: { description: 'Unchanged since the ETag sent in `If-None-Match`' },
};
const jobBody = (description: string) => ({ required: true, description, ...content('JobDefinition') });

/** The OpenAPI 3.1 description of every HTTP function (a test checks it covers the registry). */
export function openApiDocument(version: string): Json {
  // Each operation names the least role it needs (docs/security.md); a test keeps it equal to the registry's.
  const credentials = [{ functionKey: [] }, { functionKeyQuery: [] }, { entraId: [] }];
  const as = (role: 'reader' | 'operator' | 'admin') => ({ 'x-pulsecheck-role': role, security: credentials });
  const anyone = { 'x-pulsecheck-role': 'anonymous', security: [{}, { entraId: [] }] };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulsecheck',
      version,
      description:
        'HTTP health checks as code. Errors are `application/problem+json` with a stable `code`. ' +
        'A known route called with another method answers 405 with an `Allow` header on the local host (in Azure the Functions host answers 404). ' +
        `JSON bodies nest at most ${MAX_JSON_DEPTH} levels. Every answer carries \`X-Content-Type-Options: nosniff\`, \`X-Frame-Options: DENY\`, ` +
        'a `Content-Security-Policy` and, unless a route says otherwise, `Cache-Control: no-store`.',
    },
    servers: [{ url: '/api' }],
    paths: {
      '/health': {
        get: {
          operationId: 'health',
          summary: "The app's own health: status and version; the detail for a reader",
          ...anyone,
          responses: {
            200: { description: 'Health; 200 even when degraded', content: { 'application/json': { schema: { oneOf: [ref('Health'), ref('HealthSummary')] } } } },
            ...anonymousErrors(),
          },
        },
      },
      '/health/detail': {
        get: { operationId: 'healthDetail', summary: "The app's own health with every component", ...as('reader'), responses: { 200: ok('Health; 200 even when degraded', 'Health'), ...errors() } },
      },
      '/status': {
        get: {
          operationId: 'statusPage',
          summary: 'The status page (HTML); its role follows PULSECHECK_STATUS_PAGE',
          ...as('reader'),
          responses: { 200: { description: 'The page', content: { 'text/html': {} } }, ...errors(404) },
        },
      },
      '/status/summary': {
        get: {
          operationId: 'statusSummary',
          summary: "The status page's data: jobs by group with state, 90 daily bars, uptime, response times, incidents, maintenance (docs/status-page.md)",
          ...as('reader'),
          responses: { 200: { description: 'The summary', content: { 'application/json': { schema: { type: 'object', required: ['generatedAt', 'timeZone', 'groupBy', 'refreshSeconds', 'groups'] } } } }, ...errors(404) },
        },
      },
      '/status/assets/{file}': {
        parameters: [{ name: 'file', in: 'path', required: true, description: "A file of the page (its script, styles, icon, uPlot)", schema: { type: 'string' } }],
        get: {
          operationId: 'statusAsset',
          summary: "A file of the status page, served by the app (no CDN)",
          ...as('reader'),
          responses: { 200: { description: 'The file', content: { 'text/javascript': {}, 'text/css': {}, 'image/svg+xml': {} } }, ...errors(404) },
        },
      },
      '/jobs': {
        get: { operationId: 'listJobs', summary: 'Every job with its state', ...as('reader'), responses: { 200: ok('The jobs', 'JobList'), ...errors() } },
        post: {
          operationId: 'createJob',
          summary: 'Create a job (source `api`)',
          ...as('admin'),
          requestBody: jobBody('The job, as in the jobs file'),
          responses: { 201: ok('Created', 'Job', { ...etag, Location: { description: 'URL of the job', schema: { type: 'string' } } }), ...errors(400, 409, 413, 415) },
        },
      },
      '/jobs/{name}': {
        parameters: [name],
        get: {
          operationId: 'getJob',
          summary: 'One job with its state and definition',
          ...as('reader'),
          parameters: [{ name: 'resolved', in: 'query', required: false, schema: z.toJSONSchema(resolvedQuery, { io: 'input' }) }],
          responses: { 200: ok('The job', 'Job', etag), ...errors(400, 404) },
        },
        put: {
          operationId: 'replaceJob',
          summary: 'Replace an API job',
          ...as('admin'),
          parameters: [ifMatch],
          requestBody: jobBody('The whole new definition; `name` may be left out'),
          responses: { 200: ok('Replaced', 'Job', etag), ...errors(400, 404, 409, 412, 413, 415, 428) },
        },
        delete: { operationId: 'deleteJob', summary: 'Delete an API job', ...as('admin'), parameters: [ifMatch], responses: { 204: { description: 'Deleted' }, ...errors(400, 404, 409, 412, 428) } },
      },
      '/jobs/{name}/run': {
        parameters: [name],
        post: { operationId: 'runJob', summary: 'Run a job now (trigger `manual`, recorded)', ...as('operator'), responses: { 200: ok('The run', 'Run'), ...errors(400, 404, 503) } },
      },
      '/jobs/{name}/runs': {
        parameters: [name],
        get: { operationId: 'listRuns', summary: "A page of the job's runs, newest first", ...as('reader'), parameters: queryParams, responses: { 200: ok('A page of runs', 'RunPage'), ...errors(400, 404) } },
      },
      '/runs': {
        post: {
          operationId: 'runUnsaved',
          summary: 'Run an unsaved job definition once (not recorded)',
          ...as('operator'),
          requestBody: jobBody('A job definition; `name` may be left out'),
          responses: { 200: ok('The run', 'Run'), ...errors(400, 413, 415, 503) },
        },
      },
      '/audit': {
        get: { operationId: 'listAudit', summary: 'A page of the audit log, newest first', ...as('admin'), parameters: queryParams, responses: { 200: ok('A page of changes', 'AuditPage'), ...errors(400) } },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus text exposition',
          'x-pulsecheck-role': 'reader',
          security: [...credentials, { metricsToken: [] }],
          responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors(404) },
        },
      },
      '/alerts': {
        get: { operationId: 'listAlerts', summary: 'The triggered alerts, the longest-running first', ...as('reader'), responses: { 200: ok('Triggered alerts', 'AlertList') } },
      },
      '/channels/{name}/test': {
        parameters: [{ ...name, description: 'Channel name (a key of `channels` in the jobs file)' }],
        post: {
          operationId: 'testChannel',
          summary: 'Send a test notification through a channel (audited); 200 also when the receiver refused it',
          ...as('operator'),
          responses: { 200: ok('What happened', 'ChannelTest'), ...errors(400, 404) },
        },
      },
      '/deadletters': {
        get: {
          operationId: 'listDeadLetters',
          summary: 'The oldest dead letters of queue dispatch (at most 32) and their count; an empty list in inline mode',
          ...as('reader'),
          responses: { 200: { description: 'Dead letters (docs/api.md, Dead letters)', content: { 'application/json': { schema: DEAD_LETTER_LIST } } } },
        },
      },
      '/deadletters/{id}/retry': {
        parameters: [{ name: 'id', in: 'path', required: true, description: "A dead letter's id, as GET /deadletters lists it", schema: { type: 'string', pattern: '^[A-Za-z0-9-]{1,100}$' } }],
        post: {
          operationId: 'retryDeadLetter',
          summary: 'Put a dead letter back on the check queue (audited); 409 in inline mode',
          ...as('admin'),
          responses: { 200: { description: 'The dead letter put back', content: { 'application/json': { schema: { type: 'object', properties: { retried: DEAD_LETTER } } } } }, ...errors(400, 404, 409) },
        },
      },
      '/sla': {
        get: {
          operationId: 'sla',
          summary: 'Uptime and SLA figures per job over a window (CSV with `Accept: text/csv`)',
          ...as('reader'),
          parameters: queryOf(slaQuery),
          responses: {
            200: { description: 'Figures per job', content: { 'application/json': { schema: ref('Sla') }, 'text/csv': { schema: { type: 'string' } } } },
            ...errors(400, 404),
          },
        },
      },
      '/jobs/{name}/stats': {
        parameters: [name],
        get: { operationId: 'jobStats', summary: "A job's rollups as a series, oldest first", ...as('reader'), parameters: queryOf(statsQuery), responses: { 200: ok('The series', 'JobStats'), ...errors(400, 404) } },
      },
      '/badges/{name}.svg': {
        parameters: [name],
        get: {
          operationId: 'stateBadge',
          summary: "A badge of the job's state: up, degraded, down, maintenance or unknown (PULSECHECK_STATUS_PAGE: reader when private, anyone and public jobs only when public, 404 when off)",
          ...as('reader'),
          responses: { ...badgeResponses, ...errors(400, 404) },
        },
      },
      '/badges/{name}/uptime/{window}.svg': {
        parameters: [name, { name: 'window', in: 'path', required: true, schema: { type: 'string', enum: [...UPTIME_WINDOWS] } }],
        get: {
          operationId: 'uptimeBadge',
          summary: "A badge of the job's uptime over the window, coloured by threshold (access as for the state badge)",
          ...as('reader'),
          responses: { ...badgeResponses, ...errors(400, 404) },
        },
      },
      '/openapi.json': { get: { operationId: 'openApi', summary: 'This document', ...anyone, responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': {} } } } } },
    },
    components: {
      schemas: componentSchemas(),
      responses: { MethodNotAllowed: problem('Known route, other method (the `Allow` header lists the methods)') },
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
        entraId: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'With App Service Authentication: an Entra ID token; its app roles Pulsecheck.Reader, .Operator, .Admin give the role' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'PULSECHECK_METRICS_TOKEN: reads GET /metrics only' },
      },
    },
  };
}
