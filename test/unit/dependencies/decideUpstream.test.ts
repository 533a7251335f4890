import { describe, expect, it } from 'vitest';
import { decideUpstream, dependentsOf, isUpstreamDown, silencedByUpstream, type Dependencies } from '../../../src/domain/dependencies.js';
import type { Run } from '../../../src/domain/run.js';
import type { Health } from '../../../src/domain/state.js';

/** A graph `job → dependsOn` and the health of each job. */
interface Scenario {
  readonly name: string;
  readonly graph: Record<string, string[]>;
  readonly health: Record<string, string>;
  readonly when?: 'skip' | 'silent';
  readonly expected: ReturnType<typeof decideUpstream>;
}

const decide = ({ graph, health, when = 'skip' }: Scenario) => {
  const own = graph.app ?? [];
  const dependencies: Dependencies | undefined = own.length > 0 ? { dependsOn: own, whenUpstreamDown: when } : undefined;
  return decideUpstream('app', dependencies, (name) => graph[name], (name) => health[name] as Health | undefined);
};

const scenarios: Scenario[] = [
  { name: 'no dependsOn: runs', graph: {}, health: {}, expected: { action: 'run' } },
  { name: 'upstream UP: runs', graph: { app: ['db'] }, health: { db: 'UP' }, expected: { action: 'run' } },
  { name: 'upstream never recorded: runs', graph: { app: ['db'] }, health: {}, expected: { action: 'run' } },
  { name: 'upstream UNKNOWN: runs', graph: { app: ['db'] }, health: { db: 'UNKNOWN' }, expected: { action: 'run' } },
  { name: 'upstream DEGRADED counts as up: runs', graph: { app: ['db'] }, health: { db: 'DEGRADED' }, expected: { action: 'run' } },
  {
    name: 'upstream DOWN: skipped, naming it',
    graph: { app: ['db'] },
    health: { db: 'DOWN' },
    expected: { action: 'skip', upstream: ['db'], message: 'upstream job "db" is down' },
  },
  {
    name: 'any state that is not up (a maintenance window) takes it down',
    graph: { app: ['db'] },
    health: { db: 'MAINTENANCE' },
    expected: { action: 'skip', upstream: ['db'], message: 'upstream job "db" is down' },
  },
  {
    name: 'two of three upstream jobs down: both named',
    graph: { app: ['db', 'cache', 'queue'] },
    health: { db: 'DOWN', cache: 'UP', queue: 'DOWN' },
    expected: { action: 'skip', upstream: ['db', 'queue'], message: 'upstream jobs "db", "queue" are down' },
  },
  {
    name: 'transitive: the upstream job of an upstream job is down',
    graph: { app: ['api'], api: ['db'] },
    health: { api: 'UP', db: 'DOWN' },
    expected: { action: 'skip', upstream: ['db'], message: 'upstream job "db" is down' },
  },
  {
    name: 'transitive walk stops at the first down job on the path',
    graph: { app: ['api'], api: ['db'] },
    health: { api: 'DOWN', db: 'DOWN' },
    expected: { action: 'skip', upstream: ['api'], message: 'upstream job "api" is down' },
  },
  {
    name: 'silent: runs, marked suppressed',
    graph: { app: ['db'] },
    health: { db: 'DOWN' },
    when: 'silent',
    expected: { action: 'silent', suppressed: { reason: 'upstream-down', upstream: ['db'] } },
  },
  {
    name: 'a cycle (a config error) is walked safely',
    graph: { app: ['a'], a: ['b'], b: ['a', 'app'] },
    health: { a: 'UP', b: 'UP' },
    expected: { action: 'run' },
  },
];

describe('decideUpstream', () => {
  it.each(scenarios)('$name', (scenario) => {
    expect(decide(scenario)).toEqual(scenario.expected);
  });
});

describe('isUpstreamDown', () => {
  it.each([
    [undefined, false],
    ['UP', false],
    ['UNKNOWN', false],
    ['DEGRADED', false],
    ['DOWN', true],
    ['MAINTENANCE', true],
  ])('%s → %s', (health, down) => {
    expect(isUpstreamDown(health as Health | undefined)).toBe(down);
  });
});

describe('dependentsOf', () => {
  const jobs = [
    { name: 'db' },
    { name: 'api', dependencies: { dependsOn: ['db'], whenUpstreamDown: 'skip' as const } },
    { name: 'web', dependencies: { dependsOn: ['api'], whenUpstreamDown: 'skip' as const } },
    { name: 'batch', dependencies: { dependsOn: ['db', 'api'], whenUpstreamDown: 'silent' as const } },
    { name: 'other' },
  ];
  it.each([
    ['db', ['api', 'batch', 'web']],
    ['api', ['batch', 'web']],
    ['web', []],
    ['other', []],
  ])('%s takes down %j', (name, expected) => {
    expect(dependentsOf(name, jobs)).toEqual(expected);
  });
});

describe('silencedByUpstream', () => {
  const run = (fields: Partial<Run>) => ({ status: 'down', ...fields }) as Run;
  it.each([
    ['a down run', run({}), false],
    ['a run skipped for its upstream', run({ status: 'skipped', error: { kind: 'upstream-down', message: '…' } }), true],
    ['a run skipped for overlap', run({ status: 'skipped', error: { kind: 'overlap', message: '…' } }), false],
    ['a silent run that failed', run({ suppressed: { reason: 'upstream-down', upstream: ['db'] } }), true],
  ])('%s → %s', (_name, value, expected) => {
    expect(silencedByUpstream(value)).toBe(expected);
  });
});
