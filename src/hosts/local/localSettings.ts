import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPBACK_NETWORKS } from '../../domain/network.js';

/**
 * The `Values` of `local.settings.json`, as `func start` reads them. Variables already in the
 * environment win. A missing file is fine (every setting has a default); a malformed one is not.
 */
export function readLocalSettings(dir: string): Record<string, string> {
  const path = join(dir, 'local.settings.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: { Values?: Record<string, unknown> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed.Values ?? {})) {
    if (value !== null && value !== undefined) values[key] = String(value);
  }
  return values;
}

/**
 * Settings the local tools (the local host, `pulsecheck run`) default differently from Azure: the
 * target guard allows loopback, so the shipped self checks work on a fresh machine. Setting
 * `PULSECHECK_ALLOWED_NETWORKS` (even to nothing) replaces it.
 */
export const LOCAL_DEFAULTS: Readonly<Record<string, string>> = { PULSECHECK_ALLOWED_NETWORKS: LOOPBACK_NETWORKS };

/** The environment the app sees locally: `LOCAL_DEFAULTS`, under `local.settings.json` Values, under the real environment. */
export function localEnv(dir: string, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  return { ...LOCAL_DEFAULTS, ...readLocalSettings(dir), ...env };
}
