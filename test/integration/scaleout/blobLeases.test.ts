import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobLeases, HOSTS_CONTAINER } from '../../../src/adapters/blob-lease/blobLeases.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { MemoryLogger } from '../../support/fakes.js';

/** The timers' listener locks on Azurite, as two instances of one app see them. */
describe('BlobLeases (Azurite)', () => {
  let azurite: RunningAzurite;
  beforeAll(async () => {
    azurite = await acquireAzurite();
  });
  afterAll(releaseAzurite);

  const instance = (hostId: string) => new BlobLeases({ connection: { connectionString: azurite.connectionString }, hostId, logger: new MemoryLogger() });

  it('lets one instance hold a lock; the other takes it once released', async () => {
    const hostId = uniquePrefix('h').toLowerCase();
    const a = instance(hostId).listenerLease('dispatcher', 15_000);
    const b = instance(hostId).listenerLease('dispatcher', 15_000);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await a.renew()).toBe('renewed');
    expect(await b.renew()).toBe('lost');
    await a.release();
    expect(await b.acquire()).toBe(true);
    expect(await a.renew()).toBe('lost');
    expect(await a.acquire()).toBe(false);
    await b.release();
  });

  it('lays the lock out as the Functions host does: azure-webjobs-hosts/locks/<hostId>/Host.Functions.<name>.Listener', async () => {
    const hostId = uniquePrefix('h').toLowerCase();
    const lease = instance(hostId).listenerLease('retention', 15_000);
    expect(await lease.acquire()).toBe(true);
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(HOSTS_CONTAINER)
      .getBlobClient(`locks/${hostId}/Host.Functions.retention.Listener`);
    const properties = await blob.getProperties();
    expect(properties.leaseState).toBe('leased');
    expect(properties.leaseDuration).toBe('fixed');
    expect(lease.name).toBe(`${HOSTS_CONTAINER}/locks/${hostId}/Host.Functions.retention.Listener`);
    await lease.release();
    expect((await blob.getProperties()).leaseState).toBe('available');
  });

  it('keeps apps (host ids) and functions apart', async () => {
    const one = instance(uniquePrefix('h').toLowerCase());
    const other = instance(uniquePrefix('h').toLowerCase());
    const leases = [one.listenerLease('dispatcher', 15_000), one.listenerLease('retention', 15_000), other.listenerLease('dispatcher', 15_000)];
    expect(await Promise.all(leases.map((lease) => lease.acquire()))).toEqual([true, true, true]);
    await Promise.all(leases.map((lease) => lease.release()));
  });

  it('answers false (acquire) and unreachable (renew), never throws, when storage is unreachable, and logs it once', async () => {
    const logger = new MemoryLogger();
    const down = new BlobLeases({
      connection: { connectionString: azurite.connectionString.replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'BlobEndpoint=http://127.0.0.1:9') },
      hostId: 'down',
      logger,
    }).listenerLease('dispatcher', 15_000);
    expect(await down.acquire()).toBe(false);
    expect(await down.acquire()).toBe(false);
    expect(await down.renew()).toBe('unreachable');
    expect(logger.records.filter((r) => r.level === 'warn')).toHaveLength(1);
  }, 60_000);
});
