import { isPlainObject, mergeJobLayers, mergeObjects } from './merge.js';

type Json = Readonly<Record<string, unknown>>;

/**
 * An environment overlay (`jobs.config.<environment>.json`) merged over the base file:
 * - `jobs` by name (ignoring case): an overlay job with a base job's name is merged over it (so
 *   `{ "name": "billing", "enabled": false }` disables it), any other is added at the end;
 * - `defaults` and each template of `templates` by the job rule of config/merge.ts;
 * - any other object section (`channels`, …) key by key, any other value replaced; `$schema` is the
 *   base's.
 * Both files must have passed the outline check (objects, `jobs` a list); an overlay job without a
 * name cannot be matched: its index is returned in `unnamed`.
 */
export function applyOverlay(base: Json, overlay: Json): { merged: Record<string, unknown>; unnamed: number[] } {
  const merged: Record<string, unknown> = { ...base };
  const unnamed: number[] = [];
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    if (key === '$schema') continue;
    if (key === 'jobs' && Array.isArray(value)) merged.jobs = mergeJobs(Array.isArray(current) ? current : [], value, unnamed);
    else if (key === 'defaults' && isPlainObject(current) && isPlainObject(value)) merged.defaults = overJob(current, value);
    else if (key === 'templates' && isPlainObject(current) && isPlainObject(value)) {
      merged.templates = Object.fromEntries(
        [...new Set([...Object.keys(current), ...Object.keys(value)])].map((name) => {
          const [a, b] = [current[name], value[name]];
          return [name, isPlainObject(a) && isPlainObject(b) ? overJob(a, b) : (b ?? a)];
        }),
      );
    } else merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : value;
  }
  return { merged, unnamed };
}

const overJob = (base: Json, over: Json) => mergeJobLayers([{ label: 'base', fields: base }, { label: 'overlay', fields: over }]).merged;

function mergeJobs(base: readonly unknown[], overlay: readonly unknown[], unnamed: number[]): unknown[] {
  const jobs = [...base];
  const index = new Map<string, number>();
  jobs.forEach((job, i) => {
    const name = isPlainObject(job) && typeof job.name === 'string' ? job.name.toLowerCase() : undefined;
    if (name !== undefined && !index.has(name)) index.set(name, i);
  });
  overlay.forEach((job, i) => {
    const name = isPlainObject(job) && typeof job.name === 'string' ? job.name : undefined;
    if (name === undefined || !isPlainObject(job)) return void unnamed.push(i);
    const at = index.get(name.toLowerCase());
    const current = at === undefined ? undefined : jobs[at];
    if (at !== undefined && isPlainObject(current)) jobs[at] = { ...overJob(current, job), name: current.name };
    else {
      index.set(name.toLowerCase(), jobs.length);
      jobs.push(job);
    }
  });
  return jobs;
}

/** `jobs.config.json` + `prod` → `jobs.config.prod.json`, in the jobs file's folder (paths as text: config/ does no I/O). */
export function overlayFileName(jobsFile: string, environment: string): string {
  const cut = Math.max(jobsFile.lastIndexOf('/'), jobsFile.lastIndexOf('\\')) + 1;
  return `${jobsFile.slice(0, cut)}${stem(jobsFile.slice(cut))}.${environment}.json`;
}

/** The environments of the overlays among `files` (names in the jobs file's folder): `prod` of `jobs.config.prod.json`. */
export function overlayEnvironments(jobsFile: string, files: readonly string[]): string[] {
  const prefix = `${stem(jobsFile.slice(Math.max(jobsFile.lastIndexOf('/'), jobsFile.lastIndexOf('\\')) + 1))}.`;
  return files
    .map((file) => (file.startsWith(prefix) && file.endsWith('.json') ? file.slice(prefix.length, -'.json'.length) : ''))
    .filter((environment) => /^[A-Za-z0-9_-]{1,40}$/.test(environment))
    .sort();
}

const stem = (name: string) => (name.endsWith('.json') ? name.slice(0, -'.json'.length) : name);
