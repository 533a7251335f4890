import { describe, expect, it } from 'vitest';
import { FollowUps } from '../../../src/app/followUps.js';
import type { RunRequest } from '../../../src/app/checkRunner.js';
import type { Job } from '../../../src/domain/job.js';
import type { Run, RunStatus } from '../../../src/domain/run.js';
import { FakeClock, MemoryLogger, settle } from '../../support/fakes.js';
import { job } from '../../support/jobs.js';

const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const url = 'http://x.test/';
const main = job({ name: 'main', url, onFailure: ['diag', 'ghost'], onCompletion: ['diag'] });
const diag = job({ name: 'diag', url, enabled: false });

function setup(stopping = false) {
  const started: Array<{ job: string; request: RunRequest }> = [];
  const logger = new MemoryLogger();
  const followUps = new FollowUps({
    catalog: { get: async (name) => [main, diag].find((j) => j.name.toLowerCase() === name.toLowerCase()) },
    runner: {
      run: async (j: Job, request: RunRequest) => {
        started.push({ job: j.name, request });
        return { runId: request.runId, status: 'up' } as Run;
      },
    },
    clock: new FakeClock(T0),
    logger,
    lifecycle: { stopping, track: (fn) => fn({ stop: new AbortController().signal, abort: new AbortController().signal }) },
  });
  return { started, logger, followUps };
}

const parent = (status: RunStatus) => ({ runId: 'main@2026-11-23T12:00:00.000Z', status }) as Run;
const schedule: RunRequest = { runId: 'main@2026-11-23T12:00:00.000Z', trigger: 'schedule', scheduledAt: T0 };

describe('FollowUps', () => {
  it.each<[string, RunStatus, RunRequest, boolean, string[]]>([
    ['a failed run starts its follow-up once (named twice), a disabled job included', 'down', schedule, false, ['diag']],
    ['a skipped run starts none', 'skipped', schedule, false, []],
    ['a run at the deepest level starts none', 'down', { ...schedule, trigger: 'followup', followUpDepth: 3 }, false, []],
    ['none start once shutting down', 'down', schedule, true, []],
  ])('%s', async (_name, status, request, stopping, expected) => {
    const { started, followUps } = setup(stopping);
    followUps.after(main, parent(status), request);
    await settle();
    expect(started.map((s) => s.job)).toEqual(expected);
    for (const { request: followUp } of started) {
      expect(followUp).toMatchObject({ trigger: 'followup', parentRunId: parent(status).runId, followUpDepth: (request.followUpDepth ?? 0) + 1, scheduledAt: T0 });
      expect(followUp.runId).toMatch(/^diag@2026-11-23T12:00:00.000Z~followup-[0-9a-f]{6}$/);
    }
  });

  it('logs a follow-up that is not a job (any more) and one that would be too deep', async () => {
    const { logger, followUps } = setup();
    followUps.after(main, parent('down'), schedule);
    followUps.after(main, parent('down'), { ...schedule, followUpDepth: 3 });
    await settle();
    const warnings = logger.records.filter((r) => r.level === 'warn').map((r) => r.message);
    expect(warnings).toEqual(['follow-ups not started: they would be deeper than 3 levels', 'follow-up "ghost" is not a job (any more); not run']);
  });
});
