/// <reference lib="dom" />
/**
 * The status page's script (browser code: served as `/api/status/assets/status.js`, imports nothing
 * at run time). It polls `GET /api/status/summary` and renders it with DOM calls only (`textContent`,
 * never HTML strings: job names and reasons are user data), so the page needs no inline script or
 * style under its Content-Security-Policy. uPlot, loaded before it, draws the response times.
 */
import type UPlot from 'uplot';

// ---- the summary (see app/statusSummary.ts) ----

interface Day {
  date: string;
  uptimePct: number | null;
  up: number;
  degraded: number;
  down: number;
  maintenance: number;
  noData: boolean;
  incidents: number;
  incidentMs: number;
}
interface Incident {
  start: string;
  end: string | null;
  durationMs: number;
  ongoing: boolean;
  failedRuns: number;
  reason: string;
}
interface Maintenance {
  name: string;
  start: string;
  end: string;
  checks: 'run' | 'pause';
}
interface Job {
  name: string;
  description?: string;
  group: string | null;
  state: string;
  since: string | null;
  lastRun: { at: string; status: string; durationMs: number; httpStatus: number | null } | null;
  uptime: Record<'1d' | '7d' | '30d', number | null>;
  days: Day[];
  responseTimes: { p50Ms: number | null; p95Ms: number | null; recent: Array<[number, number]> };
  incidents: Incident[];
  maintenance: Maintenance[];
}
interface Summary {
  generatedAt: string;
  timeZone: string;
  groupBy: string | null;
  refreshSeconds: number;
  groups: Array<{ name: string | null; jobs: Job[] }>;
}

const uPlot = (globalThis as unknown as { uPlot?: typeof UPlot }).uPlot;

// ---- small DOM helpers ----

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const byId = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

const pct = (value: number | null): string => (value === null ? '—' : `${value.toFixed(value === 100 ? 0 : value >= 99 ? 3 : 2)} %`);

function duration(ms: number): string {
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const when = (iso: string): string => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const STATE_LABELS: Record<string, string> = {
  up: 'Operational',
  degraded: 'Degraded',
  down: 'Down',
  maintenance: 'Maintenance',
  unknown: 'No data yet',
  paused: 'Paused',
};

/** A day's class: its colour on the bar. */
function dayClass(day: Day): string {
  if (day.noData) return 'nodata';
  if (day.up + day.degraded + day.down === 0) return 'maintenance';
  if (day.uptimePct === null || day.uptimePct >= 99.9) return day.degraded > 0 ? 'degraded' : 'up';
  return day.uptimePct >= 95 ? 'partial' : 'down';
}

function dayText(day: Day): string {
  const date = new Date(`${day.date}T12:00:00Z`).toLocaleDateString(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
  if (day.noData) return `${date}: no data`;
  const lines = [`${date}: ${pct(day.uptimePct)} up`, `${day.up} up · ${day.degraded} degraded · ${day.down} down`];
  if (day.maintenance > 0) lines.push(`${day.maintenance} in maintenance`);
  if (day.incidents > 0 || day.incidentMs > 0) lines.push(`${day.incidents} incident${day.incidents === 1 ? '' : 's'}, ${duration(day.incidentMs)} down`);
  return lines.join('\n');
}

// ---- the tooltip of the bars (one for the page) ----

const tooltip = el('div', 'tooltip');
tooltip.setAttribute('role', 'tooltip');
tooltip.hidden = true;

function showTip(bar: HTMLElement): void {
  tooltip.textContent = bar.dataset.tip ?? '';
  tooltip.hidden = false;
  const box = bar.getBoundingClientRect();
  const width = tooltip.offsetWidth;
  const left = Math.min(Math.max(8, box.left + box.width / 2 - width / 2), document.documentElement.clientWidth - width - 8);
  tooltip.style.left = `${left + window.scrollX}px`;
  tooltip.style.top = `${box.top + window.scrollY - tooltip.offsetHeight - 8}px`;
}

const hideTip = () => (tooltip.hidden = true);

// ---- charts, kept across refreshes ----

const charts = new Map<string, { plot: UPlot; box: HTMLElement }>();

function colour(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function chartFor(job: Job): HTMLElement {
  const data: UPlot.AlignedData = [job.responseTimes.recent.map((p) => p[0]), job.responseTimes.recent.map((p) => p[1])];
  const known = charts.get(job.name);
  if (known) {
    known.plot.setData(data);
    return known.box;
  }
  const box = el('div', 'chart');
  box.setAttribute('aria-label', `Response times of ${job.name}`);
  if (!uPlot) return box;
  const axis = { stroke: colour('--muted'), grid: { stroke: colour('--grid'), width: 1 }, ticks: { stroke: colour('--grid') } };
  const plot = new uPlot(
    {
      width: 300,
      height: 110,
      legend: { show: false },
      cursor: { y: false, points: { size: 6 } },
      scales: {
        // Runs within a minute (one run, or several in one second): ten minutes around them. Read the
        // data, not `min`/`max`: when every x is the same, uPlot passes a max 1 000 days later.
        x: { time: true, range: (u, min, max) => xRange(u.data[0], min, max) },
        // Up to a round number, so the top grid line is labelled (46 ms → 50 ms, ticks 0, 25, 50).
        y: { range: (_u, _min, max) => [0, roundUp(Math.max(10, max * 1.15))] },
      },
      axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((t) => `${t} ms`) }],
      series: [{}, { label: 'response time', stroke: colour('--accent'), width: 1.5, fill: colour('--accent-fill'), points: { show: data[0].length < 20 } }],
    },
    data,
    box,
  );
  charts.set(job.name, { plot, box });
  return box;
}

/** The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `value` (> 0). */
function roundUp(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

/** The time range of a chart: the data's, or ten minutes around data that spans less than a minute. */
function xRange(xs: ArrayLike<number>, min: number, max: number): [number, number] {
  const first = xs.length > 0 ? (xs[0] as number) : min;
  const last = xs.length > 0 ? (xs[xs.length - 1] as number) : max;
  return last - first < 60 ? [first - 300, last + 300] : [min, max];
}

const resize = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const chart = [...charts.values()].find((c) => c.box === entry.target);
    const width = Math.floor(entry.contentRect.width);
    if (chart && width > 0 && width !== chart.plot.width) chart.plot.setSize({ width, height: 110 });
  }
});

