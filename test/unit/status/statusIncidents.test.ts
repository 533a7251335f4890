import { describe, expect, it } from 'vitest';
import { failureReason, incidentsOf, type IncidentRun } from '../../../src/domain/statusIncidents.js';

const T0 = Date.parse('2026-05-10T12:00:00.000Z');
const M = 60_000;
const STATUS_503 = { condition: '[STATUS] == 200', success: false, actual: '503' };

/** Runs from a string, oldest first, one a minute from T0: u up, g degraded, d down, e error, s skipped, m down in maintenance. */
function runs(pattern: string): IncidentRun[] {
  return [...pattern]
    .map((c, i): IncidentRun => {
      const startedAt = new Date(T0 + i * M).toISOString();
      switch (c) {
        case 'u':
          return { status: 'up', startedAt, httpStatus: 200, conditions: [] };
        case 'g':
          return { status: 'degraded', startedAt, httpStatus: 200, conditions: [] };
        case 'd':
          return { status: 'down', startedAt, httpStatus: 503, conditions: [STATUS_503], error: { kind: 'conditions', message: '[STATUS] (503) == 200' } };
        case 'e':
          return { status: 'error', startedAt, httpStatus: null, conditions: [], error: { kind: 'connect', message: 'connect ECONNREFUSED 10.0.0.7:443' } };
        case 'm':
          return { status: 'down', startedAt, httpStatus: 503, conditions: [STATUS_503], maintenance: true };
        default:
          return { status: 'skipped', startedAt, httpStatus: null, conditions: [], error: { kind: 'overlap', message: 'still running' } };
      }
    })
    .reverse(); // the history lists newest first
}

describe('incidentsOf: stretches of bad runs up to the next good run, newest first', () => {
  const now = T0 + 10 * M;
  it.each([
    { pattern: '', expected: [] },
    { pattern: 'uuuu', expected: [] },
    { pattern: 'uddu', expected: [{ start: 1, end: 3, ongoing: false, failedRuns: 2 }] },
    { pattern: 'udug', expected: [{ start: 1, end: 2, ongoing: false, failedRuns: 1 }] },
    { pattern: 'ude', expected: [{ start: 1, end: null, ongoing: true, failedRuns: 2 }] },
    // Maintenance and skipped runs neither start nor end an incident.
    { pattern: 'udmsdu', expected: [{ start: 1, end: 5, ongoing: false, failedRuns: 2 }] },
    { pattern: 'umsu', expected: [] },
    { pattern: 'dudd', expected: [{ start: 2, end: null, ongoing: true, failedRuns: 2 }, { start: 0, end: 1, ongoing: false, failedRuns: 1 }] },
    // Degraded is good (up for uptime).
    { pattern: 'dg', expected: [{ start: 0, end: 1, ongoing: false, failedRuns: 1 }] },
  ])('$pattern', ({ pattern, expected }) => {
    const found = incidentsOf(runs(pattern), now, { limit: 10, detail: true });
    expect(
      found.map((i) => ({ start: (Date.parse(i.start) - T0) / M, end: i.end === null ? null : (Date.parse(i.end) - T0) / M, ongoing: i.ongoing, failedRuns: i.failedRuns })),
    ).toEqual(expected);
    for (const incident of found) expect(incident.durationMs).toBe((incident.end === null ? now : Date.parse(incident.end)) - Date.parse(incident.start));
  });

  it('keeps the newest `limit`', () => {
    expect(incidentsOf(runs('dudududu'), now, { limit: 2, detail: true }).map((i) => i.start)).toEqual([new Date(T0 + 6 * M).toISOString(), new Date(T0 + 4 * M).toISOString()]);
  });

  it('starts an incident where every run read is bad at the state\'s `since`, if earlier', () => {
    const since = new Date(T0 - 60 * M).toISOString();
    expect(incidentsOf(runs('ddd'), now, { limit: 5, detail: true, downSince: since })[0]).toMatchObject({ start: since, durationMs: 70 * M, ongoing: true });
    // A good run among those read dates the start exactly.
    expect(incidentsOf(runs('udd'), now, { limit: 5, detail: true, downSince: since })[0]?.start).toBe(new Date(T0 + M).toISOString());
  });
});

describe('failureReason', () => {
  const down = { status: 'down', httpStatus: 503, conditions: [STATUS_503, { condition: '[BODY].status == UP', success: true, actual: 'UP' }], error: { kind: 'conditions', message: '[STATUS] (503) == 200' } } as const;
  it.each([
    // The failed conditions are worded as the alert about the same run words them (domain/alerting/event.ts).
    { run: down, detail: true, reason: 'conditions failed (HTTP 503): [STATUS] == 200 (actual: 503)' },
    { run: down, detail: false, reason: 'conditions failed (HTTP 503)' },
    { run: { status: 'error', httpStatus: null, conditions: [], error: { kind: 'connect', message: 'connect ECONNREFUSED 10.0.0.7:443' } }, detail: false, reason: 'connection failed' },
    { run: { status: 'down', httpStatus: null, conditions: [], error: { kind: 'timeout', message: 'no answer in 10 s' } }, detail: true, reason: 'timed out: no answer in 10 s' },
    { run: { status: 'down', httpStatus: 500, conditions: [] }, detail: true, reason: 'failed (HTTP 500)' },
  ] as const)('$reason', ({ run, detail, reason }) => {
    expect(failureReason(run, detail)).toBe(reason);
  });

  it('is at most 300 characters', () => {
    expect(failureReason({ status: 'error', httpStatus: null, conditions: [], error: { kind: 'internal', message: 'x'.repeat(1_000) } }, true)).toHaveLength(300);
  });
});
