import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, escapeControls, formatPretty } from '../../../src/adapters/log-telemetry/logger.js';

const TIME = '2026-11-23T12:01:15.123Z';
const run = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'warn', time: TIME, event: 'run', job: 'api', status: 'down', httpStatus: 503, attempts: 1, durationMs: 12, failedConditions: [], errorKind: null, errorMessage: null, ...fields });

/** Whether `text` holds anything a terminal would act on: C0, DEL, C1, line/paragraph separators, bidi controls. */
const hasRawControl = (text: string): boolean =>
  [...text].some((char) => {
    const code = char.codePointAt(0) as number;
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || [0x61c, 0x200e, 0x200f, 0x2028, 0x2029].includes(code) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
  });

/** What a logger wrote, line by line, once it has flushed. */
async function written(format: 'json' | 'pretty', log: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  log(createLogger({ level: 'info', format, stream }));
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

describe('log hygiene: outside text cannot forge lines or recolour the terminal', () => {
  it.each([
    { what: 'a line feed', text: 'a\nb', escaped: 'a\\nb' },
    { what: 'a carriage return', text: 'a\rb', escaped: 'a\\rb' },
    { what: 'a tab', text: 'a\tb', escaped: 'a\\tb' },
    { what: 'an ANSI colour (ESC [31m)', text: '\u001b[31mred\u001b[0m', escaped: '\\x1b[31mred\\x1b[0m' },
    { what: 'a bell and a backspace', text: 'a\u0007\bb', escaped: 'a\\x07\\x08b' },
    { what: 'DEL', text: 'a\u007fb', escaped: 'a\\x7fb' },
    { what: 'the one-character CSI (C1)', text: '\u009b31m', escaped: '\\x9b31m' },
    { what: 'NEL (C1)', text: 'a\u0085b', escaped: 'a\\x85b' },
    { what: 'the line and paragraph separators', text: 'a\u2028b\u2029c', escaped: 'a\\u2028b\\u2029c' },
    { what: 'a right-to-left override', text: 'txt.\u202eexe', escaped: 'txt.\\u202eexe' },
    { what: 'bidi isolates and marks', text: '\u2066a\u2069\u200f\u061c', escaped: '\\u2066a\\u2069\\u200f\\u061c' },
    { what: 'ordinary text, backslashes and non-ASCII', text: 'C:\\jobs ✔ café – ok', escaped: 'C:\\jobs ✔ café – ok' },
  ])('escapeControls: $what', ({ text, escaped }) => {
    expect(escapeControls(text)).toBe(escaped);
  });

  const forged = 'x\n12:00:00 ✔ billing up 200\r\u001b[32mforged\u001b[0m';
  const shown = 'x\\n12:00:00 ✔ billing up 200\\r\\x1b[32mforged\\x1b[0m';

  it.each([
    {
      what: 'a job name',
      line: run({ job: forged, errorKind: 'timeout', errorMessage: 'slow' }),
      expected: `12:01:15 ✘ ${shown} down 503 in 12 ms (1 attempt): timeout (slow)`,
    },
    {
      what: "a target's error message",
      line: run({ httpStatus: null, errorKind: 'protocol', errorMessage: forged }),
      expected: `12:01:15 ✘ api down in 12 ms (1 attempt): protocol (${shown})`,
    },
    {
      what: "a failed condition's actual value",
      line: run({ errorKind: 'conditions', failedConditions: [`[BODY] (${forged}) == OK`] }),
      expected: `12:01:15 ✘ api down 503 in 12 ms (1 attempt): [BODY] (${shown}) == OK`,
    },
    {
      what: 'a message',
      line: JSON.stringify({ level: 'info', time: TIME, msg: forged }),
      expected: `12:01:15 INFO ${shown}`,
    },
    {
      what: 'an extra field (JSON-escaped C0; C1 and bidi escaped here)',
      line: JSON.stringify({ level: 'error', time: TIME, msg: 'failed', job: 'a\u009b31m\u202e', err: { message: forged } }),
      expected: `12:01:15 ERROR failed {"job":"a\\x9b31m\\u202e","err":{"message":"x\\n12:00:00 ✔ billing up 200\\r\\u001b[32mforged\\u001b[0m"}}`,
    },
    { what: 'a line that is not JSON', line: `plain ${forged}`, expected: `plain ${shown}` },
  ])('formatPretty prints $what on one escaped line', ({ line, expected }) => {
    const text = formatPretty(line);
    expect(text).toBe(expected);
    expect(hasRawControl(text)).toBe(false);
  });

  it('the pretty console writes one line per record, whatever the record holds', async () => {
    const text = await written('pretty', (logger) => logger.warn({ job: forged, err: new Error(forged) }, forged));
    expect(text.split('\n')).toHaveLength(2); // one line and its end
    expect(hasRawControl(text.slice(0, -1))).toBe(false);
    expect(text).toContain(`WARN ${shown} {`);
  });

  it('JSON lines escape C0 controls themselves: one line, parsed back to the same text', async () => {
    const text = await written('json', (logger) => logger.info({ job: forged }, forged));
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect([...(lines[0] as string)].some((char) => char < ' ')).toBe(false);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ msg: forged, job: forged });
  });
});
