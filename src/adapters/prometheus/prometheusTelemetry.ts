import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { CircuitState, Clock, ComponentHealth, HealthContributor, MetricsExposition, TelemetrySink } from '../../app/ports/index.js';
import type { Job } from '../../domain/job.js';
import { PRIORITIES, type Priority } from '../../domain/priority.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';
import { transferMs } from '../../domain/timings.js';

// Loaded when the sink is built (PULSECHECK_PROMETHEUS=true): a host without it never pays for prom-client.
const require = createRequire(import.meta.url);
const promClient = (): typeof PromClient => require('prom-client') as typeof PromClient;

const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'half-open', 'open', 'isolated'];
const PHASES = ['resolve', 'connect', 'tls', 'processing', 'transfer'] as const;
/** Start lateness buckets, in seconds: from on time to a minute (a check more than a tick late is in trouble). */
const LATENESS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Runs that never passed admission: the previous run was still going, or the instance was overloaded. */
const NOT_ADMITTED = new Set(['overlap', 'overloaded']);

/**
 * Milliseconds as seconds, rounded to the microsecond: timings are sums and differences of
 * fractional milliseconds, and `2.1000000000000003 / 1000` would be exposed as
 * `0.0021000000000000003`. A microsecond is finer than anything measured here.
 */
export function seconds(ms: number): number {
  return Math.round(ms * 1_000) / 1_000_000;
}

/** A job's latest measurements and its totals, in plain numbers until a scrape reads them. */
interface JobSeries {
  readonly runs: Partial<Record<Run['status'], number>>;
  attempts: number;
  lastRun: number;
  /** From the last run that measured something (not skipped). */
  measured?: { success: number; duration: number; status: number; phases?: Record<(typeof PHASES)[number], number> };
  certificate?: number;
}

/**
 * The Prometheus sink: keeps the latest result of each job in memory and serves it as text
 * exposition on `GET /api/metrics`. Names follow the blackbox exporter (`probe_*`, one series per
 * job, label `job`), so blackbox dashboards work unchanged; `pulsecheck_*` counters add what a
 * blackbox probe does not know (skips, attempts, state changes, the circuit). Memory grows with the
 * number of jobs, not of runs. A run only updates plain per-job numbers; the metrics are filled from
 * them when scraped (prom-client would otherwise hash a label set for each of a run's 13 updates).
 */
