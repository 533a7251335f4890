import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimsTable } from '../../../src/adapters/table-store/claimsTable.js';
import { Tables } from '../../../src/adapters/table-store/tables.js';
import { MemoryClaims } from '../../../src/adapters/memory-store/memoryClaims.js';
import type { OccurrenceClaims } from '../../../src/app/ports/index.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { FakeClock } from '../../support/fakes.js';
import { closedPort } from '../../support/servers.js';
import { tableConnectionAt } from '../../support/tableStores.js';

/** The claims contract, on Azurite and on the in-memory fake: the service decides, never a read-then-write. */
const worlds: Array<[string, () => Promise<OccurrenceClaims>]> = [
  ['MemoryClaims (the fake)', () => Promise.resolve(new MemoryClaims())],
  [
    'ClaimsTable on Azurite',
    async () => {
      const azurite = await acquireAzurite();
      const tables = new Tables({ connection: { connectionString: azurite.connectionString }, prefix: uniquePrefix('c'), names: ['Claims'], clock: new FakeClock(0) });
      return new ClaimsTable(tables, 'Claims');
    },
  ],
];

describe.each(worlds)('%s', (_name, create) => {
  let claims: OccurrenceClaims;
  beforeAll(async () => {
    claims = await create();
  });
  afterAll(async () => {
    await releaseAzurite();
  });
  const runId = (n: number) => `job-${n}@2026-12-02T12:00:0${n}.000Z`;

  it('lets exactly one of many concurrent claims of an occurrence win', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => claims.claim(runId(1), { messageId: `m${i}`, at: i })));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const winner = results.findIndex((r) => r.claimed);
    for (const lost of results.filter((r) => !r.claimed)) expect(lost).toMatchObject({ holder: { messageId: `m${winner}`, at: winner } });
  });

  it('lets a takeover on the revision read win once; a second one on the same revision fails', async () => {
    await claims.claim(runId(2), { messageId: 'm1', at: 1 });
    const seen = await claims.claim(runId(2), { messageId: 'm1', at: 2 });
    if (seen.claimed) throw new Error('claimed twice');
    const takeovers = await Promise.all([claims.takeOver(runId(2), { messageId: 'm1', at: 3 }, seen.etag), claims.takeOver(runId(2), { messageId: 'm1', at: 4 }, seen.etag)]);
    expect(takeovers.filter(Boolean)).toHaveLength(1);
    expect(await claims.takeOver(runId(2), { messageId: 'm1', at: 5 }, seen.etag)).toBe(false);
  });

  it('deletes the claims of whole days before the day of the cutoff and keeps the others', async () => {
    const at = (job: string, instant: string) => `${job}@${instant}|westeurope`;
    const old = [at('a', '2026-10-01T00:00:00.000Z'), at('b', '2026-10-01T12:00:00.000Z'), at('c', '2026-10-02T23:59:59.999Z')];
    const kept = [at('a', '2026-10-03T00:00:00.000Z'), at('d', '2026-10-03T11:00:00.000Z'), at('e', '2026-10-04T00:00:00.000Z')];
    for (const id of [...old, ...kept]) expect(await claims.claim(id, { messageId: 'm1', at: 1 })).toEqual({ claimed: true });
    // The cutoff is within 3 October: that day is kept whole, earlier days are dropped whole.
    expect(await claims.deleteBefore(Date.parse('2026-10-03T12:00:00.000Z'), 1_000)).toBe(old.length);
    for (const id of old) expect(await claims.claim(id, { messageId: 'm2', at: 2 })).toEqual({ claimed: true });
    for (const id of kept) expect(await claims.claim(id, { messageId: 'm2', at: 2 })).toMatchObject({ claimed: false, holder: { messageId: 'm1' } });
  });

  it('deletes about max claims a call; calls again until fewer than max are deleted', async () => {
    // Many jobs of one day: several partitions, more than one transaction each.
    const ids = Array.from({ length: 450 }, (_, i) => `job-${i}@2026-09-01T00:00:00.000Z|westeurope`);
    for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => claims.claim(id, { messageId: 'm1', at: 1 })));
    const counts: number[] = [];
    for (let count = -1; count !== 0; ) counts.push((count = await claims.deleteBefore(Date.parse('2026-09-02T00:00:00.000Z'), 200)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length);
    expect(counts.length).toBeGreaterThanOrEqual(3);
    for (const count of counts.slice(0, -2)) expect(count).toBeGreaterThanOrEqual(200);
    expect(await claims.claim(ids[0] as string, { messageId: 'm2', at: 2 })).toEqual({ claimed: true });
  });

  /** The claims of one received batch: occurrences of one instant, claimed at the same moment. */
  const batchOf = (tag: string, count: number) => Array.from({ length: count }, (_, i) => `${tag}-${i}@2026-12-02T13:00:00.000Z|westeurope`);

  it('claims the others of a batch when one occurrence of it is already claimed', async () => {
    const ids = batchOf('taken', 40);
    expect(await claims.claim(ids[7] as string, { messageId: 'first', at: 1 })).toEqual({ claimed: true });
    const results = await Promise.all(ids.map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 2 })));
    for (const [i, result] of results.entries()) {
      if (i === 7) expect(result).toMatchObject({ claimed: false, holder: { messageId: 'first', at: 1 } });
      else expect(result).toEqual({ claimed: true });
    }
  });

  it('lets a redelivery within a batch take its claim over, and the others of the batch claim theirs', async () => {
    const ids = batchOf('again', 20);
    await claims.claim(ids[3] as string, { messageId: 'm3', at: 1 });
    const results = await Promise.all(ids.map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 2 })));
    const seen = results[3];
    if (!seen || seen.claimed) throw new Error('a redelivered claim was inserted again');
    expect(seen.holder).toEqual({ messageId: 'm3', at: 1 });
    expect(await claims.takeOver(ids[3] as string, { messageId: 'm3', at: 3 }, seen.etag)).toBe(true);
    expect(results.filter((r) => r.claimed)).toHaveLength(ids.length - 1);
  });

  it('claims each occurrence once when a batch holds two messages for it (a duplicate put)', async () => {
    const ids = batchOf('dup', 10);
    const results = await Promise.all([...ids, ids[4] as string].map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 1 })));
    expect(results.filter((r) => r.claimed)).toHaveLength(ids.length);
    expect(results[10]).toMatchObject({ claimed: false, holder: { messageId: 'm4' } });
  });

  it('fails a takeover of a claim that does not exist', async () => {
    expect(await claims.takeOver(runId(3), { messageId: 'm1', at: 1 }, 'W/"datetime\'2026-01-01T00%3A00%3A00Z\'"')).toBe(false);
  });
});

