import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import azure from '@azure/functions';
import type { Logger } from '../../app/ports/index.js';
import { PulsecheckError } from '../../domain/errors.js';
import { MAX_BODY_BYTES, problem, tooLarge } from '../../functions/http.js';
import type { HostedHttpFunction } from '../../functions/registry.js';
import { invocationContext } from './context.js';

// @azure/functions is CommonJS: from ESM only `app` is a named export.
const { HttpRequest, HttpResponse } = azure;

interface Route {
  readonly fn: HostedHttpFunction;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

/**
 * Serves the registry's HTTP functions the way the Functions host does: `/api` prefix, route
 * parameters, a constructed `HttpRequest` and `InvocationContext`, the handler's `HttpResponseInit`
 * written back. A known route with the wrong method gets 405; an unknown one 404.
 */
export function requestListener(functions: readonly HostedHttpFunction[], logger: Logger): RequestListener {
  const routes: Route[] = functions.map((fn) => {
    const params: string[] = [];
    const source = fn.route
      .split('/')
      .map((segment) => {
        const param = /^\{(\w+)\}$/.exec(segment);
        if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        params.push(param[1] as string);
        return '([^/]+)';
      })
      .join('/');
    return { fn, pattern: new RegExp(`^/api/${source}/?$`, 'i'), params };
  });

  return (req, res) => {
    serve(routes, req, res, logger).catch((error: unknown) => {
      logger.error({ err: error }, 'local host failed to serve a request');
      if (!res.headersSent) void write(res, problem(error));
    });
  };
}

async function serve(routes: readonly Route[], req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const matching = routes.filter((route) => route.pattern.test(url.pathname));
  if (matching.length === 0) {
    return write(res, problem(new PulsecheckError('not_found', `no function is registered at ${url.pathname}`)));
  }
  const route = matching.find((r) => r.fn.methods.includes((req.method ?? 'GET') as never));
  if (!route) {
    const allowed = [...new Set(matching.flatMap((r) => r.fn.methods))].join(', ');
    return write(res, problem(new PulsecheckError('method_not_allowed', `${req.method} is not allowed here (allowed: ${allowed})`)), { allow: allowed });
  }
  const body = await readBody(req);
  if (body === undefined) {
    return write(res, problem(tooLarge()));
  }
  const values = route.pattern.exec(url.pathname)?.slice(1) ?? [];
  let params: Record<string, string>;
  try {
    params = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]));
  } catch {
    return write(res, problem(new PulsecheckError('validation_failed', `the path ${url.pathname} is not valid percent-encoding`)));
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Like the platform's front end, the host says who connected; what a client sent here is dropped.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? 'unknown';
  const request = new HttpRequest({
    method: req.method ?? 'GET',
    url: url.toString(),
    headers,
    query: Object.fromEntries(url.searchParams),
    params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  });
  const context = invocationContext(route.fn.name, logger);
  await write(res, await route.fn.handler(request, context));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function write(res: ServerResponse, init: ConstructorParameters<typeof HttpResponse>[0], extra: Record<string, string> = {}): Promise<void> {
  if (init && typeof init.body === 'string' && init.jsonBody === undefined && !init.cookies) {
    // A body already serialised (GET /api/jobs) is written as it is: HttpResponse would copy it through a web stream.
    res.writeHead(init.status ?? 200, { ...extra, ...Object.fromEntries(new Headers(init.headers).entries()) });
    res.end(init.body);
    return;
  }
  const response = new HttpResponse(init);
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = { ...extra };
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, headers);
  res.end(body);
}
