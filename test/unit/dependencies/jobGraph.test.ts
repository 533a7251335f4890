import { describe, expect, it } from 'vitest';
import { followUpsAfter, type FollowUps } from '../../../src/domain/followups.js';
import { linkProblems, type LinkedJob } from '../../../src/domain/jobGraph.js';
import type { RunStatus } from '../../../src/domain/run.js';

const dep = (name: string, ...dependsOn: string[]): LinkedJob => ({ name, dependencies: { dependsOn, whenUpstreamDown: 'skip' } });
const follow = (name: string, followUps: Partial<FollowUps>): LinkedJob => ({
  name,
  followUps: { onFailure: [], onSuccess: [], onCompletion: [], ...followUps },
});

const scenarios: Array<{ name: string; jobs: LinkedJob[]; problems: Array<[job: string, field: string, message: string]> }> = [
  { name: 'no links', jobs: [{ name: 'a' }, { name: 'b' }], problems: [] },
  { name: 'a chain', jobs: [dep('a', 'b'), dep('b', 'c'), { name: 'c' }], problems: [] },
  { name: 'a diamond is no cycle', jobs: [dep('a', 'b', 'c'), dep('b', 'd'), dep('c', 'd'), { name: 'd' }], problems: [] },
  { name: 'unknown name', jobs: [dep('a', 'nope')], problems: [['a', 'dependsOn[0]', '"nope" is not a job']] },
  {
    name: 'a name in another case',
    jobs: [dep('a', 'DB'), { name: 'db' }],
    problems: [['a', 'dependsOn[0]', '"DB" is not a job (did you mean "db"? names are compared exactly)']],
  },
  { name: 'itself', jobs: [dep('a', 'a')], problems: [['a', 'dependsOn', 'forms a cycle: a → a']] },
  { name: 'two jobs', jobs: [dep('a', 'b'), dep('b', 'a')], problems: [['a', 'dependsOn', 'forms a cycle: a → b → a']] },
  {
    name: 'a cycle reached through a chain, reported once',
    jobs: [dep('x', 'a'), dep('a', 'b'), dep('b', 'c'), dep('c', 'a')],
    problems: [['a', 'dependsOn', 'forms a cycle: a → b → c → a']],
  },
  {
    name: 'two separate cycles',
    jobs: [dep('a', 'b'), dep('b', 'a'), dep('c', 'd'), dep('d', 'c')],
    problems: [
      ['a', 'dependsOn', 'forms a cycle: a → b → a'],
      ['c', 'dependsOn', 'forms a cycle: c → d → c'],
    ],
  },
  {
    name: 'unknown follow-up',
    jobs: [follow('a', { onSuccess: ['b', 'ghost'] }), { name: 'b' }],
    problems: [['a', 'onSuccess[1]', '"ghost" is not a job']],
  },
  {
    name: 'follow-up cycle across fields',
    jobs: [follow('a', { onFailure: ['b'] }), follow('b', { onCompletion: ['a'] })],
    problems: [['a', 'onFailure', 'forms a cycle of follow-ups: a → b → a']],
  },
  { name: 'a job following itself', jobs: [follow('a', { onCompletion: ['a'] })], problems: [['a', 'onCompletion', 'forms a cycle of follow-ups: a → a']] },
  {
    name: 'a follow-up of an upstream job is no cycle (separate graphs)',
    jobs: [{ ...dep('a', 'b'), followUps: { onFailure: [], onSuccess: [], onCompletion: [] } }, follow('b', { onFailure: ['a'] })],
    problems: [],
  },
];

describe('linkProblems', () => {
  it.each(scenarios)('$name', ({ jobs, problems }) => {
    const known = new Set(jobs.map((job) => job.name));
    expect(linkProblems(jobs, known).map((p) => [p.job, p.field, p.message])).toEqual(problems);
  });
});

describe('followUpsAfter', () => {
  const links: FollowUps = { onFailure: ['diag'], onSuccess: ['next'], onCompletion: ['log', 'diag'] };
  it.each<[RunStatus, string[]]>([
    ['up', ['next', 'log', 'diag']],
    ['degraded', ['next', 'log', 'diag']],
    ['down', ['diag', 'log']],
    ['error', ['diag', 'log']],
    ['skipped', []],
  ])('after a run that is %s: %j', (status, expected) => {
    expect(followUpsAfter(links, status)).toEqual(expected);
  });
  it('none without follow-ups', () => expect(followUpsAfter(undefined, 'down')).toEqual([]));
});
