import { describe, expect, it } from 'vitest';
import type { AlertRun, AlertStatus } from '../../../src/domain/alerting/event.js';
import { combineLocations } from '../../../src/domain/alerting/locations.js';
import { decideAlert, INITIAL_ALERT_STATE, type AlertRule, type AlertState } from '../../../src/domain/alerting/rule.js';
import { FakeClock } from '../../support/fakes.js';

const T0 = Date.parse('2026-01-05T10:00:00Z');
const MINUTE = 60_000;

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  index: 0,
  channels: ['oncall'],
  failureThreshold: 3,
  successThreshold: 2,
  sendOnResolved: true,
  remindEveryMs: null,
  on: ['down'],
  minLocations: 1,
  ...over,
});

const runAt = (at: number, status: AlertStatus, location = 'westeurope'): AlertRun => ({
  runId: `billing@${new Date(at).toISOString()}`,
  job: 'billing',
  status,
  startedAt: new Date(at).toISOString(),
  httpStatus: status === 'up' ? 200 : 503,
  conditions: [{ condition: '[STATUS] == 200', success: status === 'up', actual: status === 'up' ? '200' : '503' }],
  location,
});

const codes: Record<string, AlertStatus> = { U: 'up', D: 'down', E: 'error', S: 'skipped', G: 'degraded' };

/** Runs `sequence` (one letter per run, one run a minute on a fake clock); returns the events sent, as `type@minute`. */
function drive(sequence: string, r: AlertRule): { sent: string[]; state: AlertState } {
  const clock = new FakeClock(T0);
  let state = INITIAL_ALERT_STATE;
  const sent: string[] = [];
  for (const letter of sequence) {
    const { next, effects } = decideAlert(state, runAt(clock.now(), codes[letter] as AlertStatus), clock.now(), r);
    for (const effect of effects) sent.push(`${effect.event.type.slice(6)}@${(clock.now() - T0) / MINUTE}`);
    state = next;
    clock.t += MINUTE;
  }
  return { sent, state };
}

describe('decideAlert: thresholds, recovery and reminders on a fake clock', () => {
  it.each([
    { name: 'below the failure threshold: nothing', sequence: 'UUDDUDDU', r: rule(), sent: [] },
    { name: 'third consecutive failure triggers once', sequence: 'DDDDD', r: rule(), sent: ['triggered@2'] },
    { name: 'flapping never reaches 3 in a row', sequence: 'DDUDDUDD', r: rule(), sent: [] },
    { name: 'one success does not resolve, two do', sequence: 'DDDUDUU', r: rule(), sent: ['triggered@2', 'resolved@6'] },
    { name: 'a failure between successes restarts the count', sequence: 'DDDUDUDUU', r: rule(), sent: ['triggered@2', 'resolved@8'] },
    { name: 'sendOnResolved false: silent recovery', sequence: 'DDDUU', r: rule({ sendOnResolved: false }), sent: ['triggered@2'] },
    { name: 'skipped runs count as nothing', sequence: 'DSDSDUSU', r: rule(), sent: ['triggered@4', 'resolved@7'] },
    { name: 'errors count as down', sequence: 'EED', r: rule(), sent: ['triggered@2'] },
    { name: 'degraded is good unless the rule is on it', sequence: 'GGGG', r: rule(), sent: [] },
    { name: 'degraded alerts with on [down, degraded]', sequence: 'GGDUU', r: rule({ on: ['down', 'degraded'] }), sent: ['triggered@2', 'resolved@4'] },
    { name: 'reminders every 5 minutes while triggered', sequence: 'DDDDDDDDDDDDDUU', r: rule({ remindEveryMs: 5 * MINUTE }), sent: ['triggered@2', 'reminder@7', 'reminder@12', 'resolved@14'] },
    { name: 'no reminder while a success streak is under way', sequence: 'DDDDUDDDDDU', r: rule({ remindEveryMs: 5 * MINUTE }), sent: ['triggered@2', 'reminder@7'] },
    { name: 'thresholds of 1 notify at once', sequence: 'DUDU', r: rule({ failureThreshold: 1, successThreshold: 1 }), sent: ['triggered@0', 'resolved@1', 'triggered@2', 'resolved@3'] },
    { name: 'a second incident after recovery', sequence: 'DDDUUDDD', r: rule(), sent: ['triggered@2', 'resolved@4', 'triggered@7'] },
  ])('$name', ({ sequence, r, sent }) => {
    expect(drive(sequence, r).sent).toEqual(sent);
  });

  it('says since when, how many failures, why, where, and on recovery how long it was down', () => {
    let state = INITIAL_ALERT_STATE;
    const events = [];
    for (const [minute, status] of [[0, 'down'], [1, 'down'], [2, 'down'], [10, 'up'], [11, 'up']] as const) {
      const at = T0 + minute * MINUTE;
      const { next, effects } = decideAlert(state, runAt(at, status), at, rule());
      state = next;
      events.push(...effects.map((e) => e.event));
    }
    const [triggered, resolved] = events;
    expect(triggered?.data).toMatchObject({ job: 'billing', status: 'down', since: '2026-01-05T10:00:00.000Z', failures: 3, location: 'westeurope' });
    expect(triggered?.data.run.reason).toBe('[STATUS] == 200 (actual: 503)');
    expect(resolved?.type).toBe('alert.resolved');
    expect(resolved?.data.alertId).toBe(triggered?.data.alertId);
    expect(resolved?.data.downForMs).toBe(11 * MINUTE);
    expect(state).toEqual(INITIAL_ALERT_STATE);
  });

  it('gives each rule and each incident its own alert id, and each event its own id', () => {
    const first = drive('DDD', rule()).state.alertId;
    const other = drive('DDD', rule({ index: 1 })).state.alertId;
    const later = drive('UDDD', rule()).state.alertId;
    expect(new Set([first, other, later]).size).toBe(3);
    expect(first).not.toContain('.');
  });
});

