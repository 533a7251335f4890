import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** `json`: one JSON object per line (Azure, containers). `pretty`: a readable line (local console). */
  readonly format: 'json' | 'pretty';
  /** File descriptor to write to. Default 1 (stdout). */
  readonly fd?: number;
  /** A stream instead of a file descriptor (tests, the benchmark). */
  readonly stream?: DestinationStream;
}

/**
 * The structured logger (pino). Field names are those of docs/telemetry.md (The log);
 * `dd.trace_id` / `dd.span_id` are added by dd-trace's pino integration when Datadog is on.
 */
export function createLogger(options: LoggerOptions): PinoLogger {
  // Buffered, asynchronous writes: lines go out in batches of 4 KiB or every 250 ms, instead of one
  // system call per line on the check path. pino flushes what is pending when the process exits.
  const target =
    options.stream ?? pino.destination({ fd: options.fd ?? 1, sync: false, minLength: 4_096, periodicFlush: 250 });
  const stream = options.format === 'pretty' ? prettyStream(target) : target;
  return pino(
    {
      level: options.level,
      base: { service: 'pulsecheck' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
}

const ICONS: Record<string, string> = { up: '✔', down: '✘', skipped: '–', error: '!' };

/**
 * A readable line per record: runs as `12:00:10 ✔ selfHealth up 200 in 3 ms (1 attempt)`. Text from
 * outside (job names, targets' error messages and echoed values, any extra field) is printed through
 * `escapeControls`, so a target cannot start a new line, forge a log line or recolour the terminal.
 */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return escapeControls(line);
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
  if (record.event === 'run') {
    const status = String(record.status);
    const attempts = Number(record.attempts);
    const http = record.httpStatus === null ? '' : ` ${String(record.httpStatus)}`;
    // A run with no response is told by its error (conditions on a missing status say less).
    const reason = record.errorKind && record.errorKind !== 'conditions'
      ? `: ${String(record.errorKind)} (${String(record.errorMessage)})`
      : Array.isArray(record.failedConditions) && record.failedConditions.length > 0
        ? `: ${record.failedConditions.join('; ')}`
        : '';
    const tries = status === 'skipped' ? '' : ` in ${String(record.durationMs)} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`;
    return escapeControls(`${time} ${ICONS[status] ?? '?'} ${String(record.job)} ${status}${http}${tries}${reason}`);
  }
  const { time: _t, level, msg, service: _s, pid: _p, hostname: _h, ...rest } = record;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return escapeControls(`${time} ${String(level).toUpperCase()} ${String(msg ?? '')}${extra}`);
}

/**
 * What a terminal would act on instead of print: C0 controls (LF, CR, ESC, BEL, backspace, tab …),
 * DEL, C1 controls (U+0080–U+009F, among them the one-character CSI U+009B and NEL U+0085), the
 * Unicode line and paragraph separators, and the bidirectional marks and overrides that reorder
 * what is shown (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069).
 */
const CONTROLS = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` on one line, with every control character, escape sequence introducer and bidi override
 * written out as `\n`, `\r`, `\t`, `\xHH` or `\uHHHH`: an ANSI sequence `ESC [31m` prints as
 * `\x1b[31m`, harmless. Backslashes are left alone (a target can print `\n`, not make a line).
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (char) => {
    const code = char.charCodeAt(0);
    return NAMED[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}

function prettyStream(target: DestinationStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') target.write(`${formatPretty(line)}\n`);
      }
      callback();
    },
  });
}
