import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/domain/alerting/event.js';
import { reasonOf, withDependents } from '../../../src/domain/alerting/event.js';
import { composeMessage, formatDuration, render, unknownPlaceholders } from '../../../src/domain/alerting/message.js';

const event = (type: AlertEvent['type'], extra: Partial<AlertEvent['data']> = {}): AlertEvent => ({
  id: 'e1',
  type,
  timestamp: '2026-01-05T10:20:00.000Z',
  data: {
    alertId: '0-abc',
    job: 'billing',
    status: type === 'alert.resolved' ? 'up' : 'down',
    since: '2026-01-05T10:00:00.000Z',
    failures: 3,
    location: 'westeurope',
    run: { runId: 'billing@x', status: 'down', startedAt: '2026-01-05T10:20:00.000Z', httpStatus: 503, reason: '[STATUS] == 200 (actual: 503)' },
    ...extra,
  },
});

describe('messages', () => {
  it.each([
    { type: 'alert.triggered', title: 'billing is down', text: 'billing is down since 2026-01-05T10:00:00.000Z (3 failed runs) at westeurope: [STATUS] == 200 (actual: 503)' },
    { type: 'alert.reminder', title: 'billing is still down', text: 'billing is still down, for 20m since 2026-01-05T10:00:00.000Z, at westeurope: [STATUS] == 200 (actual: 503)' },
    { type: 'alert.resolved', title: 'billing is up again', text: 'billing is up again at westeurope after 1h 2m 3s down (since 2026-01-05T10:00:00.000Z).' },
  ] as const)('$type says what, since when, why, where (and how long)', ({ type, title, text }) => {
    const message = composeMessage(event(type, type === 'alert.resolved' ? { downForMs: 3_723_000 } : {}));
    expect(message.title).toBe(title);
    expect(message.text).toBe(text);
    expect(message.tone).toBe(type === 'alert.resolved' ? 'good' : 'bad');
  });

  it('a channel template replaces title and text; the facts stay', () => {
    const message = composeMessage(event('alert.triggered'), { title: '[{{status}}] {{job}}', text: '{{ job }} failed at {{location}} because {{reason}}; {{unknown}} stays' });
    expect(message.title).toBe('[down] billing');
    expect(message.text).toBe('billing failed at westeurope because [STATUS] == 200 (actual: 503); {{unknown}} stays');
    expect(message.facts).toContainEqual(['Reason', '[STATUS] == 200 (actual: 503)']);
  });

  it('an upstream job\'s trigger and reminders say what it takes down, in the text and as a fact; a template may place it', () => {
    for (const type of ['alert.triggered', 'alert.reminder'] as const) {
      const message = composeMessage(withDependents(event(type), ['ordersApi', 'ordersReport']));
      expect(message.text).toMatch(/ It takes down ordersApi, ordersReport \(alerts suppressed\)\.$/);
      expect(message.facts).toContainEqual(['Takes down', 'ordersApi, ordersReport']);
    }
    const templated = composeMessage(withDependents(event('alert.triggered'), ['ordersApi']), { text: '{{job}} down; also affected: {{dependents}}' });
    expect(templated.text).toBe('billing down; also affected: ordersApi');
    expect(templated.facts).toContainEqual(['Takes down', 'ordersApi']);
  });

  it('says nothing of dependents when there are none, nor on resolution', () => {
    expect(withDependents(event('alert.triggered'), [])).toEqual(event('alert.triggered'));
    const resolved = withDependents(event('alert.resolved', { downForMs: 60_000 }), ['ordersApi']);
    expect(resolved.data.dependents).toBeUndefined();
    expect(composeMessage(resolved).facts.map(([label]) => label)).not.toContain('Takes down');
    expect(composeMessage(event('alert.triggered')).text).not.toContain('takes down');
  });

  it.each([
    [
      'down on its conditions: each failed one with its actual value, not the degraded ones',
      { status: 'down', error: { kind: 'conditions', message: '[STATUS] (503) == 200' }, conditions: [{ condition: '[STATUS] == 200', success: false, actual: '503' }, { condition: '[RESPONSE_TIME] < 300', success: false, actual: '412', degraded: true }, { condition: '[BODY].ok == true', success: true, actual: 'true' }] },
      '[STATUS] == 200 (actual: 503)',
    ],
    ['down on an error: kind and message', { status: 'error', error: { kind: 'timeout', message: 'no answer within 10 s' }, conditions: [] }, 'timeout: no answer within 10 s'],
    ['degraded: the failed degraded conditions', { status: 'degraded', conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }, { condition: '[RESPONSE_TIME] < 300', success: false, actual: '412', degraded: true }] }, '[RESPONSE_TIME] < 300 (actual: 412)'],
    ['up: nothing', { status: 'up', conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }] }, ''],
  ] as const)('reasonOf, %s', (_name, run, reason) => {
    expect(reasonOf(run as Parameters<typeof reasonOf>[0])).toBe(reason);
  });

  it('renders linearly: a value that looks like a placeholder is not expanded again', () => {
    expect(render('{{job}} {{reason}}', { job: '{{reason}}', reason: 'r', status: '', since: '', duration: '', location: '', failures: '', alertId: '', runId: '', dependents: '' })).toBe('{{reason}} r');
  });

  it('finds unknown placeholders for config validation', () => {
    expect(unknownPlaceholders('{{job}} {{nope}} {{ since }} {{Job}}')).toEqual(['nope', 'Job']);
  });

  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [60_000, '1m'],
    [3_723_000, '1h 2m 3s'],
    [90_000_000, '1d 1h'],
  ])('formatDuration(%i) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
