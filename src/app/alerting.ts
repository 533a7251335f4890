import { combineLocations } from '../domain/alerting/locations.js';
import { withDependents, type AlertRun } from '../domain/alerting/event.js';
import { INITIAL_ALERT_STATE, decideAlert, type AlertRule, type NotifyEffect } from '../domain/alerting/rule.js';
import { silencedByUpstream } from '../domain/dependencies.js';
import type { Job } from '../domain/job.js';
import { suppressesAlerts } from '../domain/maintenance.js';
import type { Run } from '../domain/run.js';
import type { AlertRecord, AlertStateStore, Clock, Logger, NewDelivery, Telemetry } from './ports/index.js';
import type { RecordedRunObserver } from './checkRunner.js';

export interface AlertingDeps {
  readonly store: AlertStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly telemetry: Pick<Telemetry, 'alertEvent'>;
  /**
   * The jobs `job` takes down while it is down (`dependentsOf` over the catalog), listed in its
   * triggers and reminders. Default: none.
   */
  readonly dependents?: (job: string) => Promise<readonly string[]>;
  /** Told after a write that queued deliveries (the outbox pump sends them). */
  readonly outbox: { kick(): void };
  /** Decisions waiting or running in this process at most; past it a run's alerts are dropped, logged. Default 1 000. */
  readonly maxPending?: number;
  /** Conditional writes tried per decision, each after re-reading what another writer wrote. Default 5. */
  readonly maxConflicts?: number;
}

/** A location's latest run counts for `minLocations` this long after the job's interval twice over, in ms. Default interval: 1 h. */
const DEFAULT_INTERVAL_MS = 3_600_000;

/**
 * Alerts from recorded runs (issue 15): after each run of a job with `alerts`, every rule's state is
 * read, the run folded in (`decideAlert`, across locations with `combineLocations`), and the next
 * state saved by a conditional write together with its notifications (outbox rows). The instance
 * whose write wins recorded the transition; one that loses re-reads and decides again, and a run
 * already folded in (the same run id, or an older run of its location) changes nothing, so a
 * transition is notified once whatever the instances. Off the check path: `after` returns at once;
 * a job's decisions run one after another, a store fault is logged.
 */
export class Alerting implements RecordedRunObserver {
  readonly #deps: AlertingDeps;
  readonly #chains = new Map<string, Promise<void>>();
  #pending = 0;

  constructor(deps: AlertingDeps) {
    this.#deps = deps;
  }

  /** Decides the job's alert rules for `run`, in the background. Returns at once; never throws. */
  after(job: Job, run: Run): void {
    const rules = job.alerts ?? [];
    // A run in a maintenance window, or made or skipped while an upstream job is down, leaves the alerts as they are.
    if (rules.length === 0 || suppressesAlerts(run) || silencedByUpstream(run)) return;
    const { logger, maxPending = 1_000 } = this.#deps;
    if (this.#pending >= maxPending) {
      logger.error({ job: job.name, runId: run.runId, pending: this.#pending }, 'too many alert decisions waiting for the store; this run is not folded into the alerts');
      return;
    }
    this.#pending++;
    const previous = this.#chains.get(job.name) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(() => Promise.all(rules.map((rule) => this.#decide(job, rule, run))))
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, job: job.name, runId: run.runId }, 'could not decide the alerts of a run'),
      )
      .finally(() => {
        this.#pending--;
        if (this.#chains.get(job.name) === next) this.#chains.delete(job.name);
      });
    this.#chains.set(job.name, next);
  }

  /** Resolves once every decision started so far is written (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  async #decide(job: Job, rule: AlertRule, run: Run): Promise<void> {
    const { store, clock, logger, maxConflicts = 5 } = this.#deps;
    const input = alertRun(run);
    for (let tries = 0; tries < maxConflicts; tries++) {
      const stored = await store.loadAlert(job.name, rule.index);
      const seen = stored?.locations[run.location];
      if (seen && (seen.runId === run.runId || Date.parse(seen.startedAt) >= Date.parse(run.startedAt))) return;
      const now = clock.now();
      const locations = recent({ ...stored?.locations, [run.location]: input }, now - 2 * intervalOf(job));
      const combined = rule.minLocations > 1 ? combineLocations(new Map(Object.entries(locations)), rule) : input;
      if (!combined) return;
      const prev = stored?.state ?? INITIAL_ALERT_STATE;
      const decided = decideAlert(prev, combined, now, rule);
      const { next } = decided;
      const effects = await this.#withDependents(job.name, decided.effects);
      // Nothing to remember: a healthy job costs no write (minLocations needs every location's run).
      if (effects.length === 0 && rule.minLocations === 1 && JSON.stringify(next) === JSON.stringify(prev)) return;
      const record: Omit<AlertRecord, 'version'> = { job: job.name, rule: rule.index, state: next, channels: rule.channels, location: combined.location, locations };
      const deliveries = effects.flatMap((effect) => deliveriesOf(job.name, effect, now));
      if (await store.commitAlert(record, stored?.version ?? null, deliveries)) {
        for (const effect of effects) this.#deps.telemetry.alertEvent?.(effect.event, effect.channels);
        if (deliveries.length > 0) this.#deps.outbox.kick();
        return;
      }
    }
    logger.warn({ job: job.name, rule: rule.index, runId: run.runId, tries: maxConflicts }, 'alert state kept changing under this instance; the run is not folded in');
  }

  /** Triggers and reminders name the jobs this one takes down; read only when there is one to send. */
  async #withDependents(job: string, effects: NotifyEffect[]): Promise<NotifyEffect[]> {
    const { dependents, logger } = this.#deps;
    if (!dependents || !effects.some((effect) => effect.event.type === 'alert.triggered' || effect.event.type === 'alert.reminder')) return effects;
    const names = await dependents(job).catch((error: unknown) => {
      logger.warn({ err: error, job }, 'could not list the jobs that depend on this one; the alert is sent without them');
      return [];
    });
    return effects.map((effect) => ({ ...effect, event: withDependents(effect.event, names) }));
  }
}

/** The part of a run an alert decision reads (what is stored per location). */
const alertRun = (run: Run): AlertRun => ({
  runId: run.runId,
  job: run.job,
  status: run.status,
  startedAt: run.startedAt,
  httpStatus: run.httpStatus,
  conditions: run.conditions,
  ...(run.error ? { error: run.error } : {}),
  location: run.location,
});

/** One outbox row per channel of the effect, keyed by the event id (the idempotency key) and the channel. */
const deliveriesOf = (job: string, effect: NotifyEffect, now: number): NewDelivery[] =>
  effect.channels.map((channel) => ({ id: `${effect.event.id}|${channel}`, job, channel, event: effect.event, dueAt: now }));

/** The latest runs that started after `after` (epoch ms). */
const recent = (locations: Record<string, AlertRun>, after: number): Record<string, AlertRun> =>
  Object.fromEntries(Object.entries(locations).filter(([, run]) => Date.parse(run.startedAt) > after));

const intervalOf = (job: Job): number =>
  job.schedule.kind === 'every' ? job.schedule.everyMs : (job.schedule.fixed?.periodMs ?? DEFAULT_INTERVAL_MS);
