import { mkdtempSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Registration {
  metadata: { name: string; bindings: Record<string, { type: string; direction: string; [key: string]: unknown }> };
}

/** Like azureEntry.test.ts (a fake `@azure/functions-core` captures the bindings), in queue mode. */
const registrations: Registration[] = [];
const fakeCore = {
  setProgrammingModel: () => undefined,
  registerFunction: (metadata: Registration['metadata']) => {
    registrations.push({ metadata });
    return { dispose: () => undefined };
  },
  log: () => undefined,
};
type Require = (this: NodeJS.Module, id: string) => unknown;
const proto = Module.prototype as unknown as { require: Require };
const originalRequire = proto.require;
const saved = { ...process.env };

describe('hosts/azure in queue mode', () => {
  beforeAll(async () => {
    proto.require = function (this: NodeJS.Module, id: string) {
      return id === '@azure/functions-core' ? fakeCore : originalRequire.call(this, id);
    };
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-azure-queue-'));
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify({ jobs: [] }));
    Object.assign(process.env, {
      PULSECHECK_JOBS_FILE: join(dir, 'jobs.json'),
      PULSECHECK_LOG_LEVEL: 'silent',
      PULSECHECK_DISPATCH: 'queue',
      // Never contacted: nothing runs in this test.
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    await import('../../../src/hosts/azure/index.js');
  });

  afterAll(() => {
    proto.require = originalRequire;
    process.env = saved;
  });

  it('binds runCheck to the queue pulsecheck-checks of AzureWebJobsStorage (its poison queue is the host’s -poison)', () => {
    const runCheck = registrations.find((r) => r.metadata.name === 'runCheck');
    const trigger = Object.values(runCheck?.metadata.bindings ?? {}).find((b) => b.direction === 'in');
    expect(trigger).toMatchObject({ type: 'queueTrigger', queueName: 'pulsecheck-checks', connection: 'AzureWebJobsStorage' });
    expect(registrations.filter((r) => r.metadata.name === 'dispatcher')).toHaveLength(1);
  });
});
