import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FAVICON_SVG, STATUS_CSS } from './styles.js';

/** A file the status page loads from the app (`/api/status/assets/{name}`): no CDN. */
export interface StatusAsset {
  readonly type: string;
  readonly body: Buffer;
  /** A hash of the body: the page asks for `?v=<hash>`, so the file may be cached for long. */
  readonly hash: string;
}

const require = createRequire(import.meta.url);

/**
 * The page's script: browser code compiled by tsc with the app (src/web/statusPage.ts →
 * dist/web/statusPage.js). From the sources (tests), the built one is used (`npm run build`).
 */
function pageScript(): Buffer {
  const built = [new URL('../../web/statusPage.js', import.meta.url), new URL('../../../dist/web/statusPage.js', import.meta.url)].map((url) => fileURLToPath(url));
  const path = built.find((candidate) => existsSync(candidate));
  if (!path) throw new Error('the status page script is not built (dist/web/statusPage.js): run `npm run build`');
  // The source map is not served.
  return Buffer.from(readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
}

/** uPlot (npm `uplot`) as its package ships it: the browser build that sets the global `uPlot`, and its style sheet. */
const uplot = (file: string): Buffer => readFileSync(require.resolve(`uplot/dist/${file}`));

const asset = (type: string, body: Buffer): StatusAsset => ({ type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) });

let assets: ReadonlyMap<string, StatusAsset> | undefined;

/** Every asset by file name, read once (the files do not change while the app runs). */
export function statusAssets(): ReadonlyMap<string, StatusAsset> {
  assets ??= new Map([
    ['status.js', asset('text/javascript; charset=utf-8', pageScript())],
    ['status.css', asset('text/css; charset=utf-8', Buffer.from(STATUS_CSS))],
    ['uPlot.iife.min.js', asset('text/javascript; charset=utf-8', uplot('uPlot.iife.min.js'))],
    ['uPlot.min.css', asset('text/css; charset=utf-8', uplot('uPlot.min.css'))],
    ['favicon.svg', asset('image/svg+xml', Buffer.from(FAVICON_SVG))],
  ]);
  return assets;
}
