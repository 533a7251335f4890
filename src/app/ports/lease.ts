/**
 * A lease on one named lock shared by every instance of the app: what the Functions host takes for
 * a timer function (a blob lease, `azure-webjobs-hosts/locks/<hostId>/Host.Functions.<name>.Listener`),
 * so that one instance runs the schedule. The local host takes the same.
 */
export interface Lease {
  /** Where the lock lives, for logs (e.g. the blob's path). */
  readonly name: string;
  /** Takes the lease if no instance holds it. `true`: this instance holds it now. Never throws. */
  acquire(): Promise<boolean>;
  /**
   * Extends the lease by its period. `lost`: another instance holds it now (or the lock is gone),
   * so the holder must stop acting on it. `unreachable`: storage did not answer, so nobody knows;
   * an instance that cannot reach storage cannot take the lease either. Never throws.
   */
  renew(): Promise<Renewal>;
  /** Gives the lease up, so another instance takes it at once. Never throws. */
  release(): Promise<void>;
}

/** What a renewal found: see `Lease.renew`. */
export type Renewal = 'renewed' | 'lost' | 'unreachable';

/** Makes the leases of one app (one host id). */
export interface LeaseProvider {
  /**
   * The lease of a timer function's listener lock.
   * @param functionName the function's name in the registry, e.g. `dispatcher`
   * @param periodMs how long the lease lasts unless renewed, in ms (15 000 to 60 000, a blob lease's range)
   */
  listenerLease(functionName: string, periodMs: number): Lease;
}