// ---- rendering ----

function jobCard(job: Job): HTMLElement {
  const card = el('article', `job state-${job.state}`);
  card.dataset.job = job.name;
  const head = el('div', 'job-head');
  const title = el('h3', 'job-name', job.name);
  const state = el('span', `badge ${job.state}`, STATE_LABELS[job.state] ?? job.state);
  state.dataset.state = job.state;
  head.append(title, state);
  card.append(head);
  if (job.description) card.append(el('p', 'description', job.description));

  const figures = el('dl', 'figures');
  for (const [window, label] of [['1d', '24 hours'], ['7d', '7 days'], ['30d', '30 days']] as const) {
    const item = el('div', 'figure');
    item.dataset.window = window;
    item.append(el('dt', '', label), el('dd', 'uptime', pct(job.uptime[window])));
    figures.append(item);
  }
  const rt = el('div', 'figure');
  rt.append(el('dt', '', 'p50 / p95 (24 h)'), el('dd', '', job.responseTimes.p50Ms === null ? '—' : `${job.responseTimes.p50Ms} / ${job.responseTimes.p95Ms} ms`));
  figures.append(rt);
  card.append(figures);

  const bars = el('div', 'bars');
  bars.setAttribute('role', 'list');
  bars.setAttribute('aria-label', `Daily uptime of ${job.name}`);
  for (const day of job.days) {
    const bar = el('span', `bar ${dayClass(day)}`);
    bar.setAttribute('role', 'listitem');
    bar.tabIndex = 0;
    bar.dataset.tip = dayText(day);
    bar.dataset.date = day.date;
    bar.setAttribute('aria-label', dayText(day).replaceAll('\n', ', '));
    bars.append(bar);
  }
  const legend = el('div', 'bars-legend');
  legend.append(el('span', 'long', `${job.days.length} days ago`), el('span', 'short', '30 days ago'), el('span', '', 'today'));
  card.append(bars, legend);

  if (job.responseTimes.recent.length > 0) {
    const chart = el('div', 'chart-box');
    chart.append(el('h4', '', 'Response time, recent runs'), chartFor(job));
    card.append(chart);
  }
  if (job.lastRun) card.append(el('p', 'last-run', `Last run ${when(job.lastRun.at)}: ${job.lastRun.status}${job.lastRun.httpStatus === null ? '' : ` (HTTP ${job.lastRun.httpStatus})`}, ${Math.round(job.lastRun.durationMs)} ms`));
  return card;
}

function incidentItem(job: string, incident: Incident): HTMLElement {
  const item = el('li', incident.ongoing ? 'incident ongoing' : 'incident');
  const head = el('div', 'incident-head');
  head.append(el('strong', '', job), el('span', 'incident-time', incident.ongoing ? `since ${when(incident.start)} · ${duration(incident.durationMs)}` : `${when(incident.start)} · ${duration(incident.durationMs)}`));
  item.append(head, el('p', 'reason', incident.reason));
  return item;
}

function maintenanceItem(job: string, window: Maintenance): HTMLElement {
  const item = el('li', 'maintenance-item');
  const now = Date.now();
  const open = Date.parse(window.start) <= now && now < Date.parse(window.end);
  const checks = window.checks === 'pause' ? 'checks paused' : 'checks run, not counted';
  item.classList.toggle('open', open);
  item.append(el('strong', '', `${job}: ${window.name}`), el('span', 'incident-time', ` ${open ? 'now, until' : when(window.start) + ' –'} ${when(window.end)} · ${checks}`));
  return item;
}

