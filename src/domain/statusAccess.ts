import type { Role } from './access.js';

/**
 * Who may see the status page and the badges (`PULSECHECK_STATUS_PAGE`): `private` (the default),
 * callers with the route's role (`reader`: a function key, or an Entra principal with a Pulsecheck
 * app role); `public`, anyone, but only the jobs with the public tag (`PUBLIC_TAG` or as set); `off`, nobody (404).
 */
export const STATUS_PAGE_ACCESS = ['private', 'public', 'off'] as const;
export type StatusPageAccess = (typeof STATUS_PAGE_ACCESS)[number];

/** A tag and its value: a job carrying it is on a `public` status page and has public badges. */
export interface PublicTag {
  readonly name: string;
  readonly value: string;
}

/** The default public tag (`PULSECHECK_STATUS_PUBLIC_TAG`): `"tags": { "public": "true" }`. */
export const PUBLIC_TAG: PublicTag = { name: 'public', value: 'true' };

/**
 * `PULSECHECK_STATUS_PUBLIC_TAG` parsed: `name=value`, or `name` alone for `name=true`; the name is
 * 1-64 letters, digits, `_`, `-`, `.` or `:`. A message saying what is wrong when it does not parse.
 */
export function parsePublicTag(text: string): PublicTag | string {
  const at = text.indexOf('=');
  const name = (at < 0 ? text : text.slice(0, at)).trim();
  const value = at < 0 ? 'true' : text.slice(at + 1).trim();
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(name)) return 'must be a tag name and value, "name=value" (a name of 1-64 letters, digits, "_", "-", "." or ":"), e.g. "visibility=public"';
  if (value.length === 0 || value.length > 256) return 'must have a value of 1-256 characters after "=", e.g. "visibility=public"';
  return { name, value };
}

/** Whether a job carries the public tag (default `public: "true"`; the value ignores case and surrounding spaces, the name is exact). */
export const isPublicJob = (job: { readonly tags?: Readonly<Record<string, string>> | undefined }, tag: PublicTag = PUBLIC_TAG): boolean =>
  job.tags?.[tag.name]?.trim().toLowerCase() === tag.value.toLowerCase();

/**
 * The role a status-page route needs under `access`: its declared role when `private`, `anonymous`
 * when `public` (and when `off`, where every request is answered 404 before any role check).
 */
export const statusPageRole = (access: StatusPageAccess, declared: Role): Role => (access === 'private' ? declared : 'anonymous');

/**
 * Whether the status page and the badges show `job` under `access`: every job when `private`, the
 * public ones when `public` (whoever asks, so one cached answer fits every caller), none when `off`.
 * A job it does not show is answered as an unknown job (404).
 */
export function showsOnStatusPage(access: StatusPageAccess, job: { readonly tags?: Readonly<Record<string, string>> | undefined }, tag: PublicTag = PUBLIC_TAG): boolean {
  if (access === 'off') return false;
  return access === 'private' || isPublicJob(job, tag);
}
