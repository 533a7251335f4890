import { randomBytes } from 'node:crypto';
import { vi } from 'vitest';
import type { Clock, Logger, SecretResult, SecretStore, Telemetry } from '../../src/app/ports/index.js';
import type { CircuitState } from '../../src/app/ports/telemetry.js';
import type { Job } from '../../src/domain/job.js';
import type { Run } from '../../src/domain/run.js';
import type { StateEffect } from '../../src/domain/state.js';

/** A clock that only moves when told to; sleepers wake in instant order. */
export class FakeClock implements Clock {
  #sleepers: Array<{ at: number; resolve: () => void }> = [];
  constructor(public t: number) {}

  now(): number {
    return this.t;
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (at <= this.t) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sleeper = { at, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal.reason);
      });
    });
  }

  /** Moves time forward by `ms`, waking each sleeper at its own instant and letting it run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const due = this.#sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      due.resolve();
    }
    this.t = target;
    await settle();
  }
}

/**
 * A clock on vitest's fake timers: `now()`, `Date.now()` and every `setTimeout` (cockatiel's timeouts,
 * backoff delays and breaker, the fake prober's waits) move only when the test moves them, so a check
 * with retries and timeouts runs at once. `install()` in `beforeEach`, `uninstall()` in `afterEach`.
 */
export class FakeTimersClock implements Clock {
  private constructor() {}

  /** Fakes the timers and `Date`, starting at `now` (epoch ms). */
  static install(now = Date.parse('2026-05-01T12:00:00.000Z')): FakeTimersClock {
    vi.useFakeTimers({ now, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    return new FakeTimersClock();
  }

  uninstall(): void {
    vi.useRealTimers();
  }

  now(): number {
    return Date.now();
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, Math.max(0, at - Date.now()));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  }

  /** Moves time forward by `ms`, firing each timer at its own instant and letting what it starts run. */
  async advance(ms: number): Promise<void> {
    await vi.advanceTimersByTimeAsync(ms);
  }

  /** Lets `work` run to its end, moving time from timer to timer as far as it needs; returns its result. */
  async finish<T>(work: Promise<T>): Promise<T> {
    await vi.runAllTimersAsync();
    return work;
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Telemetry that remembers what it was told. */
export class RecordingTelemetry implements Telemetry {
  readonly runs: Run[] = [];
  readonly health: StateEffect[] = [];
  readonly circuits: Array<{ job: string; state: CircuitState }> = [];
  runCompleted(run: Run, _job: Job): void {
    this.runs.push(run);
  }
  healthChanged(effect: StateEffect): void {
    this.health.push(effect);
  }
  circuitChanged(job: string, state: CircuitState): void {
    this.circuits.push({ job, state });
  }
  async flush(): Promise<void> {}
}

/** A logger that keeps records in memory. */
export class MemoryLogger implements Logger {
  readonly records: Array<{ level: string; fields: object; message: string | undefined }> = [];
  debug(fields: object, message?: string) {
    this.records.push({ level: 'debug', fields, message });
  }
  info(fields: object, message?: string) {
    this.records.push({ level: 'info', fields, message });
  }
  warn(fields: object, message?: string) {
    this.records.push({ level: 'warn', fields, message });
  }
  error(fields: object, message?: string) {
    this.records.push({ level: 'error', fields, message });
  }
}

/** A secret store in memory: versions, a switch to fail every read, and a log of reads. */
export class MemorySecretStore implements SecretStore {
  readonly description = 'memory';
  readonly reads: Array<{ name: string; version: string | undefined }> = [];
  /** `unavailable`: every read fails as if the store were down; `hang`: reads never settle. */
  mode: 'up' | 'unavailable' | 'hang' = 'up';
  readonly #versions = new Map<string, Array<{ version: string; value: string }>>();

  /** Adds a version of `name` (it becomes the latest); returns its id (32 hex digits). */
  set(name: string, value: string): string {
    const list = this.#versions.get(name.toLowerCase()) ?? [];
    const version = randomBytes(16).toString('hex');
    list.push({ version, value });
    this.#versions.set(name.toLowerCase(), list);
    return version;
  }

  async get(name: string, version: string | undefined): Promise<SecretResult> {
    this.reads.push({ name, version });
    if (this.mode === 'hang') return new Promise<SecretResult>(() => undefined);
    if (this.mode === 'unavailable') return { ok: false, reason: 'unavailable', message: 'memory store is down' };
    const list = this.#versions.get(name.toLowerCase()) ?? [];
    const found = version === undefined ? list.at(-1) : list.find((v) => v.version === version.toLowerCase());
    return found ? { ok: true, value: found.value } : { ok: false, reason: 'not-found', message: `no secret ${name}` };
  }
}
