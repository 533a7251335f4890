import {
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  isBrokenCircuitError,
  isTaskCancelledError,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { splitPem, type SecretRef } from '../domain/auth.js';
import type { Job } from '../domain/job.js';
import type { Clock, ComponentHealth, HealthContributor, JobCatalog, SecretResult, SecretStore } from './ports/index.js';
import { singleFlight } from './singleFlight.js';

export interface SecretResolverOptions {
  /** How long a value is used before it is read again, in ms. Default 300 000 (5 minutes). */
  readonly ttlMs?: number;
  /** Longest wait for one read, in ms; a slower store counts as unavailable. Default 5 000. */
  readonly timeoutMs?: number;
  /** Consecutive unavailable reads that open the store's circuit breaker. Default 5. */
  readonly failureThreshold?: number;
  /** How long an open breaker fails reads at once before letting one through, in ms. Default 30 000. */
  readonly halfOpenAfterMs?: number;
  /** Names of settings holding a Key Vault reference the platform could not resolve: health reports them. */
  readonly unresolvedSettings?: readonly string[];
}

/** A secret's value, or why it is unavailable (a message naming the secret, never a value). */
export type Resolution = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

interface Entry {
  readonly value: string;
  readonly readAt: number;
}

/**
 * Resolves secret references through the store: values are cached for a TTL; when the store is down
 * or slow the last good value is used (and health says `degraded`); reads go through a timeout and
 * a circuit breaker of their own, so an outage does not stall every check; concurrent reads of one
 * secret are shared.
 */
export class SecretResolver implements HealthContributor {
  readonly name = 'secrets';
  readonly #cache = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<SecretResult>>();
  /** Secrets whose last read failed, with what the store said. */
  readonly #failing = new Map<string, { readonly id: string; readonly message: string }>();
  readonly #breaker: CircuitBreakerPolicy;
  readonly #policy: IPolicy;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #unresolvedSettings: readonly string[];

  constructor(
    readonly store: SecretStore,
    readonly clock: Clock,
    options: SecretResolverOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#unresolvedSettings = options.unresolvedSettings ?? [];
    // Only "did not answer" counts (an error, a timeout): a missing secret or a refusal is an answer.
    const unanswered = handleType(TaskCancelledError).orWhenResult((r) => (r as SecretResult).ok === false && (r as { reason: string }).reason === 'unavailable');
    this.#breaker = circuitBreaker(unanswered, {
      halfOpenAfter: options.halfOpenAfterMs ?? 30_000,
      breaker: new ConsecutiveBreaker(options.failureThreshold ?? 5),
    });
    // Aggressive: a credential that ignores the abort signal must not hold the check.
    this.#policy = wrap(this.#breaker, timeout(this.#timeoutMs, TimeoutStrategy.Aggressive));
  }

  /**
   * The value of `ref`: from the cache while it is younger than the TTL (unless `refresh`), else read
   * from the store; if that read fails, the last good value, if any.
   */
  async resolve(ref: SecretRef, refresh = false): Promise<Resolution> {
    const key = cacheKey(ref);
    const cached = this.#cache.get(key);
    if (cached && !refresh && this.clock.now() - cached.readAt < this.#ttlMs) return { ok: true, value: cached.value };
    const read = await this.#read(ref, key);
    if (read.ok) return read;
    if (cached) return { ok: true, value: cached.value };
    return { ok: false, message: `secret "${ref.id}" is unavailable: ${read.message}` };
  }

  /** Reads `ref` from the store now, without falling back to a cached value (`validate --secrets`). */
  async verify(ref: SecretRef): Promise<Resolution> {
    const read = await this.#read(ref, cacheKey(ref));
    return read.ok ? read : { ok: false, message: read.message };
  }

  health(): ComponentHealth {
    const facts = { store: this.store.description, cached: this.#cache.size, ttlSeconds: this.#ttlMs / 1_000 };
    const problems: string[] = [];
    if (this.#unresolvedSettings.length > 0) {
      problems.push(`settings ${this.#unresolvedSettings.join(', ')} hold Key Vault references the platform could not resolve`);
    }
    if (this.#breaker.state === CircuitState.Open) problems.push(`${this.store.description} is not answering: reads are paused`);
    for (const [key, { id, message }] of this.#failing) {
      problems.push(`"${id}": ${message}${this.#cache.has(key) ? ' (using the last good value)' : ''}`);
    }
    return problems.length > 0
      ? { status: 'degraded', detail: problems.join('; '), ...facts }
      : { status: 'ok', detail: `${this.store.description}: ${this.#cache.size} secret${this.#cache.size === 1 ? '' : 's'} cached`, ...facts };
  }

  #read(ref: SecretRef, key: string): Promise<SecretResult> {
    return singleFlight(this.#pending, key, async () => {
      const result = await this.#guarded(ref);
      if (result.ok) {
        this.#cache.set(key, { value: result.value, readAt: this.clock.now() });
        this.#failing.delete(key);
      } else {
        this.#failing.set(key, { id: ref.id, message: result.message });
      }
      return result;
    });
  }

  async #guarded(ref: SecretRef): Promise<SecretResult> {
    try {
      return (await this.#policy.execute(({ signal }) => this.store.get(ref.name, ref.version, signal))) as SecretResult;
    } catch (error) {
      const message = isBrokenCircuitError(error)
        ? `${this.store.description} is not answering (reads paused after repeated failures)`
        : isTaskCancelledError(error)
          ? `${this.store.description} did not answer within ${this.#timeoutMs} ms`
          : `reading from ${this.store.description} failed: ${(error as Error).message}`;
      return { ok: false, reason: 'unavailable', message };
    }
  }
}

