import { eventRun, type AlertEvent, type AlertEventType, type AlertRun, type AlertStatus } from './event.js';

/** Statuses a rule can alert on; `down` always (a run with status `error` counts as down). */
export type AlertOn = 'down' | 'degraded';

/** One alert rule of a job (`alerts[]` in the jobs file), defaults applied. */
export interface AlertRule {
  /** Position in the job's `alerts`: part of the alert id, so two rules never share an incident. */
  readonly index: number;
  /** Names of channels of the jobs file. */
  readonly channels: readonly string[];
  /** Consecutive failed runs that trigger the alert. Default 3. */
  readonly failureThreshold: number;
  /** Consecutive good runs that resolve it. Default 2. */
  readonly successThreshold: number;
  /** Notify on resolution. Default true. */
  readonly sendOnResolved: boolean;
  /** Remind while triggered at most this often, in milliseconds (at least 5 minutes); `null`: never. Default null. */
  readonly remindEveryMs: number | null;
  /** What counts as failed. Default `["down"]`. */
  readonly on: readonly AlertOn[];
  /** Locations that must fail at once (n-of-m, see `combineLocations`). Default 1. */
  readonly minLocations: number;
}

/** Smallest `remindEvery`, in milliseconds: 5 minutes (as Gatus). */
export const MIN_REMIND_EVERY_MS = 300_000;

/** What is remembered per job and rule between runs (persisted by the shell). */
export interface AlertState {
  readonly triggered: boolean;
  readonly failures: number;
  readonly successes: number;
  /** ISO 8601 start of the current failure streak (first failed run), `null` when not failing. */
  readonly since: string | null;
  /** The open incident's id while triggered. */
  readonly alertId: string | null;
  /** Epoch ms of the last trigger or reminder sent, for `remindEveryMs`. */
  readonly notifiedAt: number | null;
}

export const INITIAL_ALERT_STATE: AlertState = { triggered: false, failures: 0, successes: 0, since: null, alertId: null, notifiedAt: null };

/** Send `event` to each of `channels` (the shell queues one delivery per channel). */
export interface NotifyEffect {
  readonly type: 'notify';
  readonly channels: readonly string[];
  readonly event: AlertEvent;
}

/** Whether a run counts as failed for a rule; `undefined` for a run that counts as nothing (skipped). */
export function failed(status: AlertStatus, on: readonly AlertOn[]): boolean | undefined {
  if (status === 'skipped') return undefined;
  if (status === 'degraded') return on.includes('degraded');
  return status === 'down' || status === 'error';
}

/**
 * Folds one run (of one location, or several combined by `combineLocations`) into a rule's alert
 * state, at `now` (epoch ms): triggered after `failureThreshold` consecutive failed runs, a reminder
 * on a failed run at least `remindEveryMs` after the last notification, resolved after
 * `successThreshold` consecutive good runs (notified when `sendOnResolved`). Skipped runs change
 * nothing. The transition is decided here whether or not a notification is delivered later.
 */
export function decideAlert(prev: AlertState, run: AlertRun, now: number, rule: AlertRule): { next: AlertState; effects: NotifyEffect[] } {
  const verdict = failed(run.status, rule.on);
  if (verdict === undefined) return { next: prev, effects: [] };
  if (verdict) {
    const since = prev.since ?? run.startedAt;
    const failures = prev.failures + 1;
    const base = { ...prev, failures, successes: 0, since };
    if (!prev.triggered && failures >= rule.failureThreshold) {
      const alertId = `${rule.index}-${Date.parse(since).toString(36)}`;
      const next = { ...base, triggered: true, alertId, notifiedAt: now };
      return { next, effects: [notify('alert.triggered', next, run, now, rule)] };
    }
    const remind = prev.triggered && rule.remindEveryMs !== null && now - (prev.notifiedAt ?? now) >= rule.remindEveryMs;
    if (remind) {
      const next = { ...base, notifiedAt: now };
      return { next, effects: [notify('alert.reminder', next, run, now, rule)] };
    }
    return { next: base, effects: [] };
  }
  if (!prev.triggered) return { next: INITIAL_ALERT_STATE, effects: [] };
  const successes = prev.successes + 1;
  if (successes < rule.successThreshold) return { next: { ...prev, successes }, effects: [] };
  const effects = rule.sendOnResolved ? [notify('alert.resolved', prev, run, now, rule)] : [];
  return { next: INITIAL_ALERT_STATE, effects };
}

function notify(type: AlertEventType, state: AlertState, run: AlertRun, now: number, rule: AlertRule): NotifyEffect {
  const since = state.since ?? run.startedAt;
  const alertId = state.alertId ?? '';
  const timestamp = new Date(now).toISOString();
  const event: AlertEvent = {
    id: `${run.job}:${alertId}-${type.slice(6)}-${now.toString(36)}`,
    type,
    timestamp,
    data: {
      alertId,
      job: run.job,
      status: run.status,
      since,
      failures: state.failures,
      location: run.location,
      run: eventRun(run),
      ...(type === 'alert.resolved' ? { downForMs: Math.max(0, Date.parse(run.startedAt) - Date.parse(since)) } : {}),
    },
  };
  return { type: 'notify', channels: rule.channels, event };
}