describe('combineLocations: n-of-m over the latest run per location', () => {
  const latest = (statuses: Record<string, AlertStatus>) =>
    new Map(Object.entries(statuses).map(([location, status], i) => [location, runAt(T0 + i * 1_000, status, location)]));

  it.each([
    { statuses: { eu: 'down', us: 'up', asia: 'up' }, min: 2, status: 'up', location: 'asia, us' },
    { statuses: { eu: 'down', us: 'down', asia: 'up' }, min: 2, status: 'down', location: 'eu, us' },
    { statuses: { eu: 'down', us: 'error', asia: 'down' }, min: 2, status: 'down', location: 'asia, eu, us' },
    { statuses: { eu: 'down' }, min: 1, status: 'down', location: 'eu' },
    { statuses: { eu: 'skipped', us: 'down' }, min: 2, status: 'up', location: '' },
    { statuses: { eu: 'degraded', us: 'degraded' }, min: 2, status: 'up', location: 'eu, us' },
  ] as const)('$statuses with minLocations $min → $status at "$location"', ({ statuses, min, status, location }) => {
    const combined = combineLocations(latest(statuses), rule({ minLocations: min }));
    expect(combined?.status).toBe(status);
    expect(combined?.location).toBe(location);
  });

  it('is nothing while no location has a usable run', () => {
    expect(combineLocations(latest({ eu: 'skipped' }), rule())).toBeUndefined();
  });

  it('feeds decideAlert: two of three locations failing three times triggers', () => {
    let state = INITIAL_ALERT_STATE;
    const sent: string[] = [];
    for (let i = 0; i < 3; i++) {
      const combined = combineLocations(latest({ eu: 'down', us: 'down', asia: 'up' }), rule({ minLocations: 2 }));
      const { next, effects } = decideAlert(state, combined as AlertRun, T0 + i * MINUTE, rule({ minLocations: 2 }));
      state = next;
      sent.push(...effects.map((e) => `${e.event.type}:${e.event.data.location}`));
    }
    expect(sent).toEqual(['alert.triggered:eu, us']);
  });
});
