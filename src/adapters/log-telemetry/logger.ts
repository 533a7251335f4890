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

/** A readable line per record: runs as `12:00:10 ✔ selfHealth up 200 in 3 ms (1 attempt)`. */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
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
    return `${time} ${ICONS[status] ?? '?'} ${String(record.job)} ${status}${http}${tries}${reason}`;
  }
  const { time: _t, level, msg, service: _s, pid: _p, hostname: _h, ...rest } = record;
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${time} ${String(level).toUpperCase()} ${String(msg ?? '')}${extra}`;
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
