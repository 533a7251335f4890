import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import type { Ignore } from '@balena/dockerignore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/functions/registry.js';
import { copies, environment, keyword, lineage, readStages, stage, workdir, type Stage } from '../support/dockerfile.js';

/**
 * The image cannot be built here (no Docker engine), so these tests check what can be checked
 * without one: the Dockerfile's contract with the Functions base image, that the build context
 * holds every file the Dockerfile copies, and, after `npm run build`, that the runtime stage's files
 * — the repo's build output plus a production-only install made by the Dockerfile's own command —
 * load in Node with the image's V8 flags and register every function.
 */
// A CommonJS module whose types declare an ES default export: load it as CommonJS.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;

const stages = readStages();
const app = stage(stages, 'app');
const runtime = stages.at(-1) as Stage;
const BASE_IMAGE = 'mcr.microsoft.com/azure-functions/node:4-node22';
const BASE_CMD = '/opt/startup/start_nonappservice.sh';

const filesUnder = (path: string): string[] =>
  statSync(path).isDirectory() ? readdirSync(path).flatMap((entry) => filesUnder(join(path, entry))) : [path];

describe('Dockerfile: the image contract', () => {
  it('runs the Functions v4 Node 22 base image by default, with its CMD kept', () => {
    const chain = lineage(stages, runtime);
    expect(chain[0]?.base).toBe(BASE_IMAGE);
    for (const s of chain) {
      expect(keyword(s, 'CMD'), `stage ${s.name ?? '(default)'}`).toEqual([]);
      expect(keyword(s, 'ENTRYPOINT'), `stage ${s.name ?? '(default)'}`).toEqual([]);
    }
  });

  it('sets the script root, console logging, and the worker flags: the 4 MB V8 semi-space and async context frames', () => {
    expect(environment(lineage(stages, runtime))).toMatchObject({
      AzureWebJobsScriptRoot: '/home/site/wwwroot',
      AzureFunctionsJobHost__Logging__Console__IsEnabled: 'true',
      languageWorkers__node__arguments: '--max-semi-space-size=4 --experimental-async-context-frame',
    });
    expect(workdir(app)).toBe('/home/site/wwwroot');
  });

  it('builds on Node 22 and installs production dependencies without dev dependencies or lifecycle scripts', () => {
    for (const name of ['build', 'deps']) expect(stage(stages, name).base).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(globalArgs()).toContain('NODE_VERSION=22');
    const install = keyword(stage(stages, 'deps'), 'RUN').map((r) => r.getArgumentsContent() ?? '').join(' ');
    expect(install).toMatch(/npm ci\b/);
    expect(install).toContain('--omit=dev');
    expect(install).toContain('--ignore-scripts');
  });

  it('offers a Datadog serverless-init target that wraps the base image command', () => {
    const datadog = stage(stages, 'datadog');
    expect(datadog.base).toBe('app');
    expect(copies(datadog)).toContainEqual({ from: 'datadog/serverless-init:1', sources: ['/datadog-init'], destination: '/app/datadog-init' });
    expect(keyword(datadog, 'ENTRYPOINT').map((i) => i.getArgumentsContent())).toEqual(['["/app/datadog-init"]']);
    expect(keyword(datadog, 'CMD').map((i) => i.getArgumentsContent())).toEqual([`["${BASE_CMD}"]`]);
  });
});

/** The build arguments declared before the first FROM, as written (`NAME=default`). */
function globalArgs(): string[] {
  const text = readFileSync('Dockerfile', 'utf8');
  const head = text.slice(0, text.search(/^FROM /m));
  return [...head.matchAll(/^ARG (\S+)$/gm)].map((m) => m[1] as string);
}

describe('Dockerfile: the build context', () => {
  const ignore = dockerignore({ ignorecase: false }).add(readFileSync('.dockerignore', 'utf8'));
  const contextSources = stages.flatMap((s) => copies(s).filter((c) => c.from === null).flatMap((c) => c.sources));

  it('copies files from the context', () => {
    expect(contextSources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'host.json', 'jobs.config.json']));
  });

  it.each(contextSources)('%s exists and is not excluded by .dockerignore', (source) => {
    expect(existsSync(source), `${source} is missing`).toBe(true);
    const excluded = filesUnder(source).filter((file) => ignore.ignores(relative('.', file).split('\\').join('/')));
    expect(excluded).toEqual([]);
  });

  it('sends nothing else: tests, docs, infra and local settings stay out of the context', () => {
    for (const path of ['test/setup.ts', 'docs', 'infra/main.bicep', 'local.settings.example.json', 'node_modules', 'dist', 'Jenkinsfile']) {
      expect(ignore.ignores(path), path).toBe(true);
    }
  });
});

