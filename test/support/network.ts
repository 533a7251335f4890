import { LOOPBACK_NETWORKS, networkPolicy } from '../../src/domain/network.js';

/**
 * The target guard opened to loopback, where the tests' own targets listen (127.0.0.1, port 0).
 * By default the guard refuses loopback: tests that probe a local server say so explicitly.
 */
export const LOOPBACK_ALLOWED = networkPolicy({ allowed: LOOPBACK_NETWORKS.split(',') });

/** The same, as the setting (for `loadSettings` / `buildDeps`). */
export const ALLOW_LOOPBACK = { PULSECHECK_ALLOWED_NETWORKS: LOOPBACK_NETWORKS } as const;
