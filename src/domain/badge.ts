import type { Health } from './state.js';

/**
 * Badges (issue 16): shields.io-style "flat" SVGs, a grey label and a coloured value, for READMEs
 * and wikis. Pure: the text is measured with a table of Verdana 11px widths, so the SVG is the same
 * everywhere and needs no font at render time.
 */
export interface Badge {
  readonly label: string;
  readonly value: string;
  /** `#rrggbb`. */
  readonly color: string;
}

export const BADGE_COLORS = {
  brightgreen: '#4c1',
  green: '#97ca00',
  yellow: '#dfb317',
  orange: '#fe7d37',
  red: '#e05d44',
  blue: '#007ec6',
  grey: '#9f9f9f',
} as const;

/** What the state badge says. */
export type BadgeState = 'up' | 'degraded' | 'down' | 'maintenance' | 'unknown';

const STATE_COLORS: Record<BadgeState, string> = {
  up: BADGE_COLORS.brightgreen,
  degraded: BADGE_COLORS.yellow,
  down: BADGE_COLORS.red,
  maintenance: BADGE_COLORS.blue,
  unknown: BADGE_COLORS.grey,
};

const STATE_OF_HEALTH: Record<Health, BadgeState> = { UP: 'up', DEGRADED: 'degraded', DOWN: 'down', MAINTENANCE: 'maintenance', UNKNOWN: 'unknown' };

/**
 * A job's state for its badge: its health (`decideState`), in lower case: `maintenance` when its last
 * run fell in a maintenance window (whatever that run found), `degraded` when its last run was,
 * `unknown` before any run.
 */
export const badgeState = (state: { readonly health: Health }): BadgeState => STATE_OF_HEALTH[state.health];

export const stateBadge = (job: string, state: BadgeState): Badge => ({ label: job, value: state, color: STATE_COLORS[state] });

/** Uptime thresholds, highest first: at least `min` % gets `color`. */
export const UPTIME_THRESHOLDS: ReadonlyArray<{ readonly min: number; readonly color: string }> = [
  { min: 99.9, color: BADGE_COLORS.brightgreen },
  { min: 99, color: BADGE_COLORS.green },
  { min: 95, color: BADGE_COLORS.yellow },
  { min: 90, color: BADGE_COLORS.orange },
  { min: 0, color: BADGE_COLORS.red },
];

/** The uptime badge: `99.95%` coloured by `UPTIME_THRESHOLDS`, or a grey `no data` (`uptimePct` null). */
export function uptimeBadge(job: string, window: string, uptimePct: number | null): Badge {
  const label = `${job} uptime ${window}`;
  if (uptimePct === null) return { label, value: 'no data', color: BADGE_COLORS.grey };
  const color = UPTIME_THRESHOLDS.find((t) => uptimePct >= t.min)?.color ?? BADGE_COLORS.red;
  return { label, value: `${uptimePct}%`, color };
}

/** `&`, `<`, `>`, `"` and `'` as XML entities; characters XML 1.0 forbids are dropped. */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Widths in px of printable ASCII in Verdana 11px (from 32, space); others count as 7.5. */
const WIDTHS = [
  3.9, 4.7, 5.8, 9.6, 7.2, 12.3, 8.3, 3.4, 5.3, 5.3, 7.2, 9.6, 4.2, 5.3, 4.2, 5.3, 7.2, 7.2, 7.2, 7.2, 7.2, 7.2, 7.2, 7.2, 7.2, 7.2, 5.3, 5.3, 9.6, 9.6, 9.6, 6.1, 12, 7.9, 7.9, 8.1, 8.6, 7.3, 6.6,
  8.7, 8.5, 4.8, 5.4, 8, 6.4, 9.7, 8.5, 8.8, 7, 8.8, 8, 7.5, 6.9, 8.3, 7.9, 11.4, 7.8, 7, 7.7, 5.3, 5.3, 5.3, 9.6, 7.2, 7.2, 6.8, 7, 5.9, 7, 6.8, 3.9, 7, 7.1, 3.1, 3.9, 6.6, 3.1, 10.9, 7.1, 6.8, 7, 7,
  4.9, 5.9, 4.5, 7.1, 6.6, 9.9, 6.6, 6.6, 5.9, 7, 5.3, 7, 9.6,
];
const textWidth = (text: string): number => [...text].reduce((sum, c) => sum + (WIDTHS[(c.codePointAt(0) ?? 0) - 32] ?? 7.5), 0);

/** Longest label or value shown, in characters (longer ones end with `…`). */
const MAX_TEXT = 64;
const clip = (text: string) => ([...text].length > MAX_TEXT ? `${[...text].slice(0, MAX_TEXT - 1).join('')}…` : text);

/** The badge as a standalone SVG document (`image/svg+xml`), with an accessible name and title. */
export function badgeSvg(badge: Badge): string {
  const label = clip(badge.label);
  const value = clip(badge.value);
  const lw = Math.round(textWidth(label) + 10);
  const vw = Math.round(textWidth(value) + 10);
  const w = lw + vw;
  const title = escapeXml(`${label}: ${value}`);
  const color = /^#[0-9a-f]{3,6}$/i.test(badge.color) ? badge.color : BADGE_COLORS.grey;
  const text = (t: string, x: number) =>
    `<text x="${x * 10}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" aria-hidden="true">${escapeXml(t)}</text>` +
    `<text x="${x * 10}" y="140" transform="scale(.1)" fill="#fff">${escapeXml(t)}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${color}"/><rect width="${w}" height="20" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">` +
    text(label, lw / 2) +
    text(value, lw + vw / 2) +
    `</g></svg>`
  );
}
