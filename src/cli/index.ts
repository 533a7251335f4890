#!/usr/bin/env node
// First, in this order: SDK settings from local.settings.json, then dd-trace (when Datadog is
// configured), before the modules it instruments load.
import '../hosts/local/sdkSettings.js';
import '../hosts/preload.js';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDeps, VERSION } from '../composition.js';
import { loadJobsFiles, type JobsFileText } from '../config/jobsFile.js';
import { overlayEnvironments, overlayFileName } from '../config/overlay.js';
import { jobsJsonSchema } from '../config/jobsSchema.js';
import { loadSettings, type Settings } from '../config/settings.js';
import type { Env } from '../config/substitute.js';
import { isPulsecheckError } from '../domain/errors.js';
import { registry } from '../functions/registry.js';
import { startLocalHost, stopBudgetMs } from '../hosts/local/localHost.js';
import { localEnv } from '../hosts/local/localSettings.js';

const USAGE = `pulsecheck ${VERSION}: HTTP health checks as code, on Azure Functions

Usage:
  pulsecheck validate [file] [--secrets]   check a jobs file (default: PULSECHECK_JOBS_FILE or jobs.config.json)
            [--environment name]         with every overlay beside it (jobs.config.<environment>.json), or the one named;
                                         --secrets also reads every secret it references
  pulsecheck run <job> [--config file]     run one job once, print the run as JSON; exit 0 if up or degraded, 1 if not
  pulsecheck schema                        print the JSON Schema of the jobs file
  pulsecheck start                         run the local host (like func start) on port 7071
`;

/** Exit codes: 0 success, 1 failure (invalid file, job down), 2 usage error. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      secrets: { type: 'boolean' },
      environment: { type: 'string', short: 'e' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) return print(VERSION);
  if (values.help) return print(USAGE);
  if (!command) return print(USAGE, 2);
  const env = localEnv(process.cwd());
  const jobsFile = (file: string | undefined) => file ?? env.PULSECHECK_JOBS_FILE ?? 'jobs.config.json';
  switch (command) {
    case 'validate': {
      const file = jobsFile(rest[0] ?? values.config);
      if (!validate(file, values.environment, env)) return 1;
      return values.secrets ? validateSecrets(loadSettings({ ...env, PULSECHECK_JOBS_FILE: file }), env) : 0;
    }
    case 'run': {
      const name = rest[0];
      if (!name) return print(`pulsecheck run: name the job to run\n\n${USAGE}`, 2);
      const settings = loadSettings({ ...env, PULSECHECK_JOBS_FILE: jobsFile(values.config) });
      // Logs go to stderr so that stdout is exactly the run's JSON.
      const deps = buildDeps(settings, { env, logFormat: 'pretty', logFd: 2 });
      try {
        const run = await deps.useCases.manualRuns.runNow(name);
        process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        return run.success ? 0 : 1;
      } finally {
        await deps.close();
      }
    }
    case 'schema':
      return print(JSON.stringify(jobsJsonSchema(), null, 2));
    case 'start':
      return start();
    default:
      return print(`pulsecheck: unknown command "${command}"\n\n${USAGE}`, 2);
  }
}

/**
 * `validate`: the jobs file alone, then with each overlay beside it (or the one `--environment`
 * names). Every problem of every file is printed at once; a problem of the base file is printed once,
 * not again for each overlay. True when all are valid.
 */
