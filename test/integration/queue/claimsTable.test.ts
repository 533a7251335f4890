import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClaimsTable } from '../../../src/adapters/table-store/claimsTable.js';
import { Tables } from '../../../src/adapters/table-store/tables.js';
import { MemoryClaims } from '../../../src/adapters/memory-store/memoryClaims.js';
import type { OccurrenceClaims } from '../../../src/app/ports/index.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { FakeClock } from '../../support/fakes.js';

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

  it('fails a takeover of a claim that does not exist', async () => {
    expect(await claims.takeOver(runId(3), { messageId: 'm1', at: 1 }, 'W/"datetime\'2026-01-01T00%3A00%3A00Z\'"')).toBe(false);
  });
});
