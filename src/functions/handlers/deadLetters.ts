import type { HttpHandler, HttpRequest } from '@azure/functions';
import type { DeadLetters } from '../../app/deadLetters.js';
import { validationError } from '../../domain/errors.js';
import { handleCaller, type CallerHandler } from '../access.js';
import { handle, json } from '../http.js';

/** GET /api/deadletters: the oldest dead letters and their count; in inline mode an empty list that says so. */
export const listDeadLetters = (deadLetters: DeadLetters): HttpHandler =>
  handle(async () => json(await deadLetters.list(), 200, { 'cache-control': 'no-store' }));

/** POST /api/deadletters/{id}/retry: puts one back on the check queue (audited); 409 in inline mode, 404 if gone. */
export const retryDeadLetter = (deadLetters: DeadLetters): CallerHandler =>
  handleCaller(async (request, caller) => json({ retried: await deadLetters.retry(messageIdParam(request), caller.actor) }));

/** A queue message id: a GUID in Azure Storage; letters, digits and `-` accepted. */
function messageIdParam(request: HttpRequest): string {
  const value = request.params.id ?? '';
  if (/^[A-Za-z0-9-]{1,100}$/.test(value)) return value;
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  throw validationError('the URL', [{ path: 'id', message: `id ${shown} in the URL must be a dead letter's id as GET /api/deadletters lists it (letters, digits and "-")` }]);
}
