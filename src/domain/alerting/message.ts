import type { AlertEvent } from './event.js';

/** A channel's own title and text (`template` of a channel), with `{{placeholder}}`s. */
export interface MessageTemplate {
  readonly title?: string;
  readonly text?: string;
}

/** The placeholders a template may use. */
export const PLACEHOLDERS = ['job', 'status', 'since', 'duration', 'reason', 'location', 'failures', 'alertId', 'runId', 'dependents'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** What every channel says, before it is put in the channel's format. */
export interface Message {
  readonly title: string;
  readonly text: string;
  /** Label and value pairs, in order (Slack fields, an Adaptive Card FactSet, email lines). */
  readonly facts: ReadonlyArray<readonly [label: string, value: string]>;
  /** `bad` while down, `good` once resolved, `info` for a test: colours where a channel has them. */
  readonly tone: 'bad' | 'good' | 'info';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** The placeholders of a template text that are not known, for config validation. */
export const unknownPlaceholders = (text: string): string[] =>
  [...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));

/** Replaces each `{{name}}` once, left to right (no nesting, no code: linear in the text). */
export const render = (text: string, values: Readonly<Record<Placeholder, string>>): string =>
  text.replace(PLACEHOLDER, (whole, name: string) => (name in values ? values[name as Placeholder] : whole));

/** `1h 2m 5s`, `45s`, `0s`: a duration in milliseconds, down to seconds. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.round(ms / 1_000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return parts.join(' ');
}

/** The values of the placeholders for an event. */
export function placeholders(event: AlertEvent): Record<Placeholder, string> {
  const { data } = event;
  const downFor = data.downForMs ?? Date.parse(event.timestamp) - Date.parse(data.since);
  return {
    job: data.job,
    status: data.status,
    since: data.since,
    duration: formatDuration(downFor),
    reason: data.run.reason,
    location: data.location,
    failures: String(data.failures),
    alertId: data.alertId,
    runId: data.run.runId,
    dependents: (data.dependents ?? []).join(', '),
  };
}

const DEFAULTS: Readonly<Record<AlertEvent['type'], Required<MessageTemplate>>> = {
  'alert.triggered': { title: '{{job}} is {{status}}', text: '{{job}} is {{status}} since {{since}} ({{failures}} failed runs) at {{location}}: {{reason}}' },
  'alert.reminder': { title: '{{job}} is still {{status}}', text: '{{job}} is still {{status}}, for {{duration}} since {{since}}, at {{location}}: {{reason}}' },
  'alert.resolved': { title: '{{job}} is up again', text: '{{job}} is up again at {{location}} after {{duration}} down (since {{since}}).' },
  'alert.test': { title: 'Test notification from Pulsecheck', text: 'This is a test of the channel: if you can read it, alerts will reach you here.' },
};

/**
 * What a notification says: what is down, since when, why, where, and on recovery how long it was
 * down; for a job others depend on, what it takes down (`data.dependents`: a sentence of the text
 * and a fact). `template` replaces the default title and/or text (`{{job}}`, `{{status}}`,
 * `{{since}}`, `{{duration}}`, `{{reason}}`, `{{location}}`, `{{dependents}}`, …); the facts stay.
 */
export function composeMessage(event: AlertEvent, template: MessageTemplate = {}): Message {
  const values = placeholders(event);
  const { data } = event;
  const defaults = DEFAULTS[event.type];
  // The upstream's alert says what it takes down (dependsOn), unless the channel's template says it its own way.
  const takesDown = values.dependents === '' ? '' : ` It takes down ${values.dependents} (alerts suppressed).`;
  const chosen = { ...defaults, text: defaults.text + takesDown, ...template };
  const facts: Array<readonly [string, string]> = [
    ['Job', data.job],
    ['Status', data.status],
    ['Since', data.since],
  ];
  if (event.type !== 'alert.triggered') facts.push([event.type === 'alert.resolved' ? 'Down for' : 'Down so far', values.duration]);
  if (data.run.reason !== '' && event.type !== 'alert.resolved') facts.push(['Reason', data.run.reason]);
  facts.push(['Location', data.location], ['Failed runs', values.failures], ['Run', data.run.runId]);
  if (values.dependents !== '') facts.push(['Takes down', values.dependents]);
  const tone = event.type === 'alert.test' ? 'info' : event.type === 'alert.resolved' ? 'good' : 'bad';
  return { title: render(chosen.title, values), text: render(chosen.text, values), facts, tone };
}
