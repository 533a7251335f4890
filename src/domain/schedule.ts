import { Cron } from 'croner';

/**
 * When a job runs: an NCRONTAB expression (6 fields with seconds first, or 5 fields) evaluated in an
 * IANA time zone, or a fixed interval aligned to the Unix epoch (so `every: "5m"` runs at :00, :05, …
 * on every instance alike).
 */
export type Schedule =
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone: string; readonly cron: Cron }
  | { readonly kind: 'every'; readonly text: string; readonly everyMs: number };

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses a duration such as `500ms`, `30s`, `5m`, `48h`, `7d` into milliseconds; `undefined` if malformed. */
export function parseDuration(text: string): number | undefined {
  const match = durationPattern.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (units[match[2] as string] as number));
}

/** Smallest interval accepted for `every`, in milliseconds (1 s: the cron schedules' resolution). */
export const MIN_INTERVAL_MS = 1_000;

/**
 * Compiles a schedule once, when the job is loaded. Returns an error sentence (without the field
 * name) when the text is not valid.
 */
export function compileCron(expression: string, timezone: string): Schedule | string {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `"${expression}" is not NCRONTAB (expected 5 or 6 fields, got ${fields})`;
  }
  try {
    const cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    return { kind: 'cron', expression, timezone, cron };
  } catch (error) {
    const detail = (error as Error).message.replace(/^CronPattern: /, '');
    return `"${expression}" is not NCRONTAB (${detail})`;
  }
}

export function compileEvery(text: string): Schedule | string {
  const everyMs = parseDuration(text);
  if (everyMs === undefined) return `"${text}" is not an interval (expected a number and a unit, e.g. "30s", "5m", "1h")`;
  if (everyMs < MIN_INTERVAL_MS) return `"${text}" is shorter than the minimum of 1s`;
  return { kind: 'every', text, everyMs };
}

/** The first occurrence strictly after `after` (epoch ms), or `undefined` if the schedule never fires again. */
export function nextOccurrence(schedule: Schedule, after: number): number | undefined {
  if (schedule.kind === 'every') return (Math.floor(after / schedule.everyMs) + 1) * schedule.everyMs;
  return schedule.cron.nextRun(new Date(after))?.getTime();
}

/** The latest occurrence at or before `atOrBefore` (epoch ms), or `undefined` if there is none. */
export function previousOccurrence(schedule: Schedule, atOrBefore: number): number | undefined {
  if (schedule.kind === 'every') return Math.floor(atOrBefore / schedule.everyMs) * schedule.everyMs;
  // croner's previousRuns is exclusive of the reference instant; nudge it by 1 ms to include it.
  return schedule.cron.previousRuns(1, new Date(atOrBefore + 1))[0]?.getTime();
}

/** Human description used in API responses: the expression and its zone, or the interval. */
export const describeSchedule = (schedule: Schedule): string =>
  schedule.kind === 'every' ? `every ${schedule.text}` : `${schedule.expression} (${schedule.timezone})`;
