/** The health of one dependency or part of the app, as `/api/health` shows it. */
export interface ComponentHealth {
  /** `degraded`: it works with reduced guarantees (e.g. cached secrets); `down`: it does not work. */
  readonly status: 'ok' | 'degraded' | 'down';
  /** One human sentence, never a secret. */
  readonly detail: string;
  /** Extra facts for operators (e.g. last successful export), JSON-serialisable. */
  readonly [fact: string]: unknown;
}

/** Something that reports its health: the store, the secret store, a telemetry sink. */
export interface HealthContributor {
  /** Key under `checks` in `/api/health`, e.g. `storage`, `secrets`, `appInsights`. */
  readonly name: string;
  health(): Promise<ComponentHealth> | ComponentHealth;
}
