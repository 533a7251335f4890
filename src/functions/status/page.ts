import type { StatusAsset } from './assets.js';

/** Where the page's files are served (the route prefix is `/api`, as in Azure). */
export const ASSETS_PATH = '/api/status/assets';

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page: a shell the script fills from `GET /api/status/summary` and refreshes by polling it.
 * `assets`: the files by name, for their hashes (cache busting). `key`: the function key the page was
 * called with (`?code=`), which its files need too (the script passes it on to the summary).
 */
export function statusPageHtml(assets: ReadonlyMap<string, StatusAsset>, version: string, key?: string): string {
  const code = key ? `&amp;code=${encodeURIComponent(key)}` : '';
  const src = (name: string) => `${ASSETS_PATH}/${name}?v=${assets.get(name)?.hash ?? version}${code}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Status</title>
<link rel="icon" href="${src('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${src('uPlot.min.css')}">
<link rel="stylesheet" href="${src('status.css')}">
<script src="${src('uPlot.iife.min.js')}" defer></script>
<script type="module" src="${src('status.js')}"></script>
</head>
<body>
<header>
<h1>Status</h1>
<p id="overall" class="overall unknown" role="status">Loading…</p>
<p id="problem" class="problem" role="alert" hidden></p>
<p class="meta">Updated <time id="updated">—</time> · days in <span id="zone">UTC</span></p>
</header>
<div id="ongoing" class="section"></div>
<div id="maintenance" class="section"></div>
<main id="groups"></main>
<div id="incidents" class="section"></div>
<noscript><p class="section">This page needs JavaScript; its data is at <a href="/api/status/summary">/api/status/summary</a>.</p></noscript>
<footer>Pulsecheck ${escape(version)}</footer>
</body>
</html>
`;
}
