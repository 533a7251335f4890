import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type * as Resources from '@opentelemetry/resources';
import type * as AppInsights from 'applicationinsights';
import type { CircuitState, Clock, ComponentHealth, HealthContributor, TelemetrySink, TraceContext } from '../../app/ports/index.js';
import type { AlertEvent } from '../../domain/alerting/event.js';
import type { Job } from '../../domain/job.js';
import { failedConditions, failedDegraded } from '../../domain/outcome.js';
import type { Run } from '../../domain/run.js';
import type { StateEffect } from '../../domain/state.js';
import { SyncContextManager } from './syncContextManager.js';

export interface AppInsightsOptions {
  readonly connectionString: string;
  /** `cloud_RoleName` of everything sent. Default `pulsecheck`. */
  readonly roleName?: string;
  readonly version?: string;
  /** Stamps the health facts (last export, last failure). */
  readonly clock: Clock;
}

/** The names in Application Insights: the custom events and the metric. */
export const APP_INSIGHTS_NAMES = {
  healthEvent: 'PulsecheckHealthChanged',
  circuitEvent: 'PulsecheckCircuitChanged',
  alertEvent: 'PulsecheckAlert',
  durationMetric: 'pulsecheck.check.duration',
} as const;

// The SDK (and the OpenTelemetry packages under it) is loaded when the sink is built, not when this
// module is imported: with the sink off it would cost tens of MB for nothing. All are CommonJS.
const require = createRequire(import.meta.url);

const MAX_MESSAGE = 256;
const DAY_MS = 86_400_000;
/** Attribute sets of the duration metric kept before the cache starts over (jobs × statuses; a bound, not a working set). */
const MAX_CACHED_ATTRIBUTES = 50_000;

/**
 * The SDK's own meter, behind a member its typings call private: `trackMetric` creates a histogram
 * instrument through it on every call (a new descriptor, looked up among the meter's views and
 * storages each time) and copies every attribute into a new object. Read once; when a later SDK
 * renames it, `trackMetric` is used as before.
 */
interface ClientWithMeter {
  readonly _getMeterInstance?: () => Meter;
}

/**
 * The Application Insights sink (`applicationinsights` 3, an OpenTelemetry pipeline): one
 * availability result per measured run, so checks show in the portal's Availability view and in
 * `AppAvailabilityResults`; custom events for health changes and circuit transitions; a duration
 * metric. A traced run's result is emitted inside its trace, so its operation id is the Datadog
 * trace id. The client is isolated (`useGlobalProviders: false`): it collects nothing on its own
 * (the Functions host already records invocations) and patches no module. Its exporters batch in
 * bounded queues (2 048 records) and send in the background; `flush` sends what is queued.
 */
export class AppInsightsTelemetry implements TelemetrySink, HealthContributor {
  readonly name = 'appInsights';
  readonly #client: AppInsights.TelemetryClient;
  readonly #otel: typeof OtelApi;
  /** `pulsecheck.check.duration`, created once; `undefined` when the SDK does not give its meter. */
  readonly #duration: Histogram | undefined;
  /** The duration metric's attributes by job and status, as `trackMetric` would build them for each run. */
  readonly #durationAttributes = new Map<string, Attributes>();
  #lastExportAt: number | undefined;
  readonly #clock: Clock;
  #lastFailure: { at: number; reason: string } | undefined;

