import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobSASPermissions, BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobJobCatalog } from '../../../src/adapters/blob-catalog/blobCatalog.js';
import { FileJobCatalog } from '../../../src/adapters/file-catalog/fileCatalog.js';
import { parseJobsFile } from '../../../src/config/jobsFile.js';
import type { RunningAzurite } from '../../../src/hosts/local/azurite.js';
import { acquireAzurite, releaseAzurite, uniquePrefix } from '../../support/azurite.js';
import { FakeClock, MemoryLogger } from '../../support/fakes.js';
import { eventually } from '../../support/eventually.js';

const file = (...names: string[]) => JSON.stringify({ jobs: names.map((name) => ({ name, url: 'https://x.test/', every: '1m' })) });
const BAD = JSON.stringify({ jobs: [{ name: 'broken', url: 'https://x.test/', schedule: '0 */5 * *' }] });
const parse = (text: string) => parseJobsFile(text, {}, 'jobs.config.json');
const names = async (source: { list(): Promise<readonly { name: string }[]> }) => (await source.list()).map((j) => j.name);

describe('jobs file hot reload (FileJobCatalog with watch)', () => {
  it('applies a changed file, keeps the last good version when the new one is invalid, and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsecheck-watch-'));
    const path = join(dir, 'jobs.config.json');
    writeFileSync(path, file('a'));
    const logger = new MemoryLogger();
    const source = new FileJobCatalog(path, parse, { watch: true, logger, debounceMs: 20 });
    try {
      expect(await names(source)).toEqual(['a']);
      writeFileSync(path, file('a', 'b'));
      await eventually(async () => (await names(source)).length === 2);
      expect(source.health()).toMatchObject({ status: 'ok', jobs: 2 });
      writeFileSync(path, BAD);
      await eventually(() => source.health().status === 'degraded');
      expect(await names(source)).toEqual(['a', 'b']);
      expect(source.health()).toMatchObject({ error: expect.stringContaining('schedule "0 */5 * *" is not NCRONTAB') });
      expect(logger.records.find((r) => r.level === 'error')?.message).toContain('the last good version stays in use');
      writeFileSync(path, file('c'));
      await eventually(() => source.health().status === 'ok');
      expect(await names(source)).toEqual(['c']);
    } finally {
      source.close();
    }
  });
});

describe('jobs file in a blob (BlobJobCatalog on Azurite)', () => {
  let azurite: RunningAzurite;
  beforeAll(async () => {
    azurite = await acquireAzurite();
  });
  afterAll(async () => {
    await releaseAzurite();
  });

  it('reads the blob by ETag, applies new versions and keeps the last good one when a version is invalid', async () => {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(uniquePrefix('jobs').toLowerCase());
    await container.create();
    const blob = container.getBlockBlobClient('jobs.config.json');
    const upload = (text: string) => blob.upload(text, Buffer.byteLength(text));
    await upload(file('a'));
    const url = await blob.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3_600_000) });
    const logger = new MemoryLogger();
    const source = new BlobJobCatalog({ url, parse, logger, clock: new FakeClock(0), minIntervalMs: 0 });
    expect(await names(source)).toEqual(['a']);
    const etag = source.health().etag;
    expect(await names(source)).toEqual(['a']); // unchanged: a 304, not downloaded and parsed again
    expect(logger.records.filter((r) => (r.fields as { event?: string }).event === 'jobs-reloaded')).toHaveLength(1);
    expect(source.health()).toMatchObject({ status: 'ok', etag, source: expect.not.stringContaining('sig=') });
    await upload(file('a', 'b'));
    expect(await names(source)).toEqual(['a', 'b']);
    await upload(BAD);
    expect(await names(source)).toEqual(['a', 'b']);
    expect(source.health()).toMatchObject({ status: 'degraded', error: expect.stringContaining('not NCRONTAB') });
    expect(JSON.stringify(logger.records)).not.toContain('sig=');
    await upload(file('c'));
    expect(await names(source)).toEqual(['c']);
    expect(source.health().status).toBe('ok');
  });

  it('reports a blob it cannot read as down, without jobs', async () => {
    const source = new BlobJobCatalog({ url: `${azurite.endpoints.blob}/devstoreaccount1/nothing/jobs.json`, parse, logger: new MemoryLogger(), clock: new FakeClock(0), minIntervalMs: 0 });
    expect(await source.list()).toEqual([]);
    expect(source.health()).toMatchObject({ status: 'down', detail: 'no valid jobs blob has been read yet' });
  });
});
