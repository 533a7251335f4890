import { STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import azure, { type HttpResponseInit } from '@azure/functions';
import type { Logger } from '../../app/ports/index.js';
import { PulsecheckError } from '../../domain/errors.js';
import { MAX_BODY_BYTES, applySecurityHeaders, problem, tooLarge } from '../../functions/http.js';
import type { HostedHttpFunction } from '../../functions/registry.js';
import { invocationContext } from './context.js';
import { LOOPBACK_HOSTS, checkHost, hostNameOf } from './hostHeader.js';

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
 * written back. A known route with the wrong method gets 405; an unknown one 404. Only requests
 * whose `Host` names one of `hosts` are served (421 otherwise, 400 when malformed: see hostHeader.ts);
 * every answer carries the security headers.
 */
export function requestListener(
  functions: readonly HostedHttpFunction[],
  logger: Logger,
  hosts: ReadonlySet<string> = new Set(LOOPBACK_HOSTS),
): RequestListener {
  const routes: Route[] = functions.map((fn) => {
    const params: string[] = [];
    const source = fn.route
      .split('/')
      // A segment is literal text and `{param}`s, like the Functions host's routes (`{name}.svg`).
      .map((segment) =>
        segment
          .split(/(\{\w+\})/)
          .map((part) => {
            const param = /^\{(\w+)\}$/.exec(part);
            if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            params.push(param[1] as string);
            return '([^/]+?)';
          })
          .join(''),
      )
      .join('/');
    return { fn, pattern: new RegExp(`^/api/${source}/?$`, 'i'), params };
  });

  return (req, res) => {
    serve(routes, hosts, req, res, logger).catch((error: unknown) => {
      logger.error({ err: error }, 'local host failed to serve a request');
      if (!res.headersSent) void writeResponse(res, problem(error));
    });
  };
}

/**
 * Answers a request Node's HTTP parser refused (a raw byte above 0x7f in the path, a broken header)
 * as Node would, 400 (431 for headers too large, 408 for a timeout), but as a problem with the
 * security headers like every other answer. Listen to the server's `clientError` with it.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = status === 400 ? JSON.stringify(problem(new PulsecheckError('validation_failed', `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`)).jsonBody) : '';
  const headers = applySecurityHeaders(new Headers({ connection: 'close', 'content-length': String(Buffer.byteLength(body)) }));
  if (body) headers.set('content-type', 'application/problem+json; charset=utf-8');
  const lines = [...headers].map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines}\r\n${body}`);
}

async function serve(routes: readonly Route[], hosts: ReadonlySet<string>, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  const write = (init: HttpResponseInit, extra?: Record<string, string>) => writeResponse(res, init, extra);
  const host = req.headers.host;
  const verdict = checkHost(host, hosts);
  if (verdict === 'malformed') {
    const message = 'the Host header must be a host name or address with an optional port (name[:port])';
    return write(problem(new PulsecheckError('validation_failed', message, [{ path: 'Host', message }])));
  }
  if (verdict === 'misdirected') {
    const names = [...hosts].join(', ');
    return write(problem(new PulsecheckError('misdirected_request', `this host serves requests for ${names} only, not for "${hostNameOf(host)}"`)));
  }
  // Origin form only (`/api/...`): an absolute URL or `*` as the request target names no function here.
  const url = (req.url ?? '').startsWith('/') ? URL.parse(`http://${host}${req.url}`) : null;
  if (!url) return write(problem(new PulsecheckError('validation_failed', 'the request target must be a path beginning with /')));
  const matching = routes.filter((route) => route.pattern.test(url.pathname));
  if (matching.length === 0) {
    return write(problem(new PulsecheckError('not_found', `no function is registered at ${url.pathname}`)));
  }
  const route = matching.find((r) => r.fn.methods.includes((req.method ?? 'GET') as never));
  if (!route) {
    const allowed = [...new Set(matching.flatMap((r) => r.fn.methods))].join(', ');
    return write(problem(new PulsecheckError('method_not_allowed', `${req.method} is not allowed here (allowed: ${allowed})`)), { allow: allowed });
  }
  const body = await readBody(req);
  if (body === undefined) {
    return write(problem(tooLarge()));
  }
  const values = route.pattern.exec(url.pathname)?.slice(1) ?? [];
  let params: Record<string, string>;
  try {
    params = Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]));
  } catch {
    return write(problem(new PulsecheckError('validation_failed', `the path ${url.pathname} is not valid percent-encoding`)));
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
    // As in Azure, a GET or HEAD has no body (HttpRequest would warn and drop it).
    ...(body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? { body: { bytes: body } } : {}),
  });
  const context = invocationContext(route.fn.name, logger);
  await write(await route.fn.handler(request, context));
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

/** Writes a handler's answer (or the host's own) with the security headers of `applySecurityHeaders`. */
export async function writeResponse(res: ServerResponse, init: HttpResponseInit = {}, extra: Record<string, string> = {}): Promise<void> {
  if (typeof init.body === 'string' && init.jsonBody === undefined && !init.cookies) {
    // A body already serialised (GET /api/jobs) is written as it is: HttpResponse would copy it through a web stream.
    const headers = new Headers(extra);
    new Headers(init.headers).forEach((value, name) => headers.set(name, value));
    res.writeHead(init.status ?? 200, Object.fromEntries(applySecurityHeaders(headers)));
    res.end(init.body);
    return;
  }
  const response = new HttpResponse(init);
  const body = Buffer.from(await response.arrayBuffer());
  const headers = new Headers(extra);
  response.headers.forEach((value, name) => headers.set(name, value));
  res.writeHead(response.status, Object.fromEntries(applySecurityHeaders(headers)));
  res.end(body);
}
