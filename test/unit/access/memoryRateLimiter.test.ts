import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from '../../../src/adapters/rate-limiter/memoryRateLimiter.js';

describe('MemoryRateLimiter (rate-limiter-flexible, in memory)', () => {
  it('allows `limit` requests per caller and kind in a minute, then answers how long to wait', async () => {
    const limiter = new MemoryRateLimiter({ read: 3, write: 1 });
    const reads = await Promise.all([1, 2, 3, 4].map(() => limiter.take('address:a', 'read')));
    expect(reads.map((d) => d.allowed)).toEqual([true, true, true, false]);
    const denied = reads[3] as { allowed: false; retryAfterMs: number };
    expect(denied.retryAfterMs).toBeGreaterThan(55_000);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(60_000);
    // Writes have their own budget; so does every other caller.
    expect(await limiter.take('address:a', 'write')).toEqual({ allowed: true });
    expect(await limiter.take('address:a', 'write')).toMatchObject({ allowed: false });
    expect(await limiter.take('principal:b', 'read')).toEqual({ allowed: true });
    expect(await limiter.take('principal:b', 'write')).toEqual({ allowed: true });
  });

  it('a limit of 0 is unlimited', async () => {
    const limiter = new MemoryRateLimiter({ read: 0, write: 0 });
    const decisions = await Promise.all(Array.from({ length: 1_000 }, () => limiter.take('address:a', 'write')));
    expect(decisions.every((d) => d.allowed)).toBe(true);
  });
});
