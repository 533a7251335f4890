import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildDeps, type Deps } from '../../src/composition.js';
import { loadJobsFiles } from '../../src/config/jobsFile.js';
import { loadSettings } from '../../src/config/settings.js';
import type { StateStore } from '../../src/app/ports/index.js';
import { type FakeClock, MemoryLogger } from './fakes.js';
import { ALLOW_LOOPBACK } from './network.js';
import type { Receiver } from './receivers.js';
import { startServer, type TestServer } from './servers.js';

/** The webhook channel's signing key (a secret read from `PULSECHECK_SECRET_HOOK_KEY`). */
export const HOOK_KEY = `whsec_${randomBytes(32).toString('base64')}`;

export interface WebhookEvent {
  readonly type: string;
  readonly data: { readonly alertId: string; readonly job: string; readonly failures: number; readonly location: string; readonly downForMs?: number };
}

/** The events a receiver took, each verified with `standardwebhooks` (a bad signature throws), with their `webhook-id`. */
export const verifiedEvents = (receiver: Receiver): Array<WebhookEvent & { webhookId: string }> =>
  receiver.received.map((got) => ({
    ...(new Webhook(HOOK_KEY).verify(got.body, got.headers as Record<string, string>) as WebhookEvent),
    webhookId: String(got.headers['webhook-id']),
  }));

/** A target whose answer the test switches (`status`). */
export async function startFlappingTarget(): Promise<TestServer & { status: number }> {
  const state = { status: 200 };
  const server = await startServer((_req, res) => {
    res.writeHead(state.status).end(state.status === 200 ? 'ok' : 'down');
  });
  return Object.defineProperty(server, 'status', { get: () => state.status, set: (v: number) => (state.status = v) }) as TestServer & { status: number };
}

export interface InstanceOptions {
  readonly clock: FakeClock;
  /** The jobs file (with `channels`). */
  readonly file: unknown;
  /** Azurite's connection string and a table prefix: instances given the same share their state. */
  readonly storage?: { readonly connectionString: string; readonly prefix: string };
  readonly store?: StateStore;
  /** More app settings, e.g. `PULSECHECK_TICK_SCHEDULE`. */
  readonly settings?: Record<string, string>;
}

/** An app instance (buildDeps) over the jobs file, on the fake clock, with the webhook key as a secret. */
export function instance(options: InstanceOptions): Deps & { logger: MemoryLogger } {
  const env = { PULSECHECK_SECRET_HOOK_KEY: HOOK_KEY };
  const { jobs, channels } = loadJobsFiles({ name: 'jobs.config.json', text: JSON.stringify(options.file) }, undefined, env);
  const storage = options.storage ? { AzureWebJobsStorage: options.storage.connectionString, PULSECHECK_TABLE_PREFIX: options.storage.prefix } : {};
  const logger = new MemoryLogger();
  const deps = buildDeps(loadSettings({ PULSECHECK_LOG_LEVEL: 'silent', PULSECHECK_RUN_LOCATION: 'westeurope', ...ALLOW_LOOPBACK, ...storage, ...options.settings }), {
    clock: options.clock,
    env,
    logger,
    channels,
    ...(options.store ? { store: options.store } : {}),
    configSource: { list: async () => jobs, health: () => ({ status: 'ok', detail: 'test' }), close: () => undefined },
  });
  return Object.assign(deps, { logger });
}
