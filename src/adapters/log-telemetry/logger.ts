import { writeSync } from 'node:fs';
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
    options.stream ?? new LineBatch(pino.destination({ fd: options.fd ?? 1, sync: false, minLength: 4_096, periodicFlush: 250 }), options.fd ?? 1);
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

type Boom = ReturnType<typeof pino.destination>;

/** Characters a batch holds before it is handed on at once (sonic-boom's own chunks are 16 KiB). */
const BATCH_CHARS = 8_192;
/** Batches not handed on yet, written when the process exits (pino then flushes sonic-boom). */
const pending = new Set<LineBatch>();
let exitHooked = false;

/**
 * The lines of one turn of the event loop (the run lines of a telemetry drain), handed to sonic-boom
 * as one string. sonic-boom measures the byte length of its pending text on every write, so a line
 * at a time re-read (and copied) the whole pending text once per line, a few KiB per check.
 */
class LineBatch implements DestinationStream {
  #lines: string[] = [];
  #chars = 0;
  #scheduled = false;

  constructor(
    readonly target: Boom,
    /** The file descriptor `target` writes to. */
    readonly fd: number,
  ) {}

  write(line: string): void {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#lines.length === 1) pending.add(this);
    if (this.#chars >= BATCH_CHARS) this.#handOn();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      if (!exitHooked) {
        exitHooked = true;
        process.once('exit', () => {
          for (const batch of pending) batch.flushSync();
        });
      }
      setImmediate(() => {
        this.#scheduled = false;
        this.#handOn();
      });
    }
  }

  /** pino's `flush` (and `logger.flush()`): what is batched, then sonic-boom's own. */
  flush(callback?: (error?: Error) => void): void {
    this.#handOn();
    this.target.flush(callback);
  }

  /**
   * At exit (no event loop left): sonic-boom's pending text, then the batch, written synchronously
   * (handed to sonic-boom, a long batch would start an asynchronous write that never ends).
   */
  flushSync(): void {
    pending.delete(this);
    this.target.flushSync();
    const text = this.#take();
    if (text !== undefined) writeAllSync(this.fd, text);
  }

  #handOn(): void {
    pending.delete(this);
    const text = this.#take();
    if (text !== undefined) this.target.write(text);
  }

  #take(): string | undefined {
    if (this.#lines.length === 0) return undefined;
    const text = this.#lines.length === 1 ? (this.#lines[0] as string) : this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    return text;
  }
}

/** Writes `text` to `fd` now, waiting out a full pipe (EAGAIN) a few times; gives up quietly (the process is exiting). */
function writeAllSync(fd: number, text: string): void {
  let rest = Buffer.from(text, 'utf8');
  for (let busy = 0; rest.length > 0 && busy < 50; ) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EBUSY') return;
      busy++;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
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
