import type { TableEntityResult } from '@azure/data-tables';

/**
 * A string property holds at most 64 KiB (32 K UTF-16 characters); an entity at most 1 MiB. JSON
 * documents are split over properties `d0`, `d1`, … of this many characters.
 */
const CHUNK = 30_000;
/** 15 chunks × 30 000 characters × 2 bytes stays under the 1 MiB entity limit with room for keys. */
const MAX_CHUNKS = 15;

/** `value` as JSON text spread over properties `d0…dN` (and `dn`, their count). */
export const pack = (value: unknown): Record<string, string | number> => packText(JSON.stringify(value));

/** JSON text spread over properties `d0…dN` (and `dn`, their count). */
export function packText(text: string): Record<string, string | number> {
  const count = Math.ceil(text.length / CHUNK) || 1;
  if (count > MAX_CHUNKS) throw new RangeError(`a stored document is limited to ${MAX_CHUNKS * CHUNK} characters of JSON (got ${text.length})`);
  const props: Record<string, string | number> = { dn: count };
  for (let i = 0; i < count; i++) props[`d${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
  return props;
}

/** The value `pack` stored in an entity. */
export function unpack<T>(entity: TableEntityResult<Record<string, unknown>>): T {
  const count = Number(entity.dn ?? 1);
  let text = '';
  for (let i = 0; i < count; i++) text += String(entity[`d${i}`] ?? '');
  return JSON.parse(text) as T;
}

/** HTTP status of an Azure SDK error, if it has one. */
export const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number } | null)?.statusCode;

/**
 * A failure that writing again will not cure (a 4xx other than timeout and throttling): the data is
 * rejected, not the service unavailable.
 */
export const isPermanent = (error: unknown): boolean => {
  const status = statusOf(error);
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
};

/**
 * A failure of the service, not of the request: a 5xx, timeout or throttling, no answer at all (an
 * SDK `RestError` without a status: the connection failed), or a request given up.
 */
export const isTransient = (error: unknown): boolean => {
  const status = statusOf(error);
  if (status !== undefined) return status >= 500 || status === 408 || status === 429;
  const name = (error as Error | null)?.name;
  return name === 'RestError' || name === 'AbortError' || name === 'TimeoutError';
};

/** FNV-1a hash of a job name: picks the runs table of a job. */
export function shardOf(job: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < job.length; i++) {
    hash ^= job.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** Splits `items` into arrays of at most `size` (an entity-group transaction holds at most 100). */
export function chunks<T>(items: readonly T[], size = 100): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** Runs `tasks` with at most `limit` in flight; resolves with their results in order. */
export async function inParallel<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        try {
          results[i] = { status: 'fulfilled', value: await (tasks[i] as () => Promise<T>)() };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}
