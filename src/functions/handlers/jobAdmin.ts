import type { HttpHandler } from '@azure/functions';
import type { Pulsecheck } from '../../app/pulsecheck.js';
import { parseJobBody, type JobBody } from '../../config/apiSchemas.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { etagHeader, handle, ifMatchOf, jobNameParam, json, readJsonBody } from '../http.js';

/** What the API's job compiler says about a body whose name is broken (so that every problem is reported). */
const issuesOf = (app: Pulsecheck) => (input: JobBody) => app.jobs.issuesOf(input);

/** POST /api/jobs: creates an API job; 201 with Location and ETag. */
export const createJob = (app: Pulsecheck): CallerHandler =>
  handleCaller(async (request, caller) => {
    const definition = parseJobBody(await readJsonBody(request), {}, issuesOf(app));
    const view = await app.jobs.create(definition, caller.actor);
    return json(view, 201, { location: `/api/jobs/${encodeURIComponent(view.name)}`, etag: etagHeader(view.etag ?? '') });
  });

/** PUT /api/jobs/{name}: replaces an API job at the revision `If-Match` names (428 without it, 412 when stale). */
export const replaceJob = (app: Pulsecheck): CallerHandler =>
  handleCaller(async (request, caller) => {
    const name = jobNameParam(request);
    const ifMatch = ifMatchOf(request);
    const definition = parseJobBody(await readJsonBody(request), { name }, issuesOf(app));
    const view = await app.jobs.replace(name, definition, ifMatch, caller.actor);
    return json(view, 200, { etag: etagHeader(view.etag ?? '') });
  });

/** DELETE /api/jobs/{name}: deletes an API job at the revision `If-Match` names; 204. */
export const deleteJob = (app: Pulsecheck): CallerHandler =>
  handleCaller(async (request, caller) => {
    const name = jobNameParam(request);
    await app.jobs.remove(name, ifMatchOf(request), caller.actor);
    return { status: 204 };
  });

/** POST /api/runs: runs an unsaved job definition once; the run is returned, not recorded. */
export const runUnsaved = (app: Pulsecheck): HttpHandler =>
  handle(async (request) => {
    const definition = parseJobBody(await readJsonBody(request), { name: 'unsaved' }, issuesOf(app));
    return json(await app.runUnsaved(app.jobs.compile(definition)));
  });
