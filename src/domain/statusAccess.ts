import type { Role } from './access.js';

/**
 * Who may see the status page and the badges (`PULSECHECK_STATUS_PAGE`): `private` (the default),
 * callers with the route's role (`reader`: a function key, or an Entra principal with a Pulsecheck
 * app role); `public`, anyone, but only the jobs tagged `public: "true"`; `off`, nobody (404).
 */
export const STATUS_PAGE_ACCESS = ['private', 'public', 'off'] as const;
export type StatusPageAccess = (typeof STATUS_PAGE_ACCESS)[number];

/** The tag, and its value, that puts a job on a `public` status page and its badges. */
export const PUBLIC_TAG = { name: 'public', value: 'true' } as const;

/** Whether a job carries the public tag (`tags: { "public": "true" }`; the value ignores case and spaces). */
export const isPublicJob = (job: { readonly tags?: Readonly<Record<string, string>> | undefined }): boolean =>
  job.tags?.[PUBLIC_TAG.name]?.trim().toLowerCase() === PUBLIC_TAG.value;

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
export function showsOnStatusPage(access: StatusPageAccess, job: { readonly tags?: Readonly<Record<string, string>> | undefined }): boolean {
  if (access === 'off') return false;
  return access === 'private' || isPublicJob(job);
}
