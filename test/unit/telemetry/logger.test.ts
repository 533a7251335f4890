import { describe, expect, it } from 'vitest';
import { formatPretty } from '../../../src/adapters/log-telemetry/logger.js';

const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'warn', time: '2026-11-23T12:01:15.123Z', event: 'run', job: 'api', attempts: 3, durationMs: 12, failedConditions: [], errorKind: null, errorMessage: null, ...fields });

describe('formatPretty: the readable line of a run', () => {
  it('gives the failed conditions, with their actual values, when a response failed them', () => {
    const text = formatPretty(line({ status: 'down', httpStatus: 503, failedConditions: ['[STATUS] (503) == 200'], errorKind: 'conditions', errorMessage: '[STATUS] (503) == 200' }));
    expect(text).toBe('12:01:15 ✘ api down 503 in 12 ms (3 attempts): [STATUS] (503) == 200');
  });

  it('gives the error when no response came, not the conditions it left unmet', () => {
    const text = formatPretty(
      line({ status: 'down', httpStatus: null, failedConditions: ['[STATUS] (missing) == 200'], errorKind: 'connect', errorMessage: 'connect ECONNREFUSED 127.0.0.1:7071' }),
    );
    expect(text).toBe('12:01:15 ✘ api down in 12 ms (3 attempts): connect (connect ECONNREFUSED 127.0.0.1:7071)');
  });

  it('gives the reason of a skipped run, without a duration', () => {
    const text = formatPretty(line({ status: 'skipped', httpStatus: null, attempts: 0, errorKind: 'circuit-open', errorMessage: 'the circuit breaker is open' }));
    expect(text).toBe('12:01:15 – api skipped: circuit-open (the circuit breaker is open)');
  });

  it('leaves a line that is not JSON as it is', () => {
    expect(formatPretty('plain text')).toBe('plain text');
  });
});
