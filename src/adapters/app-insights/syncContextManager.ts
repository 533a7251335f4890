import type { Context, ContextManager } from '@opentelemetry/api';

/**
 * An OpenTelemetry context manager for synchronous scopes only: `with(context, fn)` makes `context`
 * active while `fn` runs and restores the previous one when it returns; nothing follows callbacks
 * or promises. The Application Insights sink needs no more: it sets a run's trace context around
 * the synchronous `trackAvailability` call, whose log record reads it at once. An
 * `AsyncLocalStorage` manager would do the same work at the cost of an `AsyncLocalStorage.run` per
 * run and, on Node 22 without `--experimental-async-context-frame`, a promise hook on every promise
 * of the process.
 *
 * `root` is the context returned when none is active (`ROOT_CONTEXT` of `@opentelemetry/api`).
 */
export class SyncContextManager implements ContextManager {
  readonly #root: Context;
  #active: Context;

  constructor(root: Context) {
    this.#root = root;
    this.#active = root;
  }

  active(): Context {
    return this.#active;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    const previous = this.#active;
    this.#active = context;
    try {
      return fn.apply(thisArg, args);
    } finally {
      this.#active = previous;
    }
  }

  /** A function bound to `context` runs in it; other targets (event emitters) are returned as they are. */
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (this: unknown, ...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper keeps its caller's `this` for `fn`
    const manager = this;
    return function bound(this: unknown, ...args: unknown[]): unknown {
      return manager.with(context, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#active = this.#root;
    return this;
  }
}
