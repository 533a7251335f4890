export type { Clock } from './clock.js';
export type { ProbeRequest, Prober } from './prober.js';
export type { AuditStore, CircuitStateStore, DispatcherStateStore, JobStateStore, RunStore, StateStore } from './stores.js';
export type { CircuitState, Logger, Telemetry } from './telemetry.js';
export type { ConfigJobSource, JobCatalog } from './catalog.js';
export type { ComponentHealth, HealthContributor } from './health.js';
export type { JobRepository, StoredJob } from './jobs.js';
