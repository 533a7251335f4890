import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as StorageQueue from '@azure/storage-queue';
import type { Deps } from '../../composition.js';
import { parseQueueOptions, type QueueOptions } from '../../config/hostQueues.js';
import { registry } from '../../functions/registry.js';
import { QueuePoller } from './queuePoller.js';

// Loaded when a queue function starts: a host in inline mode never pays for the SDK (about 30 MB of RSS).
const require = createRequire(import.meta.url);

/** The app's own host.json (beside dist/), used when the app folder has none. */
const PACKAGE_HOST_JSON = fileURLToPath(new URL('../../../host.json', import.meta.url));

/** `extensions.queues` of the app folder's host.json, else of the package's (the Functions host reads the app's). */
export function hostQueueOptions(dir: string): QueueOptions {
  const own = join(dir, 'host.json');
  const file = existsSync(own) ? own : PACKAGE_HOST_JSON;
  const json: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return parseQueueOptions(json, availableParallelism());
}

/** Whether `AzureWebJobs.<name>.Disabled` is true, the Functions setting that turns a function off. */
export const isDisabled = (env: Readonly<Record<string, string | undefined>>, name: string): boolean =>
  /^(true|1)$/i.test(env[`AzureWebJobs.${name}.Disabled`]?.trim() ?? '');

/**
 * Starts a poller for each queue function of the registry the settings turn on (queue mode's
 * `runCheck`), on the `AzureWebJobsStorage` account, as `func start` does. Returns their `stop`.
 */
export function startQueueFunctions(deps: Deps, dir: string, env: Readonly<Record<string, string | undefined>>): { stop(): Promise<void> } {
  const functions = registry.flatMap((fn) => (fn.trigger === 'queue' && fn.enabled(deps.settings) && !isDisabled(env, fn.name) ? [fn] : []));
  const connection = deps.settings.storageConnection;
  if (functions.length === 0) return { stop: () => Promise.resolve() };
  if (!connection) {
    deps.logger.warn({ functions: functions.map((fn) => fn.name) }, 'the local host polls queues only with an AzureWebJobsStorage connection string: queue functions are off');
    return { stop: () => Promise.resolve() };
  }
  const options = hostQueueOptions(dir);
  const { QueueClient } = require('@azure/storage-queue') as typeof StorageQueue;
  const pollers = functions.map(
    (fn) =>
      new QueuePoller(
        fn.name,
        new QueueClient(connection, fn.queueName),
        new QueueClient(connection, `${fn.queueName}-poison`),
        fn.handler(deps.useCases),
        options,
        deps.logger,
      ),
  );
  for (const poller of pollers) poller.start();
  deps.logger.info({ functions: functions.map((fn) => fn.name), ...options }, 'polling queues');
  return { stop: async () => void (await Promise.all(pollers.map((poller) => poller.stop()))) };
}
