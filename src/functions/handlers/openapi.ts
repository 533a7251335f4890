import type { HttpHandler } from '@azure/functions';
import { handle, json } from '../http.js';
import { openApiDocument } from '../openapi.js';

/** GET /api/openapi.json: the API description, generated once from the zod schemas. */
export const openApi = (version: string): HttpHandler => {
  let document: object | undefined;
  return handle(async () => json((document ??= openApiDocument(version))));
};
