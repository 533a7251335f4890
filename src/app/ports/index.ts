export type { Clock } from './clock.js';
export type { ProbeRequest, Prober } from './prober.js';
export type { CircuitStateStore, DispatcherStateStore, JobStateStore, RunStore, StateStore } from './stores.js';
export type { CircuitState, Logger, Telemetry, TelemetrySink } from './telemetry.js';
export type { JobCatalog } from './catalog.js';
export type { ComponentHealth, HealthContributor } from './health.js';
export type { TraceContext, TracedRun, Tracing } from './tracing.js';
export type { MetricsExposition } from './metrics.js';
