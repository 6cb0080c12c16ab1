/**
 * The one error handler: every error leaves as RFC 9457 `application/problem+json`. Client errors
 * keep their message; anything else is logged and masked, so internals never reach a client.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { describeDatabaseFailure, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/database-errors.js';
import { safePath } from '../lib/log-safety.js';
import { problemDocument, problemsFromAjv, problemTypes, type FieldProblem } from '../lib/problem.js';

interface ProblemLike extends FastifyError {
  problemType?: string;
  errors?: FieldProblem[];
  problemCount?: number;
}

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  type: string | undefined,
  detail: string,
  errors?: FieldProblem[],
  problemCount?: number,
) {
  return reply
    .status(status)
    .type('application/problem+json')
    .send({
      // The server never quotes what was sent (a cell may be about a person); the excerpts a problem
      // carries are shown only offline, by `vawg validate`, to whoever holds the file.
      ...problemDocument(status, detail, safePath(request.url.split('?')[0] ?? request.url), type, errors, problemCount),
      requestId: request.id,
    });
}

function fromValidation(error: ProblemLike): { status: number; errors: FieldProblem[] } {
  const context = error.validationContext ?? 'body';
  const problems = problemsFromAjv(error.validation ?? []);
  if (context === 'body') return { status: 422, errors: problems };
  // Query, path and header problems name the parameter rather than a body pointer.
  return {
    status: 400,
    errors: problems.map(({ pointer, code, detail }) => ({
      parameter: (pointer ?? '').replace(/^\//, '').split('/')[0] || context,
      code,
      detail: `${context} parameter ${detail}`,
    })),
  };
}

/** The methods each route pattern answers, so that a known path asked with another method is 405, not 404. */
interface RoutePattern {
  pattern: RegExp;
  methods: Set<string>;
}

function patternOf(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

function allowedMethods(routes: readonly RoutePattern[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * fastify's own answers before routing (a malformed percent-encoding 400, a path parameter over
 * `maxParamLength` 414): as problem documents, without quoting the path back.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode === 414 ? 414 : 400;
  const detail = status === 414 ? 'a path segment is longer than the server accepts' : 'the URL is not valid (check its percent-encoding)';
  void reply
    .status(status)
    .type('application/problem+json')
    .send({ ...problemDocument(status, detail, '/', problemTypes.badRequest), requestId: request.id });
}

/**
 * Node's own refusals before a request exists (headers over the size limit 431, a timeout 408,
 * unparseable HTTP 400), written to the socket as problem documents. There is no request path to
 * name, so `instance` is `/`.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail =
    status === 431
      ? 'the request headers are larger than the server accepts'
      : status === 408
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP';
  const body = JSON.stringify({ ...problemDocument(status, detail, '/', problemTypes.badRequest), requestId: randomUUID() });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

export default fp(
  async (app) => {
    const routes: RoutePattern[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const existing = routes.find((r) => r.pattern.source === patternOf(route.url).source);
      if (existing) for (const method of methods) existing.methods.add(method);
      else routes.push({ pattern: patternOf(route.url), methods: new Set(methods) });
    });

    app.setErrorHandler((error: ProblemLike, request, reply) => {
      if (error.validation) {
        const { status, errors } = fromValidation(error);
        const detail = status === 422 ? 'the request body is invalid; nothing was stored' : `invalid ${error.validationContext ?? 'request'} parameters`;
        return sendProblem(request, reply, status, undefined, detail, errors);
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        // Our own problems, and fastify's client errors (415, 413…), whose messages name no content;
        // JSON bodies are parsed by plugins/input.ts, which replaces the parser's quoting message.
        return sendProblem(request, reply, status, error.problemType, error.message, error.errors, error.problemCount);
      }
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ database: describeDatabaseFailure(error) }, 'database unavailable');
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return sendProblem(request, reply, 503, problemTypes.unavailable, 'the database cannot be reached; retry after the Retry-After delay');
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(request, reply, 500, problemTypes.internal, 'an unexpected error occurred; quote the requestId when reporting it');
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? request.url;
      const allowed = allowedMethods(routes, path);
      // A route that answers this method and found nothing (a static file that is not there) is a 404, not a 405.
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        reply.header('allow', allowed.join(', '));
        return sendProblem(
          request,
          reply,
          405,
          problemTypes.methodNotAllowed,
          `${request.method} is not allowed here; this path answers ${allowed.join(', ')}`,
        );
      }
      return sendProblem(request, reply, 404, problemTypes.notFound, `no route ${request.method} ${path}`);
    });
  },
  { name: 'errors' },
);