/** Key Vault names are case-insensitive. */
const cacheKey = (ref: SecretRef) => (ref.version === undefined ? ref.name : `${ref.name}/${ref.version}`).toLowerCase();

/** Whether one referenced secret resolves (`pulsecheck validate --secrets`). */
export interface SecretCheck {
  /** `name` or `name/version`. */
  readonly secret: string;
  /** The jobs that reference it. */
  readonly jobs: readonly string[];
  readonly ok: boolean;
  /** Why not (names the secret, never a value). */
  readonly message?: string;
}

/**
 * `pulsecheck validate --secrets`: every secret the catalog's jobs reference, read fresh (see
 * `checkSecrets`); `store` names where from.
 */
export async function checkCatalogSecrets(catalog: JobCatalog, resolver: SecretResolver): Promise<{ store: string; secrets: SecretCheck[] }> {
  return { store: resolver.store.description, secrets: await checkSecrets(await catalog.list(), resolver) };
}

/**
 * Reads every secret the jobs reference, fresh from the store; a client certificate must also hold
 * a PEM certificate and key.
 */
export async function checkSecrets(jobs: readonly Job[], resolver: SecretResolver): Promise<SecretCheck[]> {
  const used = new Map<string, { ref: SecretRef; jobs: string[]; certificate: boolean }>();
  for (const job of jobs) {
    for (const ref of job.secrets) {
      const entry = used.get(ref.id) ?? { ref, jobs: [], certificate: false };
      if (!entry.jobs.includes(job.name)) entry.jobs.push(job.name);
      entry.certificate ||= job.auth.type === 'clientCertificate' && job.auth.secret.id === ref.id;
      used.set(ref.id, entry);
    }
  }
  return Promise.all(
    [...used.values()].map(async ({ ref, jobs: names, certificate }) => {
      const result = await resolver.verify(ref);
      const message = !result.ok
        ? result.message
        : certificate && !splitPem(result.value)
          ? 'does not hold a PEM certificate and its private key'
          : undefined;
      return { secret: ref.id, jobs: names, ok: message === undefined, ...(message === undefined ? {} : { message }) };
    }),
  );
}
