import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SingletonOptions } from './singletonTimer.js';

/** The Functions host's defaults for listener locks (host.json `singleton`): one minute each. */
const PLATFORM_DEFAULTS: SingletonOptions = { lockPeriodMs: 60_000, recoveryPollingMs: 60_000 };

/**
 * The `singleton` section of the app's host.json, read as the Functions host reads it:
 * `listenerLockPeriod` (15 s to 60 s, a blob lease's range) and `listenerLockRecoveryPollingInterval`,
 * as `hh:mm:ss` time spans. Missing file or values: the platform's defaults. A malformed file throws,
 * naming it.
 */
export function singletonOptions(dir: string): SingletonOptions {
  const path = join(dir, 'host.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return PLATFORM_DEFAULTS;
    throw error;
  }
  let singleton: Record<string, unknown> | undefined;
  try {
    singleton = (JSON.parse(text) as { singleton?: Record<string, unknown> }).singleton;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const period = timeSpan(singleton?.listenerLockPeriod, `${path}: singleton.listenerLockPeriod`) ?? PLATFORM_DEFAULTS.lockPeriodMs;
  if (period < 15_000 || period > 60_000) throw new Error(`${path}: singleton.listenerLockPeriod must be from 00:00:15 to 00:01:00 (a blob lease's range)`);
  const polling = timeSpan(singleton?.listenerLockRecoveryPollingInterval, `${path}: singleton.listenerLockRecoveryPollingInterval`) ?? PLATFORM_DEFAULTS.recoveryPollingMs;
  return { lockPeriodMs: period, recoveryPollingMs: Math.max(100, polling) };
}

/** `hh:mm:ss` (optionally with fractional seconds) in ms; `undefined` when absent. */
function timeSpan(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!match) throw new Error(`${what} must be a time span "hh:mm:ss", e.g. "00:00:15"`);
  return Math.round((Number(match[1]) * 3_600 + Number(match[2]) * 60 + Number(match[3])) * 1_000);
}

/**
 * The host id `func start` gives an app without `AzureFunctionsWebHost__hostid`: the machine's name
 * and a hash of the app folder, lower case, at most 32 characters. So several local hosts started
 * in one folder share their timer locks, and apps in other folders do not.
 */
export function defaultHostId(dir: string): string {
  const machine = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 20) || 'local';
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 10);
  return `${machine}-${hash}`.slice(0, 32);
}
