import { get } from 'node:http';
import type { CircuitState, Clock, ComponentHealth, HealthContributor, TelemetrySink } from '../../app/ports/index.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { Job } from '../../domain/job.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';
import { transferMs } from '../../domain/timings.js';
import type { Tracer } from './tracer.js';

/** DogStatsD metric names. */
export const DATADOG_METRICS = {
  duration: 'pulsecheck.check.duration',
  runs: 'pulsecheck.check.runs',
  attempts: 'pulsecheck.check.attempts',
  phase: 'pulsecheck.check.phase_duration',
  healthChanges: 'pulsecheck.check.health_changes',
  circuit: 'pulsecheck.circuit.state',
  alerts: 'pulsecheck.alert.events',
} as const;

/** `pulsecheck.circuit.state` values. */
const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

/** The phases of `pulsecheck.check.phase_duration`, in the order sent. */
const PHASES = ['dns', 'connect', 'tls', 'first_byte', 'transfer'] as const;
/** Tag lists kept before the cache starts over (jobs × statuses × triggers; a bound, not a working set). */
const MAX_CACHED_TAGS = 50_000;

/** How long an agent probe's answer is reused, and how long a probe may take, in ms. */
const PROBE_CACHE_MS = 10_000;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * The Datadog metrics sink: DogStatsD distributions through dd-trace's client (buffered, sent by UDP
 * every 10 s and on flush): `pulsecheck.check.duration` (ms), `pulsecheck.check.runs` (1 per run)
 * and `pulsecheck.check.attempts`, tagged `job`, `status`, `location`, `trigger`;
 * `pulsecheck.check.phase_duration` (ms, tagged `job`, `phase`: dns, connect, tls, first_byte,
 * transfer, of the final attempt); a count of health
 * changes and a `pulsecheck.circuit.state` gauge (0 closed, 1 half-open, 2 open, 3 isolated). Spans
 * come from {@link DatadogTracing}. Health: whether the agent answers (dd-trace does not report
 * whether its sends arrive).
 */
export class DatadogTelemetry implements TelemetrySink, HealthContributor {
  readonly name = 'datadog';
  readonly #tracer: Tracer;
  readonly #agentUrl: string;
  readonly #clock: Clock;
  #lastContactAt: number | undefined;
  #probe: { at: number; result: Promise<string | undefined> } | undefined;
  /**
   * Tag lists in dd-trace's own form (`name:value` strings), by what they are made of: dd-trace
   * would otherwise turn an object into a new list for each of a run's eight metrics.
   */
  readonly #tags = new Map<string, string[]>();
  readonly #phaseTags = new Map<string, readonly string[][]>();

  constructor(tracer: Tracer, agentUrl: string, clock: Clock) {
    this.#tracer = tracer;
    this.#agentUrl = agentUrl;
    this.#clock = clock;
  }

  runCompleted(run: Run, _job: Job): void {
    const tags = this.#runTags(run);
    const { dogstatsd } = this.#tracer;
    dogstatsd.distribution(DATADOG_METRICS.duration, run.durationMs, tags);
    dogstatsd.distribution(DATADOG_METRICS.runs, 1, tags);
    dogstatsd.distribution(DATADOG_METRICS.attempts, run.attempts, tags);
    const t = run.timings;
    if (!t || run.status === 'skipped') return;
    const [dns, connect, tls, firstByte, transfer] = this.#phaseTagsOf(run.job) as [string[], string[], string[], string[], string[]];
    dogstatsd.distribution(DATADOG_METRICS.phase, t.dns, dns);
    dogstatsd.distribution(DATADOG_METRICS.phase, t.connect, connect);
    dogstatsd.distribution(DATADOG_METRICS.phase, t.tls, tls);
    dogstatsd.distribution(DATADOG_METRICS.phase, t.firstByte, firstByte);
    dogstatsd.distribution(DATADOG_METRICS.phase, transferMs(t), transfer);
  }

  #runTags(run: Run): string[] {
    const key = `${run.job}\n${run.status}\n${run.location}\n${run.trigger}`;
    let tags = this.#tags.get(key);
    if (!tags) {
      if (this.#tags.size >= MAX_CACHED_TAGS) this.#tags.clear();
      tags = [`job:${run.job}`, `status:${run.status}`, `location:${run.location}`, `trigger:${run.trigger}`];
      this.#tags.set(key, tags);
    }
    return tags;
  }

  #phaseTagsOf(job: string): readonly string[][] {
    let tags = this.#phaseTags.get(job);
    if (!tags) {
      if (this.#phaseTags.size >= MAX_CACHED_TAGS) this.#phaseTags.clear();
      tags = PHASES.map((phase) => [`job:${job}`, `phase:${phase}`]);
      this.#phaseTags.set(job, tags);
    }
    return tags;
  }

  healthChanged(effect: StateEffect): void {
    this.#tracer.dogstatsd.increment(DATADOG_METRICS.healthChanges, 1, { job: effect.job, from: effect.from, to: effect.to });
  }

  circuitChanged(job: string, state: CircuitState): void {
    this.#tracer.dogstatsd.gauge(DATADOG_METRICS.circuit, CIRCUIT_VALUE[state], { job, state });
  }

  /** A count per alert event; the event itself reaches Datadog as the log line (`event: "alert"`). */
  alertEvent(event: AlertEvent): void {
    this.#tracer.dogstatsd.increment(DATADOG_METRICS.alerts, 1, { job: event.data.job, type: event.type });
  }

  async flush(): Promise<void> {
    this.#tracer.dogstatsd.flush();
  }

  async health(): Promise<ComponentHealth> {
    const now = this.#clock.now();
    if (!this.#probe || now - this.#probe.at > PROBE_CACHE_MS) this.#probe = { at: now, result: this.#reachAgent() };
    const failure = await this.#probe.result;
    const lastExportAt = this.#lastContactAt === undefined ? null : new Date(this.#lastContactAt).toISOString();
    const facts = { configured: true, agentUrl: this.#agentUrl, lastExportAt };
    return failure
      ? { status: 'down', detail: `the Datadog agent does not answer: ${failure}`, ...facts }
      : { status: 'ok', detail: 'the Datadog agent answers', ...facts };
  }

  /** GET /info on the agent; resolves with the reason it failed, or `undefined`. */
  #reachAgent(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const request = get(`${this.#agentUrl}/info`, { timeout: PROBE_TIMEOUT_MS }, (response) => {
        response.resume();
        if (response.statusCode === 200) this.#lastContactAt = this.#clock.now();
        resolve(response.statusCode === 200 ? undefined : `HTTP ${response.statusCode}`);
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
      request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  }
}
