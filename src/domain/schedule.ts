import { Cron } from 'croner';

/**
 * When a job runs: an NCRONTAB expression (6 fields with seconds first, or 5 fields) evaluated in an
 * IANA time zone, or a fixed interval aligned to the Unix epoch (so `every: "5m"` runs at :00, :05, …
 * on every instance alike).
 */
export type Schedule =
  | {
      readonly kind: 'cron';
      readonly expression: string;
      readonly timezone: string;
      readonly cron: Cron;
      /** Set when the expression is a fixed period (`fixedPeriod`): its occurrences are arithmetic, croner is not asked. */
      readonly fixed?: FixedPeriod;
    }
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

/** Distinct expressions (with their zone) whose croner object is shared; past it, the cache starts over. */
const MAX_SHARED_CRONS = 1_000;
const crons = new Map<string, Cron>();

/**
 * One croner object per expression and zone, shared by every job that has them: a paused `Cron` is
 * only asked for runs around given instants (`nextRun`, `previousRuns`), which reads its pattern and
 * changes nothing, and each one holds about 80 KB (croner keeps a table of years), so 1 000 jobs on
 * `*\/10 * * * * *` would hold 80 MB of identical tables.
 */
function sharedCron(expression: string, timezone: string): Cron {
  const key = `${timezone}\n${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(expression, { timezone, paused: true, mode: '5-or-6-parts' });
    if (crons.size >= MAX_SHARED_CRONS) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

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
    const cron = sharedCron(expression, timezone);
    const fixed = fixedPeriod(expression);
    return { kind: 'cron', expression, timezone, cron, ...(fixed ? { fixed } : {}) };
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

/** Occurrences at every instant `offsetMs` past a multiple of `periodMs` since the Unix epoch (ms). */
export interface FixedPeriod {
  readonly periodMs: number;
  readonly offsetMs: number;
}

const ANY = /^\*(\/1)?$/;
const SECONDS = /^(?:\*|\*\/(\d{1,2})|(\d{1,2}))$/;

/**
 * The fixed period of an NCRONTAB expression whose only restricted field is the seconds: `*`, `*\/N`
 * (N dividing 60) or one second, every other field `*` (or `*\/1`); 5 fields all `*` is every
 * minute. Such a schedule is the same in every time zone and across DST changes, because zone
 * offsets are whole minutes, so it is computed without croner. `undefined` for anything else.
 */
export function fixedPeriod(expression: string): FixedPeriod | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 5) return fields.every((f) => ANY.test(f)) ? { periodMs: 60_000, offsetMs: 0 } : undefined;
  if (fields.length !== 6 || !fields.slice(1).every((f) => ANY.test(f))) return undefined;
  const seconds = SECONDS.exec(fields[0] as string);
  if (!seconds) return undefined;
  const [, step, second] = seconds;
  if (second !== undefined) return Number(second) < 60 ? { periodMs: 60_000, offsetMs: Number(second) * 1_000 } : undefined;
  const every = step === undefined ? 1 : Number(step);
  return every >= 1 && 60 % every === 0 ? { periodMs: every * 1_000, offsetMs: 0 } : undefined;
}

/** The first occurrence strictly after `after` (epoch ms), or `undefined` if the schedule never fires again. */
export function nextOccurrence(schedule: Schedule, after: number): number | undefined {
  if (schedule.kind === 'every') return (Math.floor(after / schedule.everyMs) + 1) * schedule.everyMs;
  const { fixed } = schedule;
  if (fixed) return (Math.floor((after - fixed.offsetMs) / fixed.periodMs) + 1) * fixed.periodMs + fixed.offsetMs;
  return schedule.cron.nextRun(new Date(after))?.getTime();
}

/** The latest occurrence at or before `atOrBefore` (epoch ms), or `undefined` if there is none. */
export function previousOccurrence(schedule: Schedule, atOrBefore: number): number | undefined {
  if (schedule.kind === 'every') return Math.floor(atOrBefore / schedule.everyMs) * schedule.everyMs;
  const { fixed } = schedule;
  if (fixed) return Math.floor((atOrBefore - fixed.offsetMs) / fixed.periodMs) * fixed.periodMs + fixed.offsetMs;
  // croner's previousRuns is exclusive of the reference instant; nudge it by 1 ms to include it.
  return schedule.cron.previousRuns(1, new Date(atOrBefore + 1))[0]?.getTime();
}

/** Human description used in API responses: the expression and its zone, or the interval. */
export const describeSchedule = (schedule: Schedule): string =>
  schedule.kind === 'every' ? `every ${schedule.text}` : `${schedule.expression} (${schedule.timezone})`;
