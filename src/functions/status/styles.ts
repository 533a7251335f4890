/**
 * The status page's style sheet (served as `/api/status/assets/status.css`): light, and dark when the
 * system prefers it; one column on a phone. A string here rather than a file so that the build
 * (tsc) ships it with the code.
 */
export const STATUS_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --card: #ffffff; --text: #1b1f24; --muted: #5b6470; --grid: #e3e6ea; --border: #dde1e6;
  --up: #1f9d55; --degraded: #d49a00; --partial: #e5701a; --down: #d63a3a; --maintenance: #3b82f6; --nodata: #cdd2d8;
  --accent: #3b6fd8; --accent-fill: rgba(59, 111, 216, 0.12);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --card: #171c23; --text: #e6e9ed; --muted: #98a2ae; --grid: #2a313a; --border: #2a313a;
    --up: #34c172; --degraded: #e8b53a; --partial: #f08a3c; --down: #ef5b5b; --maintenance: #5b9bff; --nodata: #39414c;
    --accent: #7aa2ff; --accent-fill: rgba(122, 162, 255, 0.15);
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main, footer, .section { max-width: 960px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 24px; padding-bottom: 8px; }
h1 { font-size: 1.5rem; margin: 0 0 12px; }
h2 { font-size: 1.1rem; margin: 24px 0 8px; }
h3 { font-size: 1rem; margin: 0; overflow-wrap: anywhere; }
h4 { font-size: 0.8rem; font-weight: 500; color: var(--muted); margin: 12px 0 4px; }
.overall { margin: 0; padding: 14px 16px; border-radius: 8px; color: #fff; font-weight: 600; background: var(--nodata); }
.overall.up { background: var(--up); } .overall.degraded { background: var(--degraded); } .overall.down { background: var(--down); }
.overall.unknown { color: var(--text); }
.meta, .muted, .description, .last-run { color: var(--muted); font-size: 0.85rem; }
.meta { margin: 8px 0 0; }
.problem { margin: 12px 0 0; padding: 8px 12px; border-radius: 6px; border: 1px solid var(--down); color: var(--down); }
.job { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 14px 16px; margin: 0 0 12px; }
.job-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
.description { margin: 4px 0 0; }
.badge { flex: none; font-size: 0.8rem; font-weight: 600; padding: 2px 10px; border-radius: 999px; color: #fff; background: var(--nodata); }
.badge.up { background: var(--up); } .badge.degraded { background: var(--degraded); } .badge.down { background: var(--down); }
.badge.maintenance { background: var(--maintenance); } .badge.unknown, .badge.paused { color: var(--text); }
.figures { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 8px; margin: 12px 0; }
.figure dt { font-size: 0.75rem; color: var(--muted); }
.figure dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.bars { display: flex; gap: 2px; height: 34px; align-items: stretch; }
.bar { flex: 1 1 0; min-width: 2px; border-radius: 2px; background: var(--nodata); cursor: default; outline-offset: 1px; }
.bar.up { background: var(--up); } .bar.degraded { background: var(--degraded); } .bar.partial { background: var(--partial); }
.bar.down { background: var(--down); } .bar.maintenance { background: var(--maintenance); }
.bar:hover, .bar:focus { opacity: 0.7; }
.bars-legend { display: flex; justify-content: space-between; font-size: 0.75rem; color: var(--muted); margin-top: 4px; }
.bars-legend .short { display: none; }
.chart { width: 100%; min-height: 110px; }
.tooltip { position: absolute; z-index: 10; max-width: 260px; white-space: pre-line; pointer-events: none; padding: 6px 10px; border-radius: 6px;
  font-size: 0.8rem; background: var(--text); color: var(--bg); box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25); }
.list { list-style: none; margin: 0; padding: 0; }
.incident, .maintenance-item { background: var(--card); border: 1px solid var(--border); border-left: 4px solid var(--partial); border-radius: 6px; padding: 8px 12px; margin: 0 0 8px; }
.incident.ongoing { border-left-color: var(--down); }
.maintenance-item { border-left-color: var(--maintenance); }
.incident-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 4px 12px; }
.incident-time { color: var(--muted); font-size: 0.85rem; }
.reason { margin: 4px 0 0; overflow-wrap: anywhere; }
footer { padding-top: 16px; padding-bottom: 32px; color: var(--muted); font-size: 0.8rem; }
.uplot { font-family: inherit; }
.u-axis { color: var(--muted); }
@media (max-width: 600px) {
  header { padding-top: 16px; }
  .figures { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  /* 90 bars do not fit a phone: its last 30 days. */
  .bar:nth-child(-n+60) { display: none; }
  .bars-legend .long { display: none; }
  .bars-legend .short { display: inline; }
}
`;

/** The page's icon (served as `/api/status/assets/favicon.svg`): a pulse line. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f9d55"/><path d="M4 17h6l3-7 5 13 3-6h7" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
