import { describe, expect, it } from 'vitest';
import { checkSecrets, SecretResolver } from '../../../src/app/secrets.js';
import { parseSecretRef, type SecretRef } from '../../../src/domain/auth.js';
import { FakeClock, MemorySecretStore } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const ref = (id: string) => parseSecretRef(id) as SecretRef;
const MINUTE = 60_000;

function setup(options: ConstructorParameters<typeof SecretResolver>[2] = {}) {
  const store = new MemorySecretStore();
  const clock = new FakeClock(Date.parse('2026-11-23T12:00:00Z'));
  return { store, clock, resolver: new SecretResolver(store, clock, options) };
}

describe('SecretResolver', () => {
  it('reads a secret once and serves it from the cache until the TTL (default 5 minutes) passes', async () => {
    const { store, clock, resolver } = setup();
    store.set('api-token', 'v1');
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'v1' });
    store.set('api-token', 'v2');
    await clock.advance(5 * MINUTE - 1);
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'v1' });
    expect(store.reads).toHaveLength(1);
    await clock.advance(1);
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'v2' });
    expect(store.reads).toHaveLength(2);
  });

  it('keeps pinned versions apart from the latest', async () => {
    const { store, resolver } = setup();
    const v1 = store.set('api-token', 'one');
    store.set('api-token', 'two');
    expect(await resolver.resolve(ref(`api-token/${v1}`))).toEqual({ ok: true, value: 'one' });
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'two' });
    expect(store.reads).toEqual([
      { name: 'api-token', version: v1 },
      { name: 'api-token', version: undefined },
    ]);
  });

  it('reads again past the cache when asked to refresh (a target answered 401)', async () => {
    const { store, resolver } = setup();
    store.set('api-token', 'old');
    await resolver.resolve(ref('api-token'));
    store.set('api-token', 'rotated');
    expect(await resolver.resolve(ref('api-token'), true)).toEqual({ ok: true, value: 'rotated' });
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'rotated' });
    expect(store.reads).toHaveLength(2);
  });

  it('shares one read among concurrent requests for a secret', async () => {
    const { store, resolver } = setup();
    store.set('shared', 'value');
    const results = await Promise.all(Array.from({ length: 50 }, () => resolver.resolve(ref('Shared'))));
    expect(results.every((r) => r.ok && r.value === 'value')).toBe(true);
    expect(store.reads).toHaveLength(1);
  });

  it('uses the last good value while the store is down, and health says degraded', async () => {
    const { store, clock, resolver } = setup();
    store.set('api-token', 'good');
    await resolver.resolve(ref('api-token'));
    expect(resolver.health()).toMatchObject({ status: 'ok', detail: 'memory: 1 secret cached' });
    store.mode = 'unavailable';
    await clock.advance(6 * MINUTE);
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'good' });
    expect(resolver.health()).toMatchObject({
      status: 'degraded',
      detail: '"api-token": memory store is down (using the last good value)',
    });
    store.mode = 'up';
    await clock.advance(6 * MINUTE);
    await resolver.resolve(ref('api-token'));
    expect(resolver.health().status).toBe('ok');
  });

  it('reports a secret never read as unavailable, naming it and not its value', async () => {
    const { store, resolver } = setup();
    store.set('other', 'other-value');
    store.mode = 'unavailable';
    expect(await resolver.resolve(ref('db-password'))).toEqual({ ok: false, message: 'secret "db-password" is unavailable: memory store is down' });
    expect(resolver.health()).toMatchObject({ status: 'degraded', detail: '"db-password": memory store is down' });
  });

  it('gives up on a slow store after the timeout and falls back to the cached value', async () => {
    const { store, clock, resolver } = setup({ timeoutMs: 50 });
    store.set('api-token', 'cached');
    await resolver.resolve(ref('api-token'));
    store.mode = 'hang';
    await clock.advance(6 * MINUTE);
    const started = Date.now();
    expect(await resolver.resolve(ref('api-token'))).toEqual({ ok: true, value: 'cached' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(resolver.health().detail).toContain('did not answer within 50 ms (using the last good value)');
  });

  it('stops calling a store that keeps failing (circuit breaker), and tries again after halfOpenAfter', async () => {
    const { store, resolver } = setup({ failureThreshold: 3, halfOpenAfterMs: 100 });
    store.mode = 'unavailable';
    for (let i = 0; i < 3; i++) await resolver.resolve(ref(`s${i}`));
    expect(store.reads).toHaveLength(3);
    const open = await resolver.resolve(ref('s9'));
    expect(store.reads).toHaveLength(3); // failed at once, without a call
    expect(open).toEqual({ ok: false, message: 'secret "s9" is unavailable: memory is not answering (reads paused after repeated failures)' });
    expect(resolver.health().detail).toContain('memory is not answering: reads are paused');
    store.mode = 'up';
    store.set('s9', 'back');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await resolver.resolve(ref('s9'))).toEqual({ ok: true, value: 'back' });
  });

  it('does not count a missing secret against the store', async () => {
    const { store, resolver } = setup({ failureThreshold: 2 });
    for (let i = 0; i < 5; i++) await resolver.resolve(ref(`missing-${i}`));
    expect(store.reads).toHaveLength(5);
  });

  it('reports settings holding unresolved Key Vault references', () => {
    const { resolver } = setup({ unresolvedSettings: ['PULSECHECK_SECRET_X', 'OTHER'] });
    expect(resolver.health()).toMatchObject({
      status: 'degraded',
      detail: 'settings PULSECHECK_SECRET_X, OTHER hold Key Vault references the platform could not resolve',
    });
  });
});

describe('checkSecrets (validate --secrets)', () => {
  it('reads every referenced secret fresh and says which jobs use the ones that do not resolve', async () => {
    const { store, resolver } = setup();
    store.set('api-token', 'value');
    store.set('client-cert', 'not a PEM bundle');
    const jobs = [
      job({ name: 'a', url: 'https://a.test/?k=${secret:api-token}', auth: { type: 'bearer', secret: 'api-token' } }),
      job({ name: 'b', url: 'https://b.test/', headers: { 'X-Key': '${secret:missing-one}' } }),
      job({ name: 'c', url: 'https://c.test/', auth: { type: 'clientCertificate', secret: 'client-cert' } }),
    ];
    expect(await checkSecrets(jobs, resolver)).toEqual([
      { secret: 'api-token', jobs: ['a'], ok: true },
      { secret: 'missing-one', jobs: ['b'], ok: false, message: 'no secret missing-one' },
      { secret: 'client-cert', jobs: ['c'], ok: false, message: 'does not hold a PEM certificate and its private key' },
    ]);
  });
});
