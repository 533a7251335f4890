import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from './eventually.js';

export const CLI = resolve('dist/cli/index.js');

/** A folder laid out like a user's app: a jobs file and optionally local.settings.json. */
export function appFolder(jobs: unknown, values: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-app-'));
  writeFileSync(join(dir, 'jobs.config.json'), JSON.stringify(jobs, null, 2));
  // In memory unless the test asks for storage: the local host would otherwise start an Azurite on
  // the fixed ports 10000-10002, which tests running side by side cannot share.
  const settings = { AzureWebJobsStorage: '', ...values };
  writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: settings }));
  return dir;
}

export interface RunningCli {
  readonly child: ChildProcess;
  output(): string;
  errors(): string;
  /** Resolves with the first match of `pattern` in stdout, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** SIGKILLs each of `hosts` still running and waits until every one has exited (an `afterAll` of suites that start several). */
export async function killAll(hosts: ReadonlyArray<{ readonly child: ChildProcess; readonly exited: Promise<unknown> }>): Promise<void> {
  for (const host of hosts) if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
  await Promise.all(hosts.map((host) => host.exited));
}

/** Runs the built CLI as a user would (`node dist/cli/index.js …`) in `cwd`. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningCli {
  if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stdout,
    errors: () => stderr,
    exited,
    waitFor: (pattern, timeoutMs = 15_000) =>
      eventually(() => stdout.match(pattern), {
        timeoutMs,
        intervalMs: 20,
        what: () => `${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`,
      }),
  };
}
