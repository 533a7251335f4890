import { describe, expect, it } from 'vitest';
import type { AuditStore, JobRepository, StoredJob } from '../../../src/app/ports/index.js';
import { auditKey } from '../../../src/domain/audit.js';
import { audit, opened, pageAll, storedJob, type RoleFactory } from './fixtures.js';

/** The contract of AuditStore. */
export function describeAuditStore(name: string, factory: RoleFactory<AuditStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    const { create } = opened(factory);

    it('keeps the audit log newest first and pages it, whatever order the entries came in', async () => {
      const store = await create();
      for (const i of [3, 0, 6, 1, 5, 2, 4]) await store.recordAudit(audit(i));
      const pages = await pageAll((after) => store.listAudit({ limit: 3, ...(after ? { after } : {}) }), 3, auditKey);
      expect(pages.flat().map((e) => e.id)).toEqual(['a6', 'a5', 'a4', 'a3', 'a2', 'a1', 'a0']);
      expect(pages.flat()[0]).toEqual(audit(6));
    });
  });
}

/** The contract of JobRepository (API-defined jobs). */
export function describeJobRepository(name: string, factory: RoleFactory<JobRepository>): void {
  describe(`JobRepository contract: ${name}`, () => {
    const { create } = opened(factory);

    it('creates API jobs with unique names ignoring case, and finds them ignoring case', async () => {
      const store = await create();
      await store.createJob(storedJob('Billing'));
      await expect(store.createJob(storedJob('billing', 'r2'))).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.getJob('BILLING')).toEqual(storedJob('Billing'));
      expect(await store.getJob('nope')).toBeUndefined();
      await store.createJob(storedJob('search'));
      expect((await store.listJobs()).map((j) => j.name).sort()).toEqual(['Billing', 'search']);
    });

    it('replaces and deletes a job only at the revision the caller read', async () => {
      const store = await create();
      await store.createJob(storedJob('billing', 'r1'));
      const changed = storedJob('billing', 'r2', 'https://example.test/v2');
      await expect(store.replaceJob(changed, 'stale')).rejects.toMatchObject({ code: 'precondition_failed' });
      expect(await store.replaceJob(changed, 'r1')).toEqual(changed);
      expect(await store.getJob('billing')).toEqual(changed);
      expect((await store.listJobs()).map((j) => j.etag)).toEqual(['r2']);
      await expect(store.deleteJob('billing', 'r1')).rejects.toMatchObject({ code: 'precondition_failed' });
      await store.deleteJob('billing', 'r2');
      expect(await store.getJob('billing')).toBeUndefined();
      await expect(store.deleteJob('billing', 'r2')).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.replaceJob(changed, 'r2')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('lets exactly one of two concurrent writers with the same revision win', async () => {
      const store = await create();
      await store.createJob(storedJob('race', 'r1'));
      const results = await Promise.allSettled([
        store.replaceJob(storedJob('race', 'left', 'https://left.test'), 'r1'),
        store.replaceJob(storedJob('race', 'right', 'https://right.test'), 'r1'),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.reason).toMatchObject({ code: 'precondition_failed' });
      const winner = (won[0] as PromiseFulfilledResult<StoredJob>).value;
      expect((await store.getJob('race'))?.etag).toBe(winner.etag);
    });
  });
}