function overall(jobs: Job[]): { text: string; level: string } {
  const down = jobs.filter((j) => j.state === 'down').length;
  const degraded = jobs.filter((j) => j.state === 'degraded').length;
  if (jobs.length === 0) return { text: 'No checks to show', level: 'unknown' };
  if (down > 0) return { text: `${down} of ${jobs.length} down`, level: 'down' };
  if (degraded > 0) return { text: `${degraded} of ${jobs.length} degraded`, level: 'degraded' };
  if (jobs.every((j) => j.state === 'unknown' || j.state === 'paused')) return { text: 'No data yet', level: 'unknown' };
  return { text: 'All systems operational', level: 'up' };
}

function render(summary: Summary): void {
  const jobs = summary.groups.flatMap((g) => g.jobs);
  const state = overall(jobs);
  const banner = byId('overall');
  banner.textContent = state.text;
  banner.className = `overall ${state.level}`;

  const ongoing = byId('ongoing');
  const current = jobs.flatMap((j) => j.incidents.filter((i) => i.ongoing).map((i) => incidentItem(j.name, i)));
  ongoing.replaceChildren(...(current.length > 0 ? [el('h2', '', 'Current incidents'), listOf(current)] : []));

  const windows = jobs.flatMap((j) => j.maintenance.map((w) => ({ job: j.name, w }))).sort((a, b) => a.w.start.localeCompare(b.w.start));
  byId('maintenance').replaceChildren(...(windows.length > 0 ? [el('h2', '', 'Maintenance'), listOf(windows.map(({ job, w }) => maintenanceItem(job, w)))] : []));

  const groups = summary.groups.map((group) => {
    const section = el('section', 'group');
    if (group.name !== null || summary.groups.length > 1) section.append(el('h2', '', group.name ?? 'Other'));
    section.append(...group.jobs.map(jobCard));
    return section;
  });
  byId('groups').replaceChildren(...groups);

  const past = jobs
    .flatMap((j) => j.incidents.filter((i) => !i.ongoing).map((i) => ({ job: j.name, i })))
    .sort((a, b) => b.i.start.localeCompare(a.i.start))
    .slice(0, 10);
  byId('incidents').replaceChildren(el('h2', '', 'Recent incidents'), past.length > 0 ? listOf(past.map(({ job, i }) => incidentItem(job, i))) : el('p', 'muted', 'No recent incidents.'));

  for (const name of charts.keys()) if (!jobs.some((j) => j.name === name && j.responseTimes.recent.length > 0)) charts.delete(name);
  resize.disconnect();
  for (const chart of charts.values()) resize.observe(chart.box);
  const updated = byId('updated');
  updated.textContent = when(summary.generatedAt);
  updated.setAttribute('datetime', summary.generatedAt);
  byId('zone').textContent = summary.timeZone;
  document.body.dataset.generatedAt = summary.generatedAt;
}

function listOf(items: HTMLElement[]): HTMLElement {
  const list = el('ul', 'list');
  list.append(...items);
  return list;
}

// ---- polling ----

const params = new URLSearchParams(location.search);
const summaryUrl = new URL('/api/status/summary', location.href);
// A function key given to the page (`?code=`) is needed for its data too.
if (params.has('code')) summaryUrl.searchParams.set('code', params.get('code') ?? '');

async function refresh(): Promise<number> {
  const problem = byId('problem');
  try {
    const response = await fetch(summaryUrl, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) throw new Error(`the summary answered ${response.status}`);
    const summary = (await response.json()) as Summary;
    render(summary);
    problem.hidden = true;
    return summary.refreshSeconds;
  } catch (error) {
    problem.textContent = `Could not refresh: ${(error as Error).message}. Retrying…`;
    problem.hidden = false;
    return 0;
  }
}

async function loop(): Promise<void> {
  const seconds = await refresh();
  // `?refresh=N` (at least 2 s) overrides the summary's interval: kiosks, tests.
  const asked = Number(params.get('refresh'));
  const every = Number.isFinite(asked) && asked >= 2 ? asked : seconds || 15;
  setTimeout(() => void loop(), every * 1_000);
}

document.body.append(tooltip);
document.addEventListener('pointerover', (event) => {
  const bar = (event.target as HTMLElement).closest?.('.bar');
  if (bar instanceof HTMLElement) showTip(bar);
  else hideTip();
});
document.addEventListener('focusin', (event) => {
  const bar = (event.target as HTMLElement).closest?.('.bar');
  if (bar instanceof HTMLElement) showTip(bar);
});
document.addEventListener('focusout', hideTip);
window.addEventListener('scroll', hideTip, { passive: true });
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  // The charts take their colours when made: make them again.
  charts.clear();
  void refresh();
});
void loop();
