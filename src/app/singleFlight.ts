/**
 * Runs `fn` for `key` unless a call for the same key is in flight, in which case its promise is
 * shared: a thousand checks needing the same secret make one read.
 */
export function singleFlight<T>(pending: Map<string, Promise<T>>, key: string, fn: () => Promise<T>): Promise<T> {
  let promise = pending.get(key);
  if (!promise) {
    promise = fn().finally(() => pending.delete(key));
    pending.set(key, promise);
  }
  return promise;
}
