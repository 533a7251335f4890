import { dependentsOf } from '../domain/dependencies.js';
import { notFound } from '../domain/errors.js';
import { INITIAL_STATE } from '../domain/state.js';
import type { Clock, JobCatalog, JobStateStore } from './ports/index.js';
import { jobDetailView, jobViewJson, type JobView } from './views.js';

export interface JobViewsDeps {
  readonly catalog: JobCatalog;
  readonly store: Pick<JobStateStore, 'loadState' | 'loadStates' | 'loadLocations'>;
  readonly clock: Clock;
}

/** The jobs as the API shows them: each with its state and next run. */
export class JobViews {
  readonly #deps: JobViewsDeps;
  #lastList: { parts: string[]; text: string } | undefined;

  constructor(deps: JobViewsDeps) {
    this.#deps = deps;
  }

  /**
   * Every job with its state, as the JSON text `{ "jobs": [JobView, …] }` (see `jobViewJson`); the
   * same text as last time when no job's part changed.
   */
  async listJson(): Promise<string> {
    const { catalog, store, clock } = this.#deps;
    const [jobs, states] = await Promise.all([catalog.list({ complete: true }), store.loadStates()]);
    const now = clock.now();
    const parts = jobs.map((job) => jobViewJson(job, states.get(job.name) ?? INITIAL_STATE, now));
    const last = this.#lastList;
    if (last && last.parts.length === parts.length && parts.every((part, i) => part === last.parts[i])) return last.text;
    this.#lastList = { parts, text: `{"jobs":[${parts.join(',')}]}` };
    return this.#lastList.text;
  }

  /**
   * One job with its state and definition (as written, or with `resolved` as it runs), and the jobs
   * it takes down while it is down (`dependents`, when there are any); `state` is this location's,
   * `locations` every location's that ran it (issue 13, item 5).
   */
  async get(name: string, resolved = false): Promise<JobView> {
    const { catalog, store, clock } = this.#deps;
    const job = await catalog.get(name);
    if (!job) throw notFound(`job "${name}"`);
    const [state, locations] = await Promise.all([store.loadState(job.name), store.loadLocations(job.name)]);
    const view = {
      ...jobDetailView(job, state ?? INITIAL_STATE, clock.now(), resolved),
      locations: Object.fromEntries([...locations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
    const dependents = dependentsOf(job.name, await catalog.list());
    return dependents.length === 0 ? view : { ...view, dependents };
  }
}