describe('Dockerfile: the runtime stage after npm run build', () => {
  let wwwroot: string;

  beforeAll(() => {
    wwwroot = mkdtempSync(join(tmpdir(), 'pulsecheck-wwwroot-'));
    const deps = stage(stages, 'deps');
    const build = stage(stages, 'build');
    // The deps stage, replayed: its context files, then its own RUN commands (npm cache first).
    const depsDir = mkdtempSync(join(tmpdir(), 'pulsecheck-deps-'));
    for (const c of copies(deps)) for (const source of c.sources) cpSync(source, join(depsDir, source));
    for (const run of keyword(deps, 'RUN')) {
      execFileSync('sh', ['-c', run.getArgumentsContent() ?? ''], {
        cwd: depsDir,
        env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_loglevel: 'error' },
        stdio: 'pipe',
      });
    }
    // The runtime stage: each COPY resolved against the context, or the stage it names.
    const stageRoots: Record<string, string> = { deps: depsDir, build: '.' };
    const stageDirs: Record<string, string> = { deps: workdir(deps), build: workdir(build) };
    for (const c of copies(app)) {
      for (const source of c.sources) {
        const from = c.from === null ? source : join(stageRoots[c.from] ?? '', posix.relative(stageDirs[c.from] ?? '/', source));
        expect(existsSync(from), `COPY ${c.from ? `--from=${c.from} ` : ''}${source}: ${from} does not exist`).toBe(true);
        const destination = c.destination.endsWith('/') ? join(c.destination, posix.basename(source)) : c.destination;
        cpSync(from, join(wwwroot, posix.relative(workdir(app), posix.resolve(workdir(app), destination))), { recursive: true });
      }
    }
    rmSync(depsDir, { recursive: true, force: true });
    // A real `npm ci --omit=dev`: minutes on a loaded machine whose registry answers slowly.
  }, 300_000);

  afterAll(() => rmSync(wwwroot, { recursive: true, force: true }), 120_000);

  it('holds only what runs: the build output, production modules, host.json, package.json and the jobs files', () => {
    expect(readdirSync(wwwroot).sort()).toEqual(['dist', 'host.json', 'jobs.config.json', 'jobs.schema.json', 'node_modules', 'package.json']);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { main: string; dependencies: object; devDependencies: object };
    expect(existsSync(join(wwwroot, pkg.main))).toBe(true);
    for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(wwwroot, 'node_modules', name)), name).toBe(true);
    // A dev dependency is absent unless a production dependency needs it too (the lockfile then
    // does not mark it `dev`): applicationinsights, for one, pulls in @types/node.
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const name of Object.keys(pkg.devDependencies)) {
      const devOnly = lock.packages[`node_modules/${name}`]?.dev === true;
      expect(existsSync(join(wwwroot, 'node_modules', name)), name).toBe(!devOnly);
    }
  });

  it('loads with production dependencies only, under the worker flags, and registers every function', () => {
    const flags = (environment(lineage(stages, app)).languageWorkers__node__arguments ?? '').split(' ');
    const child = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', LOAD_ENTRY], {
      cwd: wwwroot,
      env: { PATH: process.env.PATH, AzureWebJobsScriptRoot: wwwroot, PULSECHECK_LOG_LEVEL: 'silent', OTEL_NODE_RESOURCE_DETECTORS: 'env,host' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const loaded = JSON.parse(child.stdout) as { names: string[]; health: { status: number; body: { status: string } } };
    // Inline dispatch (the default): the queue function `runCheck` is registered in queue mode only.
    expect(loaded.names.sort()).toEqual(registry.filter((fn) => fn.trigger !== 'queue').map((fn) => fn.name).sort());
    expect(loaded.health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

/**
 * Runs in the assembled folder: injects a fake `@azure/functions-core` the way the Functions worker
 * injects the real one, imports package.json `main`, calls the health function once, and prints
 * what was registered.
 */
const LOAD_ENTRY = `
import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const registrations = [];
const core = { setProgrammingModel() {}, registerFunction(metadata, handler) { registrations.push({ metadata, handler }); return { dispose() {} }; }, log() {} };
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };
const { main } = JSON.parse(readFileSync('package.json', 'utf8'));
await import(pathToFileURL(main).href);
const { default: azure } = await import('@azure/functions');
const health = registrations.find((r) => r.metadata.name === 'health');
const response = await health.handler(new azure.HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), new azure.InvocationContext());
process.stdout.write(JSON.stringify({ names: registrations.map((r) => r.metadata.name), health: { status: response.status, body: response.jsonBody } }));
process.exit(0);
`;
