import diagnostics from 'node:diagnostics_channel';
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { Logger } from '../../app/ports/index.js';

/** Writes one record as pino would; `false` when it cannot, and the caller logs through pino. */
export type JsonLineWriter = (level: 'info' | 'warn' | 'error', fields: object, message: string) => boolean;

const {
  asJsonSym, chindingsSym, endSym, formattersSym, hooksSym, lsCacheSym, messageKeySym, mixinSym, needsMetadataGsym, nestedKeySym, serializersSym, streamSym, stringifiersSym, timeSym,
} = pino.symbols;

/**
 * dd-trace's pino integration adds its `dd` field to the line pino made through this channel
 * (when it has subscribers and the record has no `dd` of its own): such records go through pino.
 */
const ddTraceLines = diagnostics.channel('apm:pino:log:json');

/** A pino logger's own parts, by its exported symbols. */
type Internals = Record<symbol, unknown> & Pick<PinoLogger, 'isLevelEnabled' | 'levels'>;

/**
 * A dedicated writer of records whose fields are plain JSON (strings, finite numbers, booleans,
 * null, arrays and plain objects of them; `undefined` fields are left out): the line pino writes
 * for them, made with one `JSON.stringify` instead of pino's generic serialiser (about a tenth of
 * its CPU for a run line), and written to the logger's own stream, so the level filter, the
 * destination and the line format stay pino's (`{"level":…,"time":…,<bindings>,<fields>,"msg":…}`).
 *
 * Undefined (pino's own path is kept) for a logger that is not a plain pino logger, or one with a
 * mixin, a `log` formatter, a stream-write hook, redaction, a nested key, serialisers other than
 * `err` (the fields must not carry `err`) or a stream that wants each record's metadata.
 */
export function jsonLineWriter(logger: Logger): JsonLineWriter | undefined {
  const internals = logger as unknown as Internals;
  const own = <T>(symbol: symbol) => internals[symbol] as T;
  if (typeof internals.isLevelEnabled !== 'function' || typeof own(lsCacheSym) !== 'object' || typeof own(asJsonSym) !== 'function') return undefined;
  if (own(mixinSym) || own<{ log?: unknown }>(formattersSym)?.log || own<{ streamWrite?: unknown }>(hooksSym)?.streamWrite || own(nestedKeySym)) return undefined;
  if (Object.keys(own<object>(stringifiersSym) ?? {}).length > 0 || Object.keys(own<object>(serializersSym) ?? {}).some((key) => key !== 'err')) return undefined;
  const stream = own<(DestinationStream & Record<symbol, unknown>) | undefined>(streamSym);
  if (!stream || stream[needsMetadataGsym] === true) return undefined;
  const levels = own<Record<number, string>>(lsCacheSym);
  const time = own<() => string>(timeSym);
  const end = own<string>(endSym);
  const messageKey = `,${JSON.stringify(own<string>(messageKeySym))}:`;
  return (level, fields, message) => {
    if (ddTraceLines.hasSubscribers) return false;
    if (!internals.isLevelEnabled(level)) return true;
    const props = JSON.stringify(fields);
    // pino's order: the level (`{"level":"info"`), the time, the bindings, the fields, the message.
    const body = props.length > 2 ? `,${props.slice(1, -1)}` : '';
    stream.write(`${levels[internals.levels.values[level] as number]}${time.call(internals)}${own<string>(chindingsSym)}${body}${messageKey}${JSON.stringify(message)}${end}`);
    return true;
  };
}
