import { startAzurite, type RunningAzurite } from '../../src/hosts/local/azurite.js';

let shared: Promise<RunningAzurite> | undefined;
let users = 0;

/**
 * Azurite in memory on random ports, shared by the suites of one test file: `acquire` in `beforeAll`,
 * `release` in `afterAll` (the last release stops it). Suites keep apart by a table prefix each.
 */
export async function acquireAzurite(): Promise<RunningAzurite> {
  users++;
  shared ??= startAzurite();
  return shared;
}

export async function releaseAzurite(): Promise<void> {
  if (--users > 0 || !shared) return;
  const running = shared;
  shared = undefined;
  await (await running).stop();
}

let prefixes = 0;
/** A table prefix no other suite in this process uses. */
export const uniquePrefix = (name = 't'): string => `${name}${process.pid}x${Date.now().toString(36)}x${prefixes++}`;
