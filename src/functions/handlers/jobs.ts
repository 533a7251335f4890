import type { HttpHandler } from '@azure/functions';
import type { JobViews } from '../../app/jobViews.js';
import type { ManualRuns } from '../../app/manualRuns.js';
import { parseResolvedQuery } from '../../config/apiSchemas.js';
import { etagHeader, handle, jobNameParam, json } from '../http.js';

/** GET /api/jobs: every job with its current state (serialised by the use case, see `JobViews.listJson`). */
export const listJobs = (views: JobViews): HttpHandler =>
  handle(async () => ({ status: 200, body: await views.listJson(), headers: { 'content-type': 'application/json; charset=utf-8' } }));

/** GET /api/jobs/{name}[?resolved=true]: one job with its state and definition (and, for API jobs, its ETag). */
export const getJob = (views: JobViews): HttpHandler =>
  handle(async (request) => {
    const view = await views.get(jobNameParam(request), parseResolvedQuery(request.query));
    return json(view, 200, view.etag === undefined ? {} : { etag: etagHeader(view.etag) });
  });

/** POST /api/jobs/{name}/run: runs the job now and returns the run. */
export const runJob = (runs: ManualRuns): HttpHandler => handle(async (request) => json(await runs.runNow(jobNameParam(request))));
