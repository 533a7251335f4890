#!/usr/bin/env node
/**
 * Smoke test of a deployed Pulsecheck; the Jenkinsfile runs it against the staging slot before the
 * swap and against production after it (docs/deployment.md).
 *
 *   node scripts/smoke.js <site-url> [--expect-version v] [--job name] [--timeout s] [--interval s]
 *
 * 1. Polls GET <site-url>/api/health until it answers 200 with `status` ok or degraded and, with
 *    --expect-version, that version: a new container takes minutes to start, and until it does
 *    the old one keeps answering.
 * 2. With --job, runs that job now (POST /api/jobs/{job}/run) and requires the run to be `up`.
 *    The function key is read from PULSECHECK_FUNCTION_KEY and sent as `x-functions-key`, so it
 *    is never on a command line, in a URL or in the build log. With App Service Authentication on,
 *    keys grant nothing: PULSECHECK_ACCESS_TOKEN (an Entra token of a principal with the
 *    Pulsecheck.Operator app role) is sent as `Authorization: Bearer` instead.
 *
 * Exit codes: 0 passed, 1 failed, 2 usage error.
 */
import { parseArgs } from 'node:util';

const USAGE = 'usage: node scripts/smoke.js <site-url> [--expect-version v] [--job name] [--timeout s] [--interval s]';

/** Seconds; a cold Premium instance pulling a new image can take several minutes. */
const DEFAULTS = { timeout: 600, interval: 5 };
const RUN_TIMEOUT_MS = 120_000;

const say = (line) => process.stdout.write(`smoke: ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForHealth(api, expectVersion, deadline, intervalMs) {
  for (;;) {
    let last;
    try {
      const response = await fetch(`${api}/health`, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/json' } });
      const body = await response.json().catch(() => undefined);
      if (response.status !== 200 || !body) last = `HTTP ${response.status}`;
      else if (!['ok', 'degraded'].includes(body.status)) last = `status "${body.status}"`;
      else if (expectVersion && body.version !== expectVersion) last = `version ${body.version} (waiting for ${expectVersion})`;
      else return body;
    } catch (error) {
      last = error.cause?.code ?? error.name ?? String(error);
    }
    if (Date.now() + intervalMs > deadline) throw new Error(`GET ${api}/health: gave up; last answer: ${last}`);
    say(`health not ready: ${last}`);
    await sleep(intervalMs);
  }
}

async function runCanary(api, job, key, token) {
  const headers = { accept: 'application/json', ...(key ? { 'x-functions-key': key } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const url = `${api}/jobs/${encodeURIComponent(job)}/run`;
  const response = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(RUN_TIMEOUT_MS) });
  const body = await response.json().catch(() => undefined);
  if (response.status !== 200 || !body) {
    const hints = {
      401: ' (is PULSECHECK_FUNCTION_KEY a valid function key, or, with App Service Authentication, PULSECHECK_ACCESS_TOKEN a valid token?)',
      403: " (the token's principal needs the Pulsecheck.Operator app role)",
    };
    const hint = hints[response.status] ?? '';
    throw new Error(`POST ${url}: HTTP ${response.status}${hint}${body?.detail ? `: ${body.detail}` : ''}`);
  }
  if (body.status !== 'up') {
    throw new Error(`canary ${job} is ${body.status}: ${body.error ? `${body.error.kind}: ${body.error.message}` : 'no reason given'}`);
  }
  return body;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'expect-version': { type: 'string' },
        job: { type: 'string' },
        timeout: { type: 'string', default: String(DEFAULTS.timeout) },
        interval: { type: 'string', default: String(DEFAULTS.interval) },
      },
    });
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  const timeout = Number(values.timeout);
  const interval = Number(values.interval);
  if (positionals.length !== 1 || !URL.canParse(positionals[0]) || !(timeout > 0) || !(interval > 0)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const api = `${positionals[0].replace(/\/+$/, '')}/api`;
  try {
    const health = await waitForHealth(api, values['expect-version'], Date.now() + timeout * 1_000, interval * 1_000);
    // Anonymous callers get status and version only; the job count is there for a reader (locally).
    say(`health ${health.status}, version ${health.version}${health.jobs === undefined ? '' : `, ${health.jobs} jobs`}`);
    if (values.job) {
      const run = await runCanary(api, values.job, process.env.PULSECHECK_FUNCTION_KEY, process.env.PULSECHECK_ACCESS_TOKEN);
      say(`canary ${run.job} up: HTTP ${run.httpStatus} in ${run.durationMs} ms (${run.attempts} attempt${run.attempts === 1 ? '' : 's'})`);
    }
    say('passed');
    return 0;
  } catch (error) {
    process.stderr.write(`smoke: FAILED: ${error.message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
