import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../src/domain/run.js';
import { appFolder, runCli } from '../support/host.js';
import { startServer, type TestServer } from '../support/servers.js';

/** The pulsecheck command, run as a user runs it. */
describe('pulsecheck CLI', () => {
  let target: TestServer;
  let dir: string;

  beforeAll(async () => {
    target = await startServer((req, res) => res.writeHead(req.url === '/down' ? 500 : 200).end('{"status":"UP"}'));
    dir = appFolder({
      jobs: [
        { name: 'up', url: `${target.url}/ok`, conditions: ['[STATUS] == 200', '[BODY].status == UP'] },
        { name: 'down', url: `${target.url}/down`, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
      ],
    });
  });
  afterAll(() => target.close());

  it('validate: reports the jobs and exits 0 for a good file', async () => {
    const cli = runCli(['validate'], dir);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('✔ jobs.config.json: 2 jobs (2 enabled)');
  });

  it('validate: prints every problem and exits 1 for a bad file', async () => {
    const bad = appFolder({ jobs: [{ name: 'billing', url: 'https://b.test', schedule: '0 */5 * *' }, { name: 'x' }] });
    const cli = runCli(['validate', 'jobs.config.json'], bad);
    expect(await cli.exited).toBe(1);
    expect(cli.errors()).toContain('jobs[0] "billing": schedule "0 */5 * *" is not NCRONTAB (expected 5 or 6 fields, got 4)');
    expect(cli.errors()).toContain('jobs[1] "x": url is required (expected string)');
  });

  describe('validate with environment overlays', () => {
    const base = {
      templates: { api: { conditions: ['[STATUS] == 200'], timeoutSeconds: '${param:timeout}' } },
      jobs: [
        { name: 'billing', url: 'https://billing.test/', extends: 'api', params: { timeout: '5' } },
        { name: 'search', url: 'https://search.test/', schedule: '0 */5 * *' },
      ],
    };
    const folder = () => {
      const app = appFolder(base);
      writeFileSync(join(app, 'jobs.config.dev.json'), JSON.stringify({ jobs: [{ name: 'search', enabled: false }] }));
      writeFileSync(join(app, 'jobs.config.prod.json'), JSON.stringify({ jobs: [{ name: 'billing', extends: 'nope' }, { name: 'new', url: 'https://n.test', every: '5q' }] }));
      writeFileSync(join(app, 'jobs.config.test.json'), JSON.stringify({ jobs: [{ name: 'search', schedule: '0 */5 * * * *' }] }));
      return app;
    };

    it('reports every problem of the base and of every overlay at once, each naming its file', async () => {
      const cli = runCli(['validate'], folder());
      expect(await cli.exited).toBe(1);
      const errors = cli.errors();
      expect(errors).toContain('jobs.config.json is invalid:\n  - jobs[1] "search": schedule "0 */5 * *" is not NCRONTAB');
      expect(errors).toContain('jobs.config.json + jobs.config.prod.json is invalid:');
      expect(errors).toContain('jobs[0] "billing": extends "nope", which is not a template (templates: api)');
      expect(errors).toContain('jobs[2] "new": every "5q" is not an interval');
      // The base's problem is printed once, not again for each overlay that keeps it.
      expect(errors.match(/is not NCRONTAB/g)).toHaveLength(1);
      expect(errors).not.toContain('jobs.config.json + jobs.config.dev.json is invalid');
      expect(cli.output()).toContain('✔ jobs.config.json + jobs.config.test.json: 2 jobs (2 enabled)');
    });

    it('checks one environment with --environment', async () => {
      const cli = runCli(['validate', '--environment', 'test'], folder());
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain('✔ jobs.config.json + jobs.config.test.json: 2 jobs (2 enabled)');
      expect(cli.errors()).not.toContain('jobs.config.prod.json');
    });
  });

  it('run: prints the run as JSON and exits 0 when the job is up', async () => {
    const cli = runCli(['run', 'up'], dir);
    expect(await cli.exited).toBe(0);
    const run = JSON.parse(cli.output()) as Run;
    expect(run).toMatchObject({ job: 'up', trigger: 'manual', status: 'up', httpStatus: 200, attempts: 1 });
  });

  it('run: exits 1 when the job is down, with the attempts made', async () => {
    const cli = runCli(['run', 'down', '--config', 'jobs.config.json'], dir);
    expect(await cli.exited).toBe(1);
    expect(JSON.parse(cli.output())).toMatchObject({ job: 'down', status: 'down', httpStatus: 500, attempts: 2 });
    expect(cli.errors()).toContain('✘ down down 500'); // the readable line goes to stderr, stdout stays JSON
  });

  it('run: names an unknown job', async () => {
    const cli = runCli(['run', 'nope'], dir);
    expect(await cli.exited).toBe(1);
    expect(cli.errors()).toContain('job "nope" was not found');
  });

  it('schema: prints the JSON Schema that jobs.schema.json holds', async () => {
    const cli = runCli(['schema'], dir);
    expect(await cli.exited).toBe(0);
    expect(JSON.parse(cli.output())).toEqual(JSON.parse(readFileSync('jobs.schema.json', 'utf8')));
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const cli = runCli(['frobnicate'], dir);
    expect(await cli.exited).toBe(2);
    expect(cli.errors()).toContain('unknown command "frobnicate"');
    expect(cli.errors()).toContain('Usage:');
  });
});
