import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../src/adapters/system-clock/systemClock.js';
import { isPermanent, statusOf } from '../../../src/adapters/table-store/entities.js';
import { Tables } from '../../../src/adapters/table-store/tables.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { closedPort, startServer } from '../../support/servers.js';
import { tableConnectionAt } from '../../support/tableStores.js';


let azurite: RunningAzurite;
const open = (connectionString = azurite.connectionString, maxRetries?: number) =>
  new Tables({ connection: { connectionString }, prefix: uniquePrefix('batch'), names: ['T'], clock: new SystemClock(), ...(maxRetries === undefined ? {} : { maxRetries }) });

beforeAll(async () => {
  azurite = await acquireAzurite();
});
afterAll(async () => {
  await releaseAzurite();
});

/** Transactions written by the store itself (batch.ts), not by the SDK: what the SDK's did, they do. */
describe('Table transactions', () => {
  it('store every kind of action, keys with quotes and reserved characters, and typed properties as the SDK reads them back', async () => {
    const tables = open();
    const rowKey = "it's|a b%+é";
    await tables.submit('T', [
      ['upsert', { partitionKey: 'p', rowKey, at: new Date(Date.UTC(2026, 0, 2)), count: 3, ratio: 1.5, total: { value: '12.5', type: 'Double' }, flag: true, text: 'é"\n' }, 'Replace'],
      ['upsert', { partitionKey: 'p', rowKey: 'merged', a: 'one' }, 'Merge'],
      ['create', { partitionKey: 'p', rowKey: 'created', n: 1 }],
    ]);
    await tables.submit('T', [['upsert', { partitionKey: 'p', rowKey: 'merged', b: 'two' }, 'Merge']]);
    const rows = await tables.query('T', "PartitionKey eq 'p'");
    const byKey = new Map(rows.map((row) => [row.rowKey, row]));
    expect(byKey.get(rowKey)).toMatchObject({ count: 3, ratio: 1.5, total: 12.5, flag: true, text: 'é"\n' });
    expect(new Date(String(byKey.get(rowKey)?.at)).toISOString()).toBe('2026-01-02T00:00:00.000Z');
    expect(byKey.get('merged')).toMatchObject({ a: 'one', b: 'two' });

    const etag = byKey.get('merged')?.etag as string;
    await tables.submit('T', [
      ['update', { partitionKey: 'p', rowKey: 'merged', a: 'three' }, 'Replace', { etag }],
      ['delete', { partitionKey: 'p', rowKey: 'created' }],
    ]);
    const after = await tables.query('T', "PartitionKey eq 'p'");
    expect(after.map((row) => row.rowKey).sort()).toEqual([rowKey, 'merged'].sort());
    expect(after.find((row) => row.rowKey === 'merged')).not.toHaveProperty('b');
  });

  it("fail as a whole with the failed action's status: 409 for a create that exists, 412 for a changed ETag, 404 for nothing to delete", async () => {
    const tables = open();
    await tables.submit('T', [['create', { partitionKey: 'p', rowKey: 'x', n: 1 }]]);
    const failure = (actions: Parameters<Tables['submit']>[1]) => tables.submit('T', actions).then(() => undefined, (error: unknown) => error);
    expect(statusOf(await failure([['create', { partitionKey: 'p', rowKey: 'y', n: 1 }], ['create', { partitionKey: 'p', rowKey: 'x', n: 2 }]]))).toBe(409);
    expect((await tables.query('T', "PartitionKey eq 'p'")).map((row) => row.rowKey)).toEqual(['x']);
    const [row] = await tables.query('T', "PartitionKey eq 'p'");
    await tables.submit('T', [['upsert', { partitionKey: 'p', rowKey: 'x', n: 3 }, 'Replace']]);
    expect(statusOf(await failure([['update', { partitionKey: 'p', rowKey: 'x', n: 4 }, 'Replace', { etag: row?.etag as string }]]))).toBe(412);
    expect(statusOf(await failure([['delete', { partitionKey: 'p', rowKey: 'none' }]]))).toBe(404);
  });

  it('are retried by the SDK when the service fails (503), and fail as transient: health sees storage down', async () => {
    const batches: string[] = [];
    // Creates tables; fails every transaction.
    const service = await startServer((req, res) => {
      if (req.url?.endsWith('/$batch')) {
        batches.push(req.headers.authorization ?? '');
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"odata.error":{"code":"ServerBusy","message":{"value":"busy"}}}');
      } else res.writeHead(204).end();
    });
    try {
      const tables = open(tableConnectionAt(service.url), 1);
      const error = await tables.submit('T', [['upsert', { partitionKey: 'p', rowKey: 'x', n: 1 }, 'Replace']]).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isPermanent(error)).toBe(false);
      expect(batches).toHaveLength(2);
      expect(batches[0]).toMatch(/^SharedKeyLite devstoreaccount1:/);
      expect(tables.outcomes.failure?.message).toBe('HTTP 503');
    } finally {
      await service.close();
    }
  });

  it('fail with a code the SDK retries when nothing listens, and health sees storage down', async () => {
    const tables = open(tableConnectionAt(`http://127.0.0.1:${await closedPort()}`), 0);
    const error = await tables.submit('T', [['upsert', { partitionKey: 'p', rowKey: 'x', n: 1 }, 'Replace']]).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(isPermanent(error)).toBe(false);
    expect(tables.outcomes.failure?.message).toMatch(/ECONNREFUSED/);
  });
});