describe('ClaimsTable on Azurite: claims made together', () => {
  let azurite: Awaited<ReturnType<typeof acquireAzurite>>;
  beforeAll(async () => {
    azurite = await acquireAzurite();
  });
  afterAll(async () => {
    await releaseAzurite();
  });
  const host = (prefix: string) => {
    const tables = new Tables({ connection: { connectionString: azurite.connectionString }, prefix, names: ['Claims'], clock: new FakeClock(0) });
    return { tables, claims: new ClaimsTable(tables, 'Claims') };
  };

  it('sends the claims of one received batch (32 occurrences of one instant) in a few transactions, not one request each', async () => {
    const { tables, claims } = host(uniquePrefix('c'));
    await claims.claim('warm@2026-12-02T00:00:00.000Z|westeurope', { messageId: 'w', at: 0 }); // creates the table
    const before = tables.outcomes.requests;
    const ids = Array.from({ length: 32 }, (_, i) => `job-${i}@2026-12-02T14:00:10.000Z|westeurope`);
    const results = await Promise.all(ids.map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 1 })));
    expect(results.every((r) => r.claimed)).toBe(true);
    // One transaction per partition the instant's claims spread over (4), however many claims.
    expect(tables.outcomes.requests - before).toBeLessThanOrEqual(4);
  });

  it('splits the claims of one partition made together into transactions of at most 100', async () => {
    const { tables, claims } = host(uniquePrefix('c'));
    await claims.claim('warm@2026-12-02T00:00:00.000Z|westeurope', { messageId: 'w', at: 0 });
    const before = tables.outcomes.requests;
    const ids = Array.from({ length: 600 }, (_, i) => `job-${i}@2026-12-02T14:00:20.000Z|westeurope`);
    const results = await Promise.all(ids.map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 1 })));
    expect(results.filter((r) => r.claimed)).toHaveLength(ids.length);
    // 600 claims over 4 partitions: at least 6 transactions (100 each at most), about 8.
    const sent = tables.outcomes.requests - before;
    expect(sent).toBeGreaterThanOrEqual(6);
    expect(sent).toBeLessThanOrEqual(12);
  });

  it('never lets two hosts racing for the same occurrences both win', async () => {
    const prefix = uniquePrefix('c');
    const a = host(prefix);
    const b = host(prefix);
    // Overlapping batches, as two hosts receiving redeliveries and duplicate puts of one instant would.
    const ids = Array.from({ length: 90 }, (_, i) => `job-${i}@2026-12-02T15:00:00.000Z|westeurope`);
    const [fromA, fromB] = await Promise.all([
      Promise.all(ids.slice(0, 60).map((id) => a.claims.claim(id, { messageId: `a-${id}`, at: 1 }))),
      Promise.all(ids.slice(30).map((id) => b.claims.claim(id, { messageId: `b-${id}`, at: 2 }))),
    ]);
    for (const [i, id] of ids.entries()) {
      const results = [i < 60 ? fromA[i] : undefined, i >= 30 ? fromB[i - 30] : undefined].filter((r) => r !== undefined);
      expect(results.filter((r) => r.claimed), id).toHaveLength(1);
      const winner = i < 60 && fromA[i]?.claimed ? `a-${id}` : `b-${id}`;
      for (const lost of results.filter((r) => !r.claimed)) expect(lost).toMatchObject({ holder: { messageId: winner } });
    }
  });

  it('claims the others of a batch when the service rejects one of its claims', async () => {
    const { claims } = host(uniquePrefix('c'));
    // A row key may not hold '/': the transaction fails whole (400), then each claim gets its own answer.
    const ids = Array.from({ length: 8 }, (_, i) => `job-${i}${i === 5 ? '/bad' : ''}@2026-12-02T17:00:00.000Z|westeurope`);
    const results = await Promise.allSettled(ids.map((id, i) => claims.claim(id, { messageId: `m${i}`, at: 1 })));
    for (const [i, result] of results.entries()) {
      if (i === 5) expect(result.status).toBe('rejected');
      else expect(result).toEqual({ status: 'fulfilled', value: { claimed: true } });
    }
  });

  it('fails every claim of a batch, and none hangs, when Table Storage does not answer', async () => {
    const tables = new Tables({ connection: { connectionString: tableConnectionAt(`http://127.0.0.1:${await closedPort()}`) }, prefix: uniquePrefix('c'), names: ['Claims'], clock: new FakeClock(0), maxRetries: 0 });
    const claims = new ClaimsTable(tables, 'Claims');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => claims.claim(`job-${i}@2026-12-02T16:00:00.000Z|westeurope`, { messageId: `m${i}`, at: 1 })));
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('Table Storage is unavailable') } });
  });
});

describe('ClaimsTable retention in inline mode', () => {
  afterAll(async () => {
    await releaseAzurite();
  });

  it('finds nothing to delete without a Claims table, and does not create it', async () => {
    const azurite = await acquireAzurite();
    const tables = new Tables({ connection: { connectionString: azurite.connectionString }, prefix: uniquePrefix('c'), names: ['Claims'], clock: new FakeClock(0) });
    expect(await new ClaimsTable(tables, 'Claims').deleteBefore(Date.parse('2026-12-02T00:00:00.000Z'), 1_000)).toBe(0);
    await expect(tables.table('Claims').getEntity('p', 'r')).rejects.toThrow(/TableNotFound/);
  });
});
