import { describe, expect, it } from 'vitest';
import type { TelemetrySink } from '../../../src/app/ports/index.js';
import { FanOutTelemetry } from '../../../src/app/telemetryFanOut.js';
import type { Run } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger, RecordingTelemetry, settle } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const target = job({ url: 'http://127.0.0.1:9/' });
const run = (n: number): Run => ({
  runId: `target@${n}`,
  job: 'target',
  trigger: 'schedule',
  scheduledAt: new Date(n).toISOString(),
  startedAt: new Date(n).toISOString(),
  durationMs: 1,
  attempts: 1,
  status: 'up',
  success: true,
  httpStatus: 200,
  conditions: [],
  location: 'test',
});

class Sink extends RecordingTelemetry implements TelemetrySink {
  flushes = 0;
  constructor(readonly name: string) {
    super();
  }
  override async flush(): Promise<void> {
    this.flushes++;
  }
}

class ThrowingSink extends Sink {
  override runCompleted(): void {
    throw new Error('sink is broken');
  }
  override async flush(): Promise<void> {
    throw new Error('cannot flush');
  }
}

class HangingSink extends Sink {
  override flush(): Promise<void> {
    return new Promise(() => undefined);
  }
}

const fanOut = (sinks: TelemetrySink[], capacity?: number, flushTimeoutMs?: number) => {
  const logger = new MemoryLogger();
  const telemetry = new FanOutTelemetry(sinks, {
    logger,
    clock: new FakeClock(0),
    ...(capacity === undefined ? {} : { capacity }),
    ...(flushTimeoutMs === undefined ? {} : { flushTimeoutMs }),
  });
  return { telemetry, logger };
};

describe('FanOutTelemetry', () => {
  it('returns at once and delivers every event to every sink on the next turn', async () => {
    const a = new Sink('a');
    const b = new Sink('b');
    const { telemetry } = fanOut([a, b]);
    telemetry.runCompleted(run(1), target);
    telemetry.circuitChanged('target', 'open');
    expect(a.runs).toHaveLength(0);
    await settle();
    for (const sink of [a, b]) {
      expect(sink.runs.map((r) => r.runId)).toEqual(['target@1']);
      expect(sink.circuits).toEqual([{ job: 'target', state: 'open' }]);
    }
  });

  it('isolates a failing sink: the others get everything, the failure is counted and logged once', async () => {
    const broken = new ThrowingSink('broken');
    const good = new Sink('good');
    const { telemetry, logger } = fanOut([broken, good]);
    for (let i = 0; i < 5; i++) telemetry.runCompleted(run(i), target);
    await settle();
    await telemetry.flush();
    expect(good.runs).toHaveLength(5);
    expect(good.flushes).toBe(1);
    const health = telemetry.health();
    expect(health).toMatchObject({ status: 'degraded', sinkErrors: { broken: 6 } });
    expect(logger.records.filter((r) => r.message === 'telemetry sink broken failed')).toHaveLength(1);
  });

  it('is bounded: beyond its capacity new events are dropped and counted, not held', async () => {
    const sink = new Sink('slow');
    const { telemetry } = fanOut([sink], 100);
    for (let i = 0; i < 1_000; i++) telemetry.runCompleted(run(i), target);
    expect(telemetry.dropped).toBe(900);
    await settle();
    expect(sink.runs).toHaveLength(100);
    expect(telemetry.health()).toMatchObject({ status: 'degraded', dropped: 900 });
    // Once delivered, the queue takes events again.
    telemetry.runCompleted(run(2_000), target);
    await settle();
    expect(sink.runs).toHaveLength(101);
  });

  it('flushes every sink, waiting at most flushTimeoutMs for one that hangs', async () => {
    const hanging = new HangingSink('hanging');
    const good = new Sink('good');
    const { telemetry } = fanOut([hanging, good], undefined, 50);
    telemetry.runCompleted(run(1), target);
    const started = Date.now();
    await telemetry.flush();
    expect(Date.now() - started).toBeLessThan(2_000);
    // flush delivers what is queued before flushing, without waiting for the next turn.
    expect(good.runs).toHaveLength(1);
    expect(good.flushes).toBe(1);
    expect(telemetry.health()).toMatchObject({ sinkErrors: { hanging: 1 } });
  });

  it('reports ok with its sinks when nothing went wrong', () => {
    expect(fanOut([new Sink('log'), new Sink('prometheus')]).telemetry.health()).toEqual({
      status: 'ok',
      detail: '2 sinks',
      sinks: ['log', 'prometheus'],
      dropped: 0,
      sinkErrors: {},
    });
  });
});

describe('FanOutTelemetry with a sink that stays slow', () => {
  it('waits for it once, then lets its flushes run in the background until one finishes in time', async () => {
    let release: () => void = () => undefined;
    class Slow extends Sink {
      override flush(): Promise<void> {
        this.flushes++;
        return new Promise((resolve) => (release = resolve));
      }
    }
    const slow = new Slow('slow');
    const clock = new FakeClock(0);
    const telemetry = new FanOutTelemetry([slow], { logger: new MemoryLogger(), clock, flushTimeoutMs: 30 });
    const waited = async () => {
      const started = Date.now();
      await telemetry.flush();
      return Date.now() - started >= 25;
    };
    expect(await waited()).toBe(true);
    // Still running: neither waited for nor started again.
    expect(await waited()).toBe(false);
    expect(slow.flushes).toBe(1);
    // It ends, but late (its endpoint is still down): the next flush goes on in the background.
    clock.t += 5_000;
    release();
    await settle();
    expect(await waited()).toBe(false);
    expect(slow.flushes).toBe(2);
    // That one ends in time (the endpoint is back): flushes are waited for again.
    release();
    await settle();
    expect(await waited()).toBe(true);
    expect(slow.flushes).toBe(3);
  });
});
