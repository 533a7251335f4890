import { createRequire } from 'node:module';
import type ddTrace from 'dd-trace';
import { datadogAgentUrl } from '../../config/datadog.js';

export type Tracer = typeof ddTrace;

const require = createRequire(import.meta.url);

/**
 * Starts dd-trace when Datadog is on (an agent address is set, see `datadogAgentUrl`) and returns
 * the tracer; `undefined` when off, without loading dd-trace at all. Idempotent: a later call, or a
 * tracer started earlier with `--import dd-trace/initialize.mjs`, returns the running tracer.
 *
 * Call it before anything else is loaded (the entry points do, through `hosts/preload`): dd-trace
 * hooks modules as they are required, and undici's spans only appear if dd-trace saw undici load.
 * Unified service tagging: `DD_SERVICE` (default `pulsecheck`), `DD_ENV`, `DD_VERSION` (default the
 * app's version); every other `DD_*` setting is dd-trace's own (log injection, `DD_LOGS_INJECTION`,
 * is on by default).
 */
export function startTracer(env: Readonly<Record<string, string | undefined>> = process.env): Tracer | undefined {
  if (!datadogAgentUrl(env)) return undefined;
  const tracer = require('dd-trace') as Tracer;
  const { version } = require('../../../package.json') as { version: string };
  return tracer.init({
    service: env.DD_SERVICE?.trim() || 'pulsecheck',
    version: env.DD_VERSION?.trim() || version,
    startupLogs: false,
  });
}