export class PrometheusTelemetry implements TelemetrySink, MetricsExposition, HealthContributor {
  readonly name = 'prometheus';
  readonly #prom = promClient();
  readonly #registry = new this.#prom.Registry();
  #lastScrapeAt: number | undefined;
  readonly #clock: Clock;
  readonly #series = new Map<string, JobSeries>();
  readonly #success = this.#gauge('probe_success', 'Whether the last run of the check succeeded (1: up or degraded) or not (0)');
  readonly #duration = this.#gauge('probe_duration_seconds', 'Duration of the last run, all attempts included, in seconds');
  readonly #status = this.#gauge('probe_http_status_code', 'HTTP status of the last response (0: none)');
  readonly #certificate = this.#gauge('probe_ssl_earliest_cert_expiry', 'Expiry of the server certificate, Unix time in seconds');
  readonly #phases = this.#gauge('probe_http_duration_seconds', 'Phases of the last attempt, in seconds', ['job', 'phase']);
  readonly #circuit = this.#gauge('pulsecheck_circuit_state', 'Circuit-breaker state of the job: 1 for the current state', ['job', 'state']);
  readonly #runs = this.#counter('pulsecheck_runs_total', 'Runs by status (up, degraded, down, skipped, error)', ['job', 'status']);
  readonly #attempts = this.#counter('pulsecheck_attempts_total', 'HTTP attempts made, retries included', ['job']);
  readonly #healthChanges = this.#counter('pulsecheck_health_changes_total', 'Changes of the job health, by the health changed to', ['job', 'to']);
  readonly #lastRun = this.#gauge('pulsecheck_last_run_timestamp_seconds', 'When the last run started, Unix time in seconds');
  /** Per priority: checks that passed admission, and checks shed (`overloaded`). */
  readonly #byPriority = new Map<Priority, { started: number; shed: number }>(PRIORITIES.map((p) => [p, { started: 0, shed: 0 }]));
  readonly #started = this.#counter('pulsecheck_checks_started_total', 'Checks that passed admission (got a slot in the bulkhead), by job priority', ['priority']);
  readonly #shed = this.#counter('pulsecheck_checks_shed_total', 'Checks skipped as overloaded (waiting list full, or shed for lateness), by job priority', ['priority']);
  readonly #lateness = new this.#prom.Histogram({
    name: 'pulsecheck_start_lateness_seconds',
    help: 'Scheduled checks (catch-ups excluded): start after admission minus the scheduled instant, in seconds, by job priority',
    labelNames: ['priority'],
    buckets: LATENESS_BUCKETS,
    registers: [this.#registry],
  });

  /** The lateness histogram's series per priority, made on first use: no label hashing per run. */
  readonly #latenessOf = new Map<Priority, ReturnType<Histogram['labels']>>();

  /** `clock` stamps the last scrape, shown in the health detail. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  async expose(): Promise<string> {
    this.#fill();
    const text = await this.#registry.metrics();
    this.#lastScrapeAt = this.#clock.now();
    return text;
  }

  /** Always ok (it is in memory); says when a scraper last read it. */
  health(): ComponentHealth {
    const lastExportAt = this.#lastScrapeAt === undefined ? null : new Date(this.#lastScrapeAt).toISOString();
    return { status: 'ok', detail: lastExportAt ? 'served on GET /api/metrics' : 'served on GET /api/metrics; not scraped yet', configured: true, lastExportAt };
  }

  runCompleted(run: Run, job: Job): void {
    let series = this.#series.get(job.name);
    if (!series) this.#series.set(job.name, (series = { runs: {}, attempts: 0, lastRun: 0 }));
    series.runs[run.status] = (series.runs[run.status] ?? 0) + 1;
    series.attempts += run.attempts;
    series.lastRun = Date.parse(run.startedAt) / 1_000;
    this.#admission(run, job);
    // A skipped run measured nothing: the probe_* series keep the last measured result.
    if (run.status === 'skipped') return;
    const t = run.timings;
    series.measured = {
      success: run.success ? 1 : 0,
      duration: seconds(run.durationMs),
      status: run.httpStatus ?? 0,
      // The blackbox exporter's phases: processing is server time to the first byte, transfer the rest.
      ...(t ? { phases: { resolve: seconds(t.dns), connect: seconds(t.connect), tls: seconds(t.tls), processing: seconds(t.firstByte), transfer: seconds(transferMs(t)) } } : {}),
    };
    if (run.certificateExpiresAt) series.certificate = Date.parse(run.certificateExpiresAt) / 1_000;
  }

  /** The per-priority counts of admission (issue 13, item 4). */
  #admission(run: Run, job: Job): void {
    const counts = this.#byPriority.get(job.priority);
    if (!counts) return;
    const kind = run.status === 'skipped' ? run.error?.kind : undefined;
    if (kind === 'overloaded') counts.shed++;
    if (kind !== undefined && NOT_ADMITTED.has(kind)) return;
    counts.started++;
    if (run.trigger === 'schedule' && !run.catchUp) {
      let lateness = this.#latenessOf.get(job.priority);
      if (!lateness) this.#latenessOf.set(job.priority, (lateness = this.#lateness.labels({ priority: job.priority })));
      lateness.observe(Math.max(0, seconds(Date.parse(run.startedAt) - Date.parse(run.scheduledAt))));
    }
  }

  healthChanged(effect: StateEffect): void {
    this.#healthChanges.inc({ job: effect.job, to: effect.to });
  }

  circuitChanged(job: string, state: CircuitState): void {
    for (const s of CIRCUIT_STATES) this.#circuit.set({ job, state: s }, s === state ? 1 : 0);
  }

  async flush(): Promise<void> {}

  /** Sets every job's series from its numbers (a series, once there, stays, as prom-client keeps it). */
  #fill(): void {
    // The run counters are totals kept here: set afresh from them.
    this.#runs.reset();
    this.#attempts.reset();
    this.#started.reset();
    this.#shed.reset();
    for (const [priority, { started, shed }] of this.#byPriority) {
      this.#started.inc({ priority }, started);
      this.#shed.inc({ priority }, shed);
    }
    for (const [job, series] of this.#series) {
      const labels = { job };
      for (const [status, count] of Object.entries(series.runs)) this.#runs.inc({ job, status }, count);
      this.#attempts.inc(labels, series.attempts);
      this.#lastRun.set(labels, series.lastRun);
      const { measured } = series;
      if (measured) {
        this.#success.set(labels, measured.success);
        this.#duration.set(labels, measured.duration);
        this.#status.set(labels, measured.status);
        if (measured.phases) for (const phase of PHASES) this.#phases.set({ job, phase }, measured.phases[phase]);
      }
      if (series.certificate !== undefined) this.#certificate.set(labels, series.certificate);
    }
  }

  #gauge(name: string, help: string, labelNames: readonly string[] = ['job']): Gauge {
    return new this.#prom.Gauge({ name, help, labelNames, registers: [this.#registry] });
  }

  #counter(name: string, help: string, labelNames: readonly string[]): Counter {
    return new this.#prom.Counter({ name, help, labelNames, registers: [this.#registry] });
  }
}
