import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/adapters/memory-store/memoryStore.js';
import { OutboxPump } from '../../../src/app/outbox.js';
import type { Delivery } from '../../../src/domain/alerting/channel.js';
import type { AlertEvent } from '../../../src/domain/alerting/event.js';
import { INITIAL_ALERT_STATE } from '../../../src/domain/alerting/rule.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');

const event = (id: string): AlertEvent => ({
  id,
  type: 'alert.triggered',
  timestamp: new Date(T0).toISOString(),
  data: { alertId: '0-x', job: 'billing', status: 'down', since: new Date(T0).toISOString(), failures: 3, location: 'here', run: { runId: 'r', status: 'down', startedAt: new Date(T0).toISOString(), httpStatus: 503, reason: 'down' } },
});

/** Channels that answer from a script per channel (the last answer repeats) and keep every send. */
function scripted(answers: Record<string, Array<Partial<Delivery> & { ok: boolean }>>) {
  const sent: Array<{ channel: string; id: string }> = [];
  return {
    sent,
    async send(name: string, e: AlertEvent): Promise<Delivery> {
      sent.push({ channel: name, id: e.id });
      const script = answers[name] ?? [{ ok: true }];
      const answer = script.length > 1 ? (script.shift() as (typeof script)[number]) : (script[0] as (typeof script)[number]);
      if (answer.ok) return { ok: true, channel: name, detail: 'ok' };
      return { retryable: true, message: 'HTTP 503', ...answer, ok: false, channel: name } as Delivery;
    },
  };
}

async function queued(store: MemoryStore, channels: string[], id = 'billing:0-x-triggered-1') {
  const deliveries = channels.map((channel) => ({ id: `${id}|${channel}`, job: 'billing', channel, event: event(id), dueAt: T0 }));
  await store.commitAlert({ job: 'billing', rule: 0, state: INITIAL_ALERT_STATE, channels, location: 'here', locations: {} }, null, deliveries);
}

describe('OutboxPump', () => {
  it('retries a retryable failure with growing delays, honours Retry-After, and dead-letters after the last try', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    const channels = scripted({ hooks: [{ ok: false, retryAfterMs: 3_600_000 }, { ok: false }] });
    const pump = new OutboxPump({ store, channels, clock, logger: new MemoryLogger(), maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000 });
    await queued(store, ['hooks']);
    pump.kick();
    await pump.settled();
    expect(channels.sent).toHaveLength(1);
    // Retry-After (1 h) wins over the backoff.
    const [row] = await store.dueDeliveries(T0 + 3_600_000, 10);
    expect(row).toMatchObject({ attempts: 1, lastError: 'HTTP 503' });
    expect(await store.dueDeliveries(T0 + 3_599_000, 10)).toEqual([]);
    await clock.advance(3_600_000);
    pump.kick();
    await pump.settled();
    await clock.advance(60_000);
    pump.kick();
    await pump.settled();
    expect(channels.sent).toHaveLength(3);
    expect(await store.countDeadDeliveries()).toBe(1);
    expect(await pump.health()).toMatchObject({ status: 'degraded', deadLetters: 1 });
  });

  it('dead-letters a refusal at once', async () => {
    const store = new MemoryStore();
    const channels = scripted({ hooks: [{ ok: false, retryable: false, message: 'HTTP 410' }] });
    const pump = new OutboxPump({ store, channels, clock: new FakeClock(T0), logger: new MemoryLogger() });
    await queued(store, ['hooks']);
    pump.kick();
    await pump.settled();
    expect(await store.countDeadDeliveries()).toBe(1);
  });

  it('sends each row once when two pumps (two instances) share the outbox', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    const channels = scripted({});
    const a = new OutboxPump({ store, channels, clock, logger: new MemoryLogger() });
    const b = new OutboxPump({ store, channels, clock, logger: new MemoryLogger() });
    await queued(store, ['hooks', 'mail', 'pager']);
    a.kick();
    b.kick();
    await Promise.all([a.settled(), b.settled()]);
    expect(channels.sent.map((s) => s.channel).sort()).toEqual(['hooks', 'mail', 'pager']);
    expect(await store.dueDeliveries(T0 + 3_600_000, 10)).toEqual([]);
  });

  it('a channel that fails keeps its own rows for later and does not hold back another channel', async () => {
    const store = new MemoryStore();
    const channels = scripted({ down: [{ ok: false }] });
    const pump = new OutboxPump({ store, channels, clock: new FakeClock(T0), logger: new MemoryLogger() });
    await queued(store, ['down', 'up'], 'billing:0-x-triggered-1');
    await store.commitAlert({ job: 'other', rule: 0, state: INITIAL_ALERT_STATE, channels: ['down', 'up'], location: 'here', locations: {} }, null, [
      { id: 'e2|down', job: 'other', channel: 'down', event: event('e2'), dueAt: T0 },
      { id: 'e2|up', job: 'other', channel: 'up', event: event('e2'), dueAt: T0 },
    ]);
    pump.kick();
    await pump.settled();
    // One try of the down channel in this pass (its second row waits), both rows of the other.
    expect(channels.sent.filter((s) => s.channel === 'down')).toHaveLength(1);
    expect(channels.sent.filter((s) => s.channel === 'up')).toHaveLength(2);
  });
});
