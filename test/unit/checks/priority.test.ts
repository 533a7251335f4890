import { describe, expect, it } from 'vitest';
import { PRIORITIES, givesWay, isShed, rankOf, shedAfterMs, type Priority, type Waiting } from '../../../src/domain/priority.js';

const BASE = 1_000;
const waiting = (priority: Priority, lateMs: number, sheddable = true): [Waiting, number] => [{ priority, scheduledAt: 10_000, sheddable }, 10_000 + lateMs];

describe('priorities: the order and the shedding rule (domain/priority.ts)', () => {
  it('ranks critical first and background last', () => {
    expect([...PRIORITIES].sort((a, b) => rankOf(a) - rankOf(b))).toEqual(['critical', 'high', 'normal', 'low', 'background']);
  });

  it.each<[Priority, number | undefined]>([
    ['background', BASE],
    ['low', 2 * BASE],
    ['normal', undefined],
    ['high', undefined],
    ['critical', undefined],
  ])('a waiting %s check may be late by %s ms before it is shed', (priority, bound) => {
    expect(shedAfterMs(priority, BASE)).toBe(bound);
  });

  it.each<[string, Waiting, number, boolean]>([
    ['background on the bound', ...waiting('background', BASE), false],
    ['background just past the bound', ...waiting('background', BASE + 1), true],
    ['low past the background bound', ...waiting('low', BASE + 1), false],
    ['low past its own bound', ...waiting('low', 2 * BASE + 1), true],
    ['normal an hour late', ...waiting('normal', 3_600_000), false],
    ['high an hour late', ...waiting('high', 3_600_000), false],
    ['critical an hour late', ...waiting('critical', 3_600_000), false],
    ['a manual background run an hour late', ...waiting('background', 3_600_000, false), false],
    ['background scheduled in the future', ...waiting('background', -5_000), false],
  ])('%s: shed %s', (_name, ticket, now, shed) => {
    expect(isShed(ticket, now, BASE)).toBe(shed);
  });

  it('with a bound of 0, a background check is shed as soon as it is late at all', () => {
    expect(isShed(...waiting('background', 1), 0)).toBe(true);
    expect(isShed(...waiting('background', 0), 0)).toBe(false);
  });

  it.each<[Priority, Priority | undefined, 'newcomer' | 'lowest']>([
    ['critical', 'background', 'lowest'],
    ['critical', 'high', 'lowest'],
    ['critical', 'critical', 'newcomer'],
    ['normal', 'low', 'lowest'],
    ['normal', 'normal', 'newcomer'],
    ['low', 'critical', 'newcomer'],
    ['background', 'low', 'newcomer'],
    ['critical', undefined, 'newcomer'],
  ])('the list is full: a %s newcomer against a lowest waiting %s → the %s gives way', (newcomer, lowest, loser) => {
    expect(givesWay(newcomer, lowest)).toBe(loser);
  });
});
