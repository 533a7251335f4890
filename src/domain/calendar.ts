/**
 * Hours and days as bucket edges. Hours are UTC hours (epoch ms multiples of 3 600 000); days are
 * calendar days of a time zone (`PULSECHECK_STATUS_TIMEZONE`), so a day with a DST change lasts 23
 * or 25 hours. Pure: the zone rules come from `Intl`, the instant is an argument.
 */

export const HOUR_MS = 3_600_000;

/** The start of the UTC hour holding `at` (epoch ms). */
export const hourStart = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;

const formats = new Map<string, Intl.DateTimeFormat>();
function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formats.set(timeZone, f);
  }
  return f;
}

/** Whether `timeZone` is an IANA zone name this runtime knows (e.g. `UTC`, `Europe/Berlin`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    format(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `at` in `timeZone`. */
function wall(at: number, timeZone: string): { y: number; m: number; d: number; asUtc: number } {
  const parts: Record<string, number> = {};
  for (const p of format(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return { y: year, m: month, d: day, asUtc: Date.UTC(year, month - 1, day, hour, minute, second) };
}

/** The zone's offset from UTC at `at`, in ms (Berlin in summer: +7 200 000). */
const offsetAt = (at: number, timeZone: string): number => wall(Math.floor(at / 1_000) * 1_000, timeZone).asUtc - Math.floor(at / 1_000) * 1_000;

/** The calendar date of `at` in `timeZone`, `YYYY-MM-DD`. */
export function dateIn(at: number, timeZone: string): string {
  const { y, m, d } = wall(at, timeZone);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * The first instant (epoch ms) of calendar date `date` (`YYYY-MM-DD`) in `timeZone`: local midnight,
 * or the first instant after it where midnight does not exist (a DST change at midnight).
 */
export function dateStart(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const midnight = Date.UTC(y, m - 1, d);
  // Two passes find the offset in force at local midnight, whichever side of a change it is on.
  let guess = midnight - offsetAt(midnight, timeZone);
  guess = midnight - offsetAt(guess, timeZone);
  // Midnight skipped by a change: the day starts at the change, found within the hour before.
  if (dateIn(guess, timeZone) !== date) guess = firstOf(date, timeZone, guess);
  // An earlier instant may still be on `date` (the offset grew over midnight): step back by hours.
  while (dateIn(guess - HOUR_MS, timeZone) === date) guess -= HOUR_MS;
  return guess;
}

/** The first minute on or after `from` (epoch ms, within a day) whose date in `timeZone` is `date`. */
function firstOf(date: string, timeZone: string, from: number): number {
  let at = from - 2 * HOUR_MS;
  for (let i = 0; i < 6 * 60 && dateIn(at, timeZone) !== date; i++) at += 60_000;
  return at;
}

/** The date after `date` (`YYYY-MM-DD`, proleptic Gregorian). */
export function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The date `days` days before `date` (`YYYY-MM-DD`). */
export function dateMinus(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
}

/** The day of `timeZone` holding `at`: its date and its edges (epoch ms, `end` exclusive). */
export function dayOf(at: number, timeZone: string): { date: string; start: number; end: number } {
  const date = dateIn(at, timeZone);
  return { date, start: dateStart(date, timeZone), end: dateStart(nextDate(date), timeZone) };
}

/** A bucket's edges, epoch ms (`end` exclusive). */
export interface Period {
  readonly start: number;
  readonly end: number;
}

/**
 * The hours (UTC) or days (of `timeZone`) from the one holding `from` up to the one holding the
 * instant before `to` (epoch ms), oldest first.
 */
export function periodsBetween(span: 'hour' | 'day', from: number, to: number, timeZone: string): Period[] {
  const periods: Period[] = [];
  if (span === 'hour') {
    for (let start = hourStart(from); start < to; start += HOUR_MS) periods.push({ start, end: start + HOUR_MS });
    return periods;
  }
  let { date, start } = dayOf(from, timeZone);
  while (start < to) {
    date = nextDate(date);
    const end = dateStart(date, timeZone);
    periods.push({ start, end });
    start = end;
  }
  return periods;
}
