// First: starts dd-trace (when Datadog is configured) before the modules it instruments load.
import '../preload.js';
import { fileURLToPath } from 'node:url';
import { app } from '@azure/functions';
import { buildDeps } from '../../composition.js';
import { loadSettings } from '../../config/settings.js';
import { hostedHttpFunctions, registry } from '../../functions/registry.js';

/**
 * The Azure Functions entry point (`main` in package.json). It loads settings and the jobs file,
 * then registers every function of the registry. A bad setting or jobs file throws here, so the
 * Functions host reports it at start-up.
 */
const root = process.env.AzureWebJobsScriptRoot ?? fileURLToPath(new URL('../../../', import.meta.url));
const deps = buildDeps(loadSettings(process.env), { baseDir: root });

for (const fn of registry) {
  if (fn.trigger !== 'timer') continue;
  // The host resolves %SETTING% itself, and refuses to start if the setting is missing.
  const schedule = process.env[fn.schedule.setting] ? `%${fn.schedule.setting}%` : fn.schedule.fallback;
  app.timer(fn.name, { schedule, handler: fn.handler(deps.useCases), useMonitor: true });
}
// Queue mode: the host polls the queue with host.json's `extensions.queues` and moves poison messages.
for (const fn of registry) {
  if (fn.trigger !== 'queue' || !fn.enabled(deps.settings)) continue;
  app.storageQueue(fn.name, { queueName: fn.queueName, connection: fn.connection, handler: fn.handler(deps.useCases) });
}
// Each behind `authorized` (roles, rate limits); the Functions host checks keys where authLevel is `function`.
for (const fn of hostedHttpFunctions(deps.useCases, { ...deps.settings.access, host: 'azure' })) {
  app.http(fn.name, { methods: [...fn.methods], route: fn.route, authLevel: fn.authLevel, handler: fn.handler });
}
