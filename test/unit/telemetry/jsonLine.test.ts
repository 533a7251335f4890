import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { jsonLineWriter } from '../../../src/adapters/log-telemetry/jsonLine.js';
import { createLogger } from '../../../src/adapters/log-telemetry/logger.js';
import { LogTelemetry } from '../../../src/adapters/log-telemetry/logTelemetry.js';
import type { Run } from '../../../src/domain/run.js';
import { job } from '../../support/jobs.js';

/** A logger as the app makes it, over a stream that keeps its lines. */
function capture(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split(/(?<=\n)/));
      callback();
    },
  });
  return { logger: createLogger({ level, format: 'json', stream }), lines };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));
/** The line without its time, which differs between two writes. */
const timeless = (line: string | undefined) => line?.replace(/"time":"[^"]*"/, '"time":"T"');

describe('jsonLineWriter: the run line written as pino writes it', () => {
  it.each([
    { name: 'a run line', fields: { event: 'run', job: 'api', success: true, attempts: 1, httpStatus: 200, failedConditions: [], errorKind: null, tags: { team: 'core' }, timings: { dns: 0, total: 12.5 } } },
    { name: 'undefined fields left out', fields: { event: 'run', maintenance: undefined, parentRunId: undefined, job: 'a' } },
    { name: 'text that needs escaping', fields: { errorMessage: 'a "quoted"\nline\\ with \u001b[31m and é, 漢字, \u2028', job: 'x'.repeat(80) } },
    { name: 'numbers pino writes as null', fields: { latenessMs: Number.NaN, durationMs: Number.POSITIVE_INFINITY } },
    { name: 'no fields', fields: {} },
  ])('$name: the same line as pino', async ({ fields }) => {
    const { logger, lines } = capture();
    const write = jsonLineWriter(logger);
    expect(write).toBeDefined();
    logger.warn(fields, 'api down "now"');
    expect(write?.('warn', fields, 'api down "now"')).toBe(true);
    await flushed();
    expect(lines).toHaveLength(2);
    expect(timeless(lines[1])).toBe(timeless(lines[0]));
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 'warn', service: 'pulsecheck', msg: 'api down "now"' });
  });

  it('writes nothing below the logger level, and says the record was handled', async () => {
    const { logger, lines } = capture('warn');
    expect(jsonLineWriter(logger)?.('info', { event: 'run' }, 'api up')).toBe(true);
    await flushed();
    expect(lines).toEqual([]);
  });

  it('is not used for a logger that is not plain pino (a mixin, redaction, another logger)', () => {
    const stream = { write: () => undefined };
    expect(jsonLineWriter(pino({ mixin: () => ({ extra: 1 }) }, stream))).toBeUndefined();
    expect(jsonLineWriter(pino({ redact: ['secret'] }, stream))).toBeUndefined();
    expect(jsonLineWriter({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined })).toBeUndefined();
  });
});

describe('LogTelemetry: the run line (docs/telemetry.md, The log)', () => {
  const base: Run = {
    runId: 'api@2026-12-02T10:00:00.000Z',
    job: 'api',
    trigger: 'schedule',
    scheduledAt: '2026-12-02T10:00:00.000Z',
    startedAt: '2026-12-02T10:00:00.040Z',
    durationMs: 12,
    attempts: 1,
    status: 'up',
    success: true,
    httpStatus: 200,
    conditions: [{ condition: '[STATUS] == 200', success: true, actual: '200' }],
    timings: { dns: 0, connect: 0, tls: 0, firstByte: 11, total: 12 },
    location: 'test',
  };
  const target = job({ url: 'https://api.example.com/', conditions: ['[STATUS] == 200'], tags: { team: 'core' } });

  it('carries the run flat, in this order, with the optional fields only when they apply', async () => {
    const { logger, lines } = capture();
    const log = new LogTelemetry(logger);
    log.runCompleted(base, target);
    log.runCompleted({ ...base, status: 'down', success: false, httpStatus: 503, maintenance: true, parentRunId: 'p', error: { kind: 'conditions', message: '[STATUS] (503) == 200' }, conditions: [{ condition: '[STATUS] == 200', success: false, actual: '503' }] }, target, { traceId: 't', spanId: 's', logFields: { dd: { trace_id: 't' } } });
    await flushed();
    const [up, down] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(up ?? {})).toEqual(['level', 'time', 'service', 'event', 'job', 'runId', 'trigger', 'status', 'success', 'attempts', 'durationMs', 'httpStatus', 'scheduledAt', 'startedAt', 'latenessMs', 'failedConditions', 'errorKind', 'errorMessage', 'location', 'tags', 'timings', 'msg']);
    expect(up).toMatchObject({ level: 'info', latenessMs: 40, failedConditions: [], errorKind: null, tags: { team: 'core' }, msg: 'api up' });
    expect(down).toMatchObject({ level: 'warn', maintenance: true, parentRunId: 'p', failedConditions: ['[STATUS] (503) == 200'], errorKind: 'conditions', dd: { trace_id: 't' }, msg: 'api down' });
  });
});
