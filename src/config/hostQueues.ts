import { z } from 'zod';
import { configError } from '../domain/errors.js';

/** `extensions.queues` of host.json as the local host applies it (docs/scaling.md has each option's cost). */
export interface QueueOptions {
  /** Messages fetched per request (1-32). */
  readonly batchSize: number;
  /** The next batch is fetched when this many or fewer messages are in flight. */
  readonly newBatchThreshold: number;
  /** Longest wait between two polls of an empty queue, in ms (polling backs off up to it). */
  readonly maxPollingIntervalMs: number;
  /** How long a failed message stays invisible before it is delivered again, in ms. */
  readonly visibilityTimeoutMs: number;
  /** Deliveries of a message that fails before it moves to `<queue>-poison`. */
  readonly maxDequeueCount: number;
  readonly messageEncoding: 'base64' | 'none';
}

/** `[d.]hh:mm:ss[.fff]`, as .NET writes a TimeSpan, in ms; undefined if it is not one. */
function timeSpanMs(text: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days = '0', h = '0', m = '0', s = '0', fraction = '0'] = match;
  return ((Number(days) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1_000 + Math.round(Number(`0.${fraction}`) * 1_000);
}

/** A time span "hh:mm:ss" (or a number of ms), in ms. */
const timeSpan = z.unknown().transform((value, ctx) => {
  const ms = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : typeof value === 'string' ? timeSpanMs(value) : undefined;
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'must be a time span "hh:mm:ss", e.g. "00:00:02"' });
  return ms ?? 0;
});

const schema = z.object({
  batchSize: z.number().int().min(1).max(32).optional(),
  newBatchThreshold: z.number().int().min(0).optional(),
  maxPollingInterval: timeSpan.optional(),
  visibilityTimeout: timeSpan.optional(),
  maxDequeueCount: z.number().int().min(1).optional(),
  messageEncoding: z.enum(['base64', 'none']).optional(),
});

/**
 * The queue options of a host.json (its parsed JSON), with the Functions host's defaults for what
 * it leaves out: batchSize 16, newBatchThreshold batchSize / 2 × processors, maxPollingInterval
 * 1 min (at least 100 ms), visibilityTimeout 0, maxDequeueCount 5, base64.
 * @throws PulsecheckError `config_invalid` naming the option.
 */
export function parseQueueOptions(hostJson: unknown, processorCount: number): QueueOptions {
  const queues = (hostJson as { extensions?: { queues?: unknown } } | null)?.extensions?.queues ?? {};
  const parsed = schema.safeParse(queues);
  if (!parsed.success) {
    throw configError(
      parsed.error.issues.map((issue) => {
        const path = ['extensions', 'queues', ...issue.path.map(String)].join('.');
        return { path, message: `${path} ${issue.message}` };
      }),
      'host.json',
    );
  }
  const q = parsed.data;
  const batchSize = q.batchSize ?? 16;
  return {
    batchSize,
    newBatchThreshold: q.newBatchThreshold ?? Math.floor(batchSize / 2) * processorCount,
    maxPollingIntervalMs: Math.max(100, q.maxPollingInterval ?? 60_000),
    visibilityTimeoutMs: q.visibilityTimeout ?? 0,
    maxDequeueCount: q.maxDequeueCount ?? 5,
    messageEncoding: q.messageEncoding ?? 'base64',
  };
}
