import type { HttpHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { parseResolvedQuery } from '../../config/apiSchemas.js';
import { etagHeader, handle, jobNameParam, json } from '../http.js';

/** GET /api/jobs: every job with its current state (serialised by the app, see `listJobsJson`). */
export const listJobs = (app: Pulsecheck): HttpHandler =>
  handle(async () => ({ status: 200, body: await app.listJobsJson(), headers: { 'content-type': 'application/json; charset=utf-8' } }));

/** GET /api/jobs/{name}[?resolved=true]: one job with its state and definition (and, for API jobs, its ETag). */
export const getJob = (app: Pulsecheck): HttpHandler =>
  handle(async (request) => {
    const view = await app.getJob(jobNameParam(request), parseResolvedQuery(request.query));
    return json(view, 200, view.etag === undefined ? {} : { etag: etagHeader(view.etag) });
  });

/** POST /api/jobs/{name}/run: runs the job now and returns the run. */
export const runJob = (app: Pulsecheck): HttpHandler =>
  handle(async (request) => json(await app.runNow(jobNameParam(request))));
