import type { HttpHandler, HttpMethod, TimerHandler } from '@azure/functions';
import type { Pulsecheck } from '../app/pulsecheck.js';
import { DEFAULT_RETENTION_SCHEDULE, DEFAULT_TICK_SCHEDULE } from '../config/settings.js';
import { dispatcher } from './handlers/dispatcher.js';
import { health } from './handlers/health.js';
import { getJob, listJobs, runJob } from './handlers/jobs.js';
import { metrics } from './handlers/metrics.js';
import { listAudit, listRuns, retention } from './handlers/history.js';
import { createJob, deleteJob, replaceJob, runUnsaved } from './handlers/jobAdmin.js';
import { openApi } from './handlers/openapi.js';

export interface TimerFunction {
  readonly trigger: 'timer';
  readonly name: string;
  /** The app setting holding the NCRONTAB schedule (`%NAME%` in Azure), and its value when unset. */
  readonly schedule: { readonly setting: string; readonly fallback: string };
  readonly handler: (app: Pulsecheck) => TimerHandler;
}

export interface HttpFunction {
  readonly trigger: 'http';
  readonly name: string;
  readonly methods: readonly HttpMethod[];
  /** Route below the `/api` prefix, with `{param}` segments. */
  readonly route: string;
  readonly authLevel: 'anonymous' | 'function' | 'admin';
  readonly handler: (app: Pulsecheck) => HttpHandler;
}

export type FunctionDefinition = TimerFunction | HttpFunction;

/** THE table of every function; both hosts register exactly this. */
export const registry: readonly FunctionDefinition[] = [
  {
    trigger: 'timer',
    name: 'dispatcher',
    schedule: { setting: 'PULSECHECK_TICK_SCHEDULE', fallback: DEFAULT_TICK_SCHEDULE },
    handler: dispatcher,
  },
  { trigger: 'http', name: 'health', methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: health },
  { trigger: 'http', name: 'listJobs', methods: ['GET'], route: 'jobs', authLevel: 'function', handler: listJobs },
  { trigger: 'http', name: 'getJob', methods: ['GET'], route: 'jobs/{name}', authLevel: 'function', handler: getJob },
  { trigger: 'http', name: 'runJob', methods: ['POST'], route: 'jobs/{name}/run', authLevel: 'function', handler: runJob },
  // A function key, like the jobs API: Prometheus sends it with `params: { code: [...] }` (README, Telemetry).
  { trigger: 'http', name: 'metrics', methods: ['GET'], route: 'metrics', authLevel: 'function', handler: metrics },
  // Management API and retention (issue 4).
  { trigger: 'http', name: 'createJob', methods: ['POST'], route: 'jobs', authLevel: 'function', handler: createJob },
  { trigger: 'http', name: 'replaceJob', methods: ['PUT'], route: 'jobs/{name}', authLevel: 'function', handler: replaceJob },
  { trigger: 'http', name: 'deleteJob', methods: ['DELETE'], route: 'jobs/{name}', authLevel: 'function', handler: deleteJob },
  { trigger: 'http', name: 'listRuns', methods: ['GET'], route: 'jobs/{name}/runs', authLevel: 'function', handler: listRuns },
  { trigger: 'http', name: 'runUnsaved', methods: ['POST'], route: 'runs', authLevel: 'function', handler: runUnsaved },
  { trigger: 'http', name: 'listAudit', methods: ['GET'], route: 'audit', authLevel: 'function', handler: listAudit },
  { trigger: 'http', name: 'openApi', methods: ['GET'], route: 'openapi.json', authLevel: 'anonymous', handler: openApi },
  {
    trigger: 'timer',
    name: 'retention',
    schedule: { setting: 'PULSECHECK_RETENTION_SCHEDULE', fallback: DEFAULT_RETENTION_SCHEDULE },
    handler: retention,
  },
];