  constructor(options: AppInsightsOptions) {
    this.#clock = options.clock;
    const { TelemetryClient } = require('applicationinsights') as typeof AppInsights;
    const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
    this.#otel = require('@opentelemetry/api') as typeof OtelApi;
    // The client reads ai.operation.id from the active OpenTelemetry context, which needs a context
    // manager; an isolated client registers none. It is only set around the synchronous emit calls
    // below, so a synchronous one is enough (see SyncContextManager).
    this.#otel.context.setGlobalContextManager(new SyncContextManager(this.#otel.ROOT_CONTEXT).enable());
    this.#client = new TelemetryClient(options.connectionString, { useGlobalProviders: false });
    this.#client.config.azureMonitorOpenTelemetryOptions = {
      resource: defaultResource().merge(
        resourceFromAttributes({
          'service.name': options.roleName ?? 'pulsecheck',
          // The exporter's cloud_RoleInstance: without it, the exporter asks the OS for the host name
          // for every record it converts (a system call per record, about a tenth of this sink's cost).
          'service.instance.id': hostname(),
          ...(options.version ? { 'service.version': options.version } : {}),
        }),
      ),
      azureMonitorExporterOptions: {
        connectionString: options.connectionString,
        // Sees every export's answer (no other signal tells whether telemetry arrives: failed
        // batches are retried from disk and reported to the SDK as handled).
        additionalPolicies: [{ policy: { name: 'pulsecheckExportHealth', sendRequest: (request, next) => this.#observe(request, next) }, position: 'perCall' }],
      },
    };
    this.#client.initialize();
    this.#duration = durationHistogram(this.#client);
  }

  runCompleted(run: Run, job: Job, trace?: TraceContext): void {
    // A skipped run measured nothing: it is not an availability result.
    if (run.status === 'skipped') return;
    const t = run.timings;
    const failed = failedConditions(job.conditions, run.conditions);
    const emit = () =>
      this.#client.trackAvailability({
        id: run.runId,
        name: run.job,
        duration: run.durationMs,
        success: run.success,
        runLocation: run.location,
        message: reason(run),
        properties: {
          ...job.tags,
          runId: run.runId,
          trigger: run.trigger,
          status: run.status,
          httpStatus: run.httpStatus === null ? '' : String(run.httpStatus),
          attempts: String(run.attempts),
          failedConditions: failed.join('; '),
          failedDegradedConditions: failedDegraded(run.conditions).join('; '),
          maintenance: String(run.maintenance === true),
          errorKind: run.error?.kind ?? '',
          scheduledAt: run.scheduledAt,
        },
        measurements: {
          ...(t ? { dnsMs: t.dns, connectMs: t.connect, tlsMs: t.tls, firstByteMs: t.firstByte, totalMs: t.total } : {}),
          ...(run.certificateExpiresAt
            ? { certificateDaysLeft: Math.round(((Date.parse(run.certificateExpiresAt) - Date.parse(run.startedAt)) / DAY_MS) * 10) / 10 }
            : {}),
        },
      });
    if (trace) {
      const { ROOT_CONTEXT, TraceFlags, context, trace: otelTrace } = this.#otel;
      const spanContext = { traceId: trace.traceId, spanId: trace.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
      context.with(otelTrace.setSpanContext(ROOT_CONTEXT, spanContext), emit);
    } else {
      emit();
    }
    this.#recordDuration(run);
  }

  /** What `trackMetric` records (same meter, instrument and attributes), without a new instrument per run. */
  #recordDuration(run: Run): void {
    if (!this.#duration) {
      this.#client.trackMetric({ name: APP_INSIGHTS_NAMES.durationMetric, value: run.durationMs, properties: { job: run.job, status: run.status } });
      return;
    }
    const key = `${run.job}\n${run.status}`;
    let attributes = this.#durationAttributes.get(key);
    if (!attributes) {
      if (this.#durationAttributes.size >= MAX_CACHED_ATTRIBUTES) this.#durationAttributes.clear();
      // trackMetric's order: the properties, then the client's common properties and context tags.
      attributes = { job: run.job, status: run.status, ...this.#client.commonProperties, ...this.#client.context.tags };
      this.#durationAttributes.set(key, attributes);
    }
    this.#duration.record(run.durationMs, attributes);
  }

  healthChanged(effect: StateEffect): void {
    this.#client.trackEvent({
      name: APP_INSIGHTS_NAMES.healthEvent,
      properties: { job: effect.job, from: effect.from, to: effect.to, runId: effect.run.runId, reason: reason(effect.run) },
    });
  }

  circuitChanged(job: string, state: CircuitState): void {
    this.#client.trackEvent({ name: APP_INSIGHTS_NAMES.circuitEvent, properties: { job, state } });
  }

  alertEvent(event: AlertEvent, channels: readonly string[]): void {
    const { data } = event;
    const properties = {
      type: event.type,
      eventId: event.id,
      alertId: data.alertId,
      job: data.job,
      status: data.status,
      since: data.since,
      failures: String(data.failures),
      location: data.location,
      runId: data.run.runId,
      channels: channels.join(','),
      ...(data.downForMs === undefined ? {} : { downForMs: String(data.downForMs) }),
      ...(data.dependents ? { dependents: data.dependents.join(',') } : {}),
    };
    this.#client.trackEvent({ name: APP_INSIGHTS_NAMES.alertEvent, properties });
  }

  flush(): Promise<void> {
    return this.#client.flush();
  }

  close(): Promise<void> {
    return this.#client.shutdown();
  }

  /** `down` when the last export failed; `ok` otherwise, with the last successful export. */
  health(): ComponentHealth {
    const lastExportAt = this.#lastExportAt === undefined ? null : new Date(this.#lastExportAt).toISOString();
    const failure = this.#lastFailure;
    if (failure && (this.#lastExportAt === undefined || failure.at > this.#lastExportAt)) {
      return { status: 'down', detail: `the last export failed: ${failure.reason}`, configured: true, lastExportAt, lastFailureAt: new Date(failure.at).toISOString() };
    }
    return { status: 'ok', detail: lastExportAt ? 'exporting' : 'nothing exported yet', configured: true, lastExportAt };
  }

  /** A pipeline policy of the Azure SDK client that sends the telemetry (`sendRequest`). */
  async #observe<Request, Response extends { readonly status: number }>(request: Request, next: (request: Request) => Promise<Response>): Promise<Response> {
    try {
      const response = await next(request);
      if (response.status >= 200 && response.status < 300) this.#lastExportAt = this.#clock.now();
      else this.#lastFailure = { at: this.#clock.now(), reason: `ingestion answered HTTP ${response.status}` };
      return response;
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      this.#lastFailure = { at: this.#clock.now(), reason: code ?? message ?? 'request failed' };
      throw error;
    }
  }
}

/** The duration histogram on the SDK's own meter, or `undefined` when this SDK does not give it. */
function durationHistogram(client: AppInsights.TelemetryClient): Histogram | undefined {
  try {
    return (client as unknown as ClientWithMeter)._getMeterInstance?.().createHistogram(APP_INSIGHTS_NAMES.durationMetric);
  } catch {
    return undefined;
  }
}

/** The short reason of a run: what failed, or `up`. */
function reason(run: Run): string {
  const degraded = run.status === 'degraded' ? `: ${failedDegraded(run.conditions).join('; ')}` : '';
  const text = run.error ? `${run.error.kind}: ${run.error.message}` : `${run.status}${run.httpStatus === null ? '' : ` ${run.httpStatus}`}${degraded}`;
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text;
}
