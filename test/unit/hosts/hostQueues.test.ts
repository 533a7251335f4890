import { describe, expect, it } from 'vitest';
import { parseQueueOptions } from '../../../src/config/hostQueues.js';
import { isPulsecheckError } from '../../../src/domain/errors.js';

describe('parseQueueOptions (host.json extensions.queues)', () => {
  it.each([
    {
      why: 'the Functions host defaults when host.json says nothing',
      json: {},
      options: { batchSize: 16, newBatchThreshold: 16, maxPollingIntervalMs: 60_000, visibilityTimeoutMs: 0, maxDequeueCount: 5, messageEncoding: 'base64' },
    },
    {
      why: 'time spans as .NET writes them',
      json: { extensions: { queues: { batchSize: 32, newBatchThreshold: 480, maxPollingInterval: '00:00:01', visibilityTimeout: '00:00:02.500', maxDequeueCount: 3 } } },
      options: { batchSize: 32, newBatchThreshold: 480, maxPollingIntervalMs: 1_000, visibilityTimeoutMs: 2_500, maxDequeueCount: 3, messageEncoding: 'base64' },
    },
    {
      why: 'maxPollingInterval at least 100 ms, days in a time span',
      json: { extensions: { queues: { maxPollingInterval: 10, visibilityTimeout: '1.00:00:00', messageEncoding: 'none' } } },
      options: { batchSize: 16, newBatchThreshold: 16, maxPollingIntervalMs: 100, visibilityTimeoutMs: 86_400_000, maxDequeueCount: 5, messageEncoding: 'none' },
    },
  ])('$why', ({ json, options }) => {
    expect(parseQueueOptions(json, 2)).toEqual(options);
  });

  it.each([
    [{ batchSize: 64 }, 'extensions.queues.batchSize'],
    [{ maxPollingInterval: 'soon' }, 'extensions.queues.maxPollingInterval must be a time span'],
    [{ maxDequeueCount: 0 }, 'extensions.queues.maxDequeueCount'],
  ])('names the bad option %j', (queues, message) => {
    try {
      parseQueueOptions({ extensions: { queues } }, 2);
      expect.unreachable();
    } catch (error) {
      expect(isPulsecheckError(error) && error.message).toContain(message);
    }
  });
});
