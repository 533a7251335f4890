import { z } from 'zod';
import { runIdFor } from '../domain/run.js';
import type { OccurrenceMessage } from '../domain/occurrence.js';

const schema = z
  .object({
    v: z.literal(1),
    job: z.string().min(1),
    scheduledAt: z.iso.datetime(),
    runId: z.string().min(1),
    revision: z.string(),
    catchUp: z.boolean().optional(),
  })
  .refine((m) => !Number.isFinite(Date.parse(m.scheduledAt)) || m.runId === runIdFor(m.job, Date.parse(m.scheduledAt)), { message: 'runId must be job@scheduledAt', path: ['runId'] });

/**
 * A queue message as `runCheck` receives it: the Functions host gives the decoded JSON (an object),
 * or the text when it is not JSON. Returns the message, or what is wrong with it (such a message
 * can never run: it goes to the poison queue).
 */
export function parseOccurrenceMessage(body: unknown): { ok: true; message: OccurrenceMessage } | { ok: false; error: string } {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return { ok: false, error: 'the message is not JSON' };
    }
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, message: parsed.data as OccurrenceMessage } : { ok: false, error: z.prettifyError(parsed.error) };
}