function validate(file: string, environment: string | undefined, env: Env): boolean {
  const base: JobsFileText = { name: file, text: readFile(file) };
  const environments = environment === undefined ? overlayEnvironments(file, readdirSync(dirname(file))) : [environment];
  const problems: string[] = [];
  const check = (overlay: JobsFileText | undefined, known: ReadonlySet<string>): string[] => {
    try {
      const { jobs } = loadJobsFiles(base, overlay, env);
      const name = overlay ? `${file} + ${overlay.name}` : file;
      print(`✔ ${name}: ${jobs.length} job${jobs.length === 1 ? '' : 's'} (${jobs.filter((j) => j.enabled).length} enabled)`);
      return [];
    } catch (error) {
      if (!isPulsecheckError(error) || error.code !== 'config_invalid') throw error;
      const fresh = error.issues.filter((issue) => !known.has(issue.message));
      if (fresh.length > 0) problems.push(fresh.length === error.issues.length ? error.message : listed(error.message, fresh));
      return error.issues.map((issue) => issue.message);
    }
  };
  const baseProblems = new Set(check(undefined, new Set()));
  for (const name of environments) {
    const overlayName = overlayFileName(file, name);
    let text: string;
    try {
      text = readFile(overlayName);
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    check({ name: overlayName, text }, baseProblems);
  }
  if (problems.length > 0) print(problems.join('\n'), 1);
  return problems.length === 0;
}

/** The first line of a config error (`x is invalid:`) with only `issues` below it. */
const listed = (message: string, issues: ReadonlyArray<{ message: string }>) =>
  [message.split('\n')[0], ...issues.map((issue) => `  - ${issue.message}`)].join('\n');

/** `validate --secrets`: reads every referenced secret; exit 1 if any does not resolve. */
async function validateSecrets(settings: Settings, env: Env): Promise<number> {
  const deps = buildDeps(settings, { env, logFormat: 'pretty', logFd: 2 });
  try {
    const { store, secrets } = await deps.useCases.checkSecrets();
    if (secrets.length === 0) return print('✔ no secrets referenced');
    const lines = secrets.map(
      (s) => `${s.ok ? '✔' : '✘'} secret "${s.secret}"${s.ok ? ' resolves' : `: ${s.message}`} (used by ${s.jobs.join(', ')})`,
    );
    const failed = secrets.filter((s) => !s.ok).length;
    print(`Secrets from ${store}:\n${lines.map((line) => `  ${line}`).join('\n')}`);
    return failed === 0 ? 0 : print(`${failed} of ${secrets.length} secrets do not resolve`, 1);
  } finally {
    await deps.close();
  }
}

async function start(): Promise<number> {
  const host = await startLocalHost({ logFormat: 'pretty' });
  const lines = registry.map((fn) => {
    if (fn.trigger === 'http') return `  ${fn.name}: [${fn.methods.join(',')}] ${host.url}/${fn.route}`;
    if (fn.trigger === 'queue') return `  ${fn.name}: queueTrigger (${fn.queueName}${host.deps.settings.dispatch === 'queue' ? '' : ', idle: PULSECHECK_DISPATCH is inline'})`;
    return `  ${fn.name}: timerTrigger (${host.timers.find((timer) => timer.name === fn.name)?.schedule ?? 'off on this host'})`;
  });
  process.stdout.write(`Pulsecheck ${VERSION} listening on ${host.url}\n\nFunctions:\n${lines.join('\n')}\n\n`);
  const code = await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      const graceMs = host.deps.settings.shutdownGraceMs;
      process.stdout.write(`\n${signal}: stopping (in-flight checks get ${graceMs / 1000}s)…\n`);
      process.once(signal, () => process.exit(130));
      // The host bounds its own stop (stopBudgetMs); this is the net under it, whatever hangs.
      setTimeout(() => {
        process.stderr.write(`not stopped after ${(stopBudgetMs(graceMs) + STOP_MARGIN_MS) / 1000}s: exiting anyway\n`);
        process.exit(1);
      }, stopBudgetMs(graceMs) + STOP_MARGIN_MS).unref();
      host.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // Requests to a storage that never answered may still hold sockets and timers: they must not
  // keep a stopped host alive.
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
  return code;
}

/** How much longer than the host's own bound (`stopBudgetMs`) `start` waits before it exits regardless, in ms. */
const STOP_MARGIN_MS = 3_000;

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new Error(`cannot read ${file}: ${reason}`, { cause: error });
  }
}

function print(text: string, code = 0): number {
  (code === 0 ? process.stdout : process.stderr).write(`${text}\n`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${isPulsecheckError(error) ? error.message : (error as Error).message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
