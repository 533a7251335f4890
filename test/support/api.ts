import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateStore } from '../../src/app/ports/index.js';
import { startLocalHost, type LocalHost } from '../../src/hosts/local/localHost.js';
import { MemoryLogger } from './fakes.js';

/** A tick that never comes during a test (1 January, midnight): nothing runs unless asked. */
export const NO_TICK = '0 0 0 1 1 *';

export interface ApiHost {
  readonly host: LocalHost;
  readonly dir: string;
  readonly logger: MemoryLogger;
  /** `fetch` below the `/api` prefix, JSON bodies sent as JSON. */
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<Response>;
}

/** The local host in this process (same registry and handlers as in Azure), on a random port. */
export async function startApi(jobs: unknown, values: Record<string, string> = {}, store?: StateStore): Promise<ApiHost> {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-api-'));
  writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify(jobs));
  const logger = new MemoryLogger();
  const host = await startLocalHost({
    dir,
    // AzureWebJobsStorage '': in memory unless the test chooses a store (the default is an embedded Azurite).
    env: { PULSECHECK_PORT: '0', PULSECHECK_TICK_SCHEDULE: NO_TICK, PULSECHECK_SHUTDOWN_GRACE_SECONDS: '1', AzureWebJobsStorage: '', ...values },
    logger,
    ...(store ? { store } : {}),
  });
  return {
    host,
    dir,
    logger,
    call: (method, path, options = {}) =>
      fetch(`${host.url}${path}`, {
        method,
        headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
        ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
      }),
  };
}
