import type { HttpHandler } from '@azure/functions';
import type { JobAdmin } from '../../app/jobAdmin.js';
import type { ManualRuns } from '../../app/manualRuns.js';
import type { UseCases } from '../../app/useCases.js';
import { parseApiJob } from '../../config/apiJob.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { etagHeader, handle, ifMatchOf, jobNameParam, json, readJsonBody } from '../http.js';

/** The API's job compiler (sandboxed, with the jobs file's shared parts): each body is compiled once, by `parseApiJob`. */
type CompileApiJob = UseCases['compileApiJob'];

/** POST /api/jobs: creates an API job; 201 with Location and ETag. */
export const createJob = (admin: JobAdmin, compile: CompileApiJob): CallerHandler =>
  handleCaller(async (request, caller) => {
    const job = parseApiJob(await readJsonBody(request), {}, compile);
    const view = await admin.create(job, caller.actor);
    return json(view, 201, { location: `/api/jobs/${encodeURIComponent(view.name)}`, etag: etagHeader(view.etag ?? '') });
  });

/** PUT /api/jobs/{name}: replaces an API job at the revision `If-Match` names (428 without it, 412 when stale). */
export const replaceJob = (admin: JobAdmin, compile: CompileApiJob): CallerHandler =>
  handleCaller(async (request, caller) => {
    const name = jobNameParam(request);
    const ifMatch = ifMatchOf(request);
    const job = parseApiJob(await readJsonBody(request), { name }, compile);
    const view = await admin.replace(name, job, ifMatch, caller.actor);
    return json(view, 200, { etag: etagHeader(view.etag ?? '') });
  });

/** DELETE /api/jobs/{name}: deletes an API job at the revision `If-Match` names; 204. */
export const deleteJob = (admin: JobAdmin): CallerHandler =>
  handleCaller(async (request, caller) => {
    const name = jobNameParam(request);
    await admin.remove(name, ifMatchOf(request), caller.actor);
    return { status: 204 };
  });

/** POST /api/runs: runs an unsaved job definition once; the run is returned, not recorded. */
export const runUnsaved = (runs: ManualRuns, compile: CompileApiJob): HttpHandler =>
  handle(async (request) => json(await runs.runUnsaved(parseApiJob(await readJsonBody(request), { name: 'unsaved' }, compile))));
