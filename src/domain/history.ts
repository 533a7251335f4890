import type { Run } from './run.js';

/**
 * Ordering and paging of run history and the audit log. Both are listed newest first: the sort key
 * starts with the instant subtracted from a constant, so that ascending key order (the only order
 * Table Storage keeps) is newest first. The memory store and the Table store share these keys, so
 * their pages — and the cursors that continue them — are the same.
 */

/** Largest epoch ms a key can hold (year 2286); keys are 13 digits. */
const MAX_MS = 9_999_999_999_999;

/** `at` (epoch ms) as 13 digits that sort newest first. */
export const invertedTime = (at: number): string => String(MAX_MS - Math.max(0, Math.min(MAX_MS, Math.round(at)))).padStart(13, '0');

/** The instant encoded by `invertedTime`. */
export const timeOfKey = (key: string): number => MAX_MS - Number(key.slice(0, 13));

/** Sort key of a run: newest `scheduledAt` first, then by run id (unique per job). */
export const runKey = (run: Pick<Run, 'scheduledAt' | 'runId'>): string =>
  `${invertedTime(Date.parse(run.scheduledAt))}_${keySafe(run.runId)}`;

/** `id` without the characters Table keys forbid (`/ \ # ?`, controls), percent-encoded so keys stay unique. */
const keySafe = (id: string): string =>
  id.replace(/[^!-~]|[/\\#?%]/g, (c) => encodeURIComponent(c));

/** Keys are 13 digits, `_`, then an id of visible ASCII characters other than `/ \ # ?` (Table key rules). */
const KEY = /^\d{13}_[!-~]{1,200}$/;
const FORBIDDEN_IN_KEY = /[/\\#?]/;

/** A page of a list, newest first; `nextCursor` continues it and is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

/** Where a page starts: up to `limit` items whose key is greater than `after` (all when absent). */
export interface PageRequest {
  /** Items per page, at least 1. */
  readonly limit: number;
  /** Sort key of the last item of the previous page. */
  readonly after?: string;
}

/** An opaque cursor for the item with sort key `key` (base64url; clients must not parse it). */
export const encodeCursor = (key: string): string => btoa(`v1:${key}`).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** The sort key in a cursor, or `undefined` when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return undefined;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  const key = text.startsWith('v1:') ? text.slice(3) : undefined;
  return key !== undefined && KEY.test(key) && !FORBIDDEN_IN_KEY.test(key) ? key : undefined;
}

/**
 * Makes a page from up to `limit + 1` items in key order: the extra item only tells that there is a
 * next page, which starts after the last item kept.
 */
export function toPage<T>(items: readonly T[], limit: number, keyOf: (item: T) => string): Page<T> {
  if (items.length <= limit) return { items: [...items] };
  const kept = items.slice(0, limit);
  return { items: kept, nextCursor: encodeCursor(keyOf(kept[kept.length - 1] as T)) };
}
