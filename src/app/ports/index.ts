export type { Clock } from './clock.js';
export type { ProbeRequest, Prober } from './prober.js';
export type { CircuitStateStore, DispatcherStateStore, JobStateStore, RunStore, StateStore } from './stores.js';
export type { CircuitState, Logger, Telemetry } from './telemetry.js';
export type { JobCatalog } from './catalog.js';
export type { ComponentHealth, HealthContributor } from './health.js';
export type { SecretFailure, SecretResult, SecretStore } from './secrets.js';
export type { AccessToken, ClientCredentialsGrant, ManagedIdentityTokens, OAuth2Client, TokenResult } from './tokens.js';
