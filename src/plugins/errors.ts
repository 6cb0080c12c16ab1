/**
 * The one error handler: every error leaves as RFC 9457 `application/problem+json`. Client errors
 * keep their message; anything else is logged and masked, so internals never reach a client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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
    .send({ ...problemDocument(status, detail, request.url.split('?')[0] ?? request.url, type, errors, problemCount), requestId: request.id });
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

export default fp(
  async (app) => {
    app.setErrorHandler((error: ProblemLike, request, reply) => {
      if (error.validation) {
        const { status, errors } = fromValidation(error);
        const detail = status === 422 ? 'the request body is invalid; nothing was stored' : `invalid ${error.validationContext ?? 'request'} parameters`;
        return sendProblem(request, reply, status, undefined, detail, errors);
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        // JSON parse errors carry the parser's message, which names the position and never the content.
        return sendProblem(request, reply, status, error.problemType, error.message, error.errors, error.problemCount);
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(request, reply, 500, problemTypes.internal, 'an unexpected error occurred; quote the requestId when reporting it');
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, 404, problemTypes.notFound, `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors' },
);
