import { bulkhead } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { PriorityAdmission, type Admission } from '../../../src/app/admission.js';
import type { Priority } from '../../../src/domain/priority.js';
import { FakeClock, settle } from '../../support/fakes.js';

/** Checks that end when the test says: the admission queue's decisions, one by one. */
function world(slots: number, queue: number, shedAfterMs = 1_000) {
  const clock = new FakeClock(100_000);
  const admission = new PriorityAdmission(bulkhead(slots, queue), clock, shedAfterMs);
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const outcomes = new Map<string, Admission<string>>();
  const submit = (name: string, priority: Priority, { lateMs = 0, sheddable = true } = {}) =>
    void admission
      .admit({ priority, scheduledAt: clock.now() - lateMs, sheddable }, () => {
        started.push(name);
        return new Promise<string>((resolve) => finishers.set(name, () => resolve(name)));
      })
      .then((outcome) => outcomes.set(name, outcome));
  const finish = async (name: string) => {
    finishers.get(name)?.();
    await settle();
  };
  return { clock, admission, started, outcomes, submit, finish };
}

describe('PriorityAdmission: the priority-ordered queue in front of the bulkhead', () => {
  it('hands each freed slot to the highest priority waiting, first come within one priority', async () => {
    const w = world(1, 10);
    w.submit('first', 'background');
    for (const [name, priority] of [['low1', 'low'], ['crit1', 'critical'], ['norm1', 'normal'], ['crit2', 'critical'], ['high1', 'high']] as const) w.submit(name, priority);
    await settle();
    expect(w.started).toEqual(['first']);
    expect(w.admission.waiting).toBe(5);
    for (const name of ['first', 'crit1', 'crit2', 'high1', 'norm1']) await w.finish(name);
    expect(w.started).toEqual(['first', 'crit1', 'crit2', 'high1', 'norm1', 'low1']);
    expect(w.outcomes.get('crit1')).toEqual({ admitted: true, value: 'crit1' });
  });

  it('sheds waiting background checks past the bound, then low ones past twice the bound; never the others', async () => {
    const w = world(1, 10, 1_000);
    w.submit('busy', 'normal');
    w.submit('bg', 'background');
    w.submit('low', 'low');
    w.submit('norm', 'normal');
    w.submit('crit', 'critical');
    w.submit('manualBg', 'background', { sheddable: false });
    await settle();
    await w.clock.advance(1_500);
    await w.finish('busy');
    // Past 1 s: background is shed; low (bound 2 s) still waits behind critical and normal.
    expect(w.outcomes.get('bg')).toEqual({ admitted: false, reason: 'late' });
    expect(w.started).toEqual(['busy', 'crit']);
    await w.clock.advance(1_000);
    await w.finish('crit');
    expect(w.outcomes.get('low')).toEqual({ admitted: false, reason: 'late' });
    await w.finish('norm');
    await w.finish('manualBg');
    // The normal one an hour late would still run; the manual background run is never shed for lateness.
    expect(w.started).toEqual(['busy', 'crit', 'norm', 'manualBg']);
    expect(w.admission.waiting).toBe(0);
  });

  it('a full list refuses a newcomer of the lowest priority, and makes a lower one give way to a higher one', async () => {
    const w = world(1, 2);
    w.submit('busy', 'normal');
    w.submit('bg', 'background');
    w.submit('crit1', 'critical');
    w.submit('low', 'low');
    w.submit('crit2', 'critical');
    w.submit('crit3', 'critical');
    w.submit('crit4', 'critical');
    await settle();
    expect(w.outcomes.get('bg')).toEqual({ admitted: false, reason: 'full' });
    expect(w.outcomes.get('low')).toEqual({ admitted: false, reason: 'full' });
    // Critical never gives way for a lower one: with the list full of critical ones, the newcomer is refused.
    expect(w.outcomes.get('crit3')).toEqual({ admitted: false, reason: 'full' });
    expect(w.outcomes.get('crit4')).toEqual({ admitted: false, reason: 'full' });
    await w.finish('busy');
    await w.finish('crit1');
    expect(w.started).toEqual(['busy', 'crit1', 'crit2']);
  });

  it('with no queue, a check that finds the slots taken is refused at once, as the bulkhead alone would', async () => {
    const w = world(1, 0);
    w.submit('busy', 'background');
    w.submit('crit', 'critical');
    await settle();
    expect(w.outcomes.get('crit')).toEqual({ admitted: false, reason: 'full' });
  });
});
