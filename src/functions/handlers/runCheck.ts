import type { StorageQueueHandler } from '@azure/functions';
import type { Lifecycle } from '../../app/lifecycle.js';
import type { QueuedChecks } from '../../app/queuedChecks.js';
import { parseOccurrenceMessage } from '../../config/occurrenceMessage.js';
import { PulsecheckError } from '../../domain/errors.js';

/**
 * `runCheck`, queue-triggered (queue mode): runs one queued occurrence at its instant. Throwing
 * leaves the message to the host: it comes back after `visibilityTimeout`, and after
 * `maxDequeueCount` deliveries goes to `pulsecheck-checks-poison` (a message that is not an
 * occurrence gets there that way too).
 */
export const runCheck =
  (lifecycle: Lifecycle, queued: QueuedChecks): StorageQueueHandler =>
  async (body, context) => {
    const parsed = parseOccurrenceMessage(body);
    if (!parsed.ok) throw new PulsecheckError('validation_failed', `the queue message is not an occurrence: ${parsed.error}`);
    // Another instance takes it while this one shuts down.
    if (lifecycle.stopping) throw new PulsecheckError('unavailable', 'shutting down: the occurrence goes back to the queue');
    const { id, dequeueCount } = context.triggerMetadata ?? {};
    const delivery = { messageId: String(id ?? ''), dequeueCount: Number(dequeueCount ?? 1) };
    const result = await lifecycle.track((signals) => queued.handle(parsed.message, delivery, signals));
    if (result.outcome !== 'ran') context.log(`runCheck ${parsed.message.runId}: ${result.outcome}`);
  };
