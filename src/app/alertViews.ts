import type { AlertStateStore } from './ports/index.js';

/** A triggered alert as `GET /api/alerts` shows it. */
export interface TriggeredAlert {
  readonly job: string;
  /** The rule's position in the job's `alerts`. */
  readonly rule: number;
  /** The incident (`data.alertId` of its events). */
  readonly alertId: string;
  /** ISO 8601 instant of the first failed run. */
  readonly since: string;
  /** Consecutive failed runs so far. */
  readonly failures: number;
  /** Where it failed (with `minLocations`: every failing location, comma-separated). */
  readonly location: string;
  /** The rule's channels. */
  readonly channels: readonly string[];
  /** ISO 8601 instant of the last notification (the trigger or a reminder). */
  readonly notifiedAt: string | null;
}

/** The triggered alerts, from the alert state of every instance (the store's). */
export class AlertViews {
  constructor(private readonly store: Pick<AlertStateStore, 'listAlerts'>) {}

  /** Every triggered alert, the longest-running first. */
  async list(): Promise<TriggeredAlert[]> {
    const records = await this.store.listAlerts();
    return records
      .filter((r) => r.state.triggered)
      .map((r) => ({
        job: r.job,
        rule: r.rule,
        alertId: r.state.alertId ?? '',
        since: r.state.since ?? '',
        failures: r.state.failures,
        location: r.location,
        channels: r.channels,
        notifiedAt: r.state.notifiedAt === null ? null : new Date(r.state.notifiedAt).toISOString(),
      }))
      .sort((a, b) => a.since.localeCompare(b.since) || a.job.localeCompare(b.job) || a.rule - b.rule);
  }
}
