/** What a dead letter says about the occurrence it carried, read from its message text. */
export interface DeadLetterContent {
  /** The job's name; `null` when the message does not say. */
  readonly job: string | null;
  /** The occurrence's scheduled instant (ISO 8601); `null` when the message does not say. */
  readonly scheduledAt: string | null;
  /** The occurrence's run id (`job@scheduledAt`); `null` when the message does not say. */
  readonly runId: string | null;
  /** The last failure's message, when the message carries one (the local host's poller adds it; the Functions host adds none). */
  readonly lastError: string | null;
  /** The message text itself (first 500 characters) when it is not a check message Pulsecheck can read. */
  readonly unreadable?: string;
}

const MAX_SHOWN = 500;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads a message of the check queue: JSON, normally base64 encoded (the Functions host's default
 * `messageEncoding`). Takes `job`, `scheduledAt`, `runId` and the last error (`lastError` or
 * `error`, as text or as `{ message }`); a run id alone gives the job and the instant. Never throws:
 * anything else is `unreadable`, with the text shown.
 */
export function readDeadLetter(text: string): DeadLetterContent {
  const body = parseJson(text) ?? (BASE64.test(text.trim()) ? parseJson(decodeBase64(text.trim())) : undefined);
  if (!body) return { job: null, scheduledAt: null, runId: null, lastError: null, unreadable: text.slice(0, MAX_SHOWN) };
  const runId = stringField(body.runId);
  const fromRunId = runId === null ? undefined : /^(.+)@(\d{4}-\d\d-\d\dT[^#]+)/.exec(runId);
  return {
    job: stringField(body.job) ?? stringField(body.jobName) ?? fromRunId?.[1] ?? null,
    scheduledAt: stringField(body.scheduledAt) ?? fromRunId?.[2] ?? null,
    runId,
    lastError: errorText(body.lastError) ?? errorText(body.error),
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** UTF-8 text of base64, without node:buffer (the domain imports nothing). */
function decodeBase64(text: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(atob(text), (c) => c.charCodeAt(0)));
  } catch {
    return '';
  }
}

const stringField = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.slice(0, MAX_SHOWN) : null);

function errorText(value: unknown): string | null {
  if (typeof value === 'object' && value !== null) return stringField((value as { message?: unknown }).message);
  return stringField(value);
}
