/**
 * What a request may bring in before any route sees it. JSON bodies are parsed here rather than by
 * fastify's default parser so that (1) a charset other than UTF-8 is a 415, (2) the parser's message,
 * which quotes the body on Node 20 (`Unexpected token 'M', "MIHAR…" is not valid JSON`), is replaced
 * by a position, (3) nesting and text are checked before anything recursive or the database meets
 * them, and (4) the real size of the body is known whatever the Content-Length said (chunked
 * bodies have none). Query, path and header parameters get the same text check.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbiddenCharacter, MAX_JSON_DEPTH, scanJson } from '../lib/input-text.js';
import { MAX_PROBLEMS, problem, type FieldProblem } from '../lib/problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Bytes of the JSON body as received (0 when there is none). */
    bodyBytes: number;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The charset parameter of a Content-Type, lower-cased and unquoted. */
export function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

/** Where a JSON syntax error is, as line and column, from the parser's own offset when it gives one. */
function describeSyntaxError(text: string, error: unknown): string {
  const message = (error as Error).message ?? '';
  if (/end of JSON input/i.test(message)) return 'the body is not valid JSON: it ends before the value is complete';
  const offset = /at position (\d+)/.exec(message)?.[1];
  if (offset === undefined) return 'the body is not valid JSON';
  const before = text.slice(0, Number(offset));
  const line = before.split('\n').length;
  const column = Number(offset) - before.lastIndexOf('\n');
  return `the body is not valid JSON (line ${line}, column ${column})`;
}

export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  request.bodyBytes = body.length;
  const charset = charsetOf(request.headers['content-type']);
  if (charset && charset !== 'utf-8' && charset !== 'utf8')
    throw problem(415, 'unsupportedMediaType', 'JSON bodies must be UTF-8; this one says another charset');
  if (body.length === 0) throw problem(400, 'badRequest', 'the body is empty; a JSON value is required with Content-Type application/json');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw problem(400, 'badRequest', 'the body is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw problem(400, 'badRequest', describeSyntaxError(text, error));
  }
  const scan = scanJson(value, MAX_PROBLEMS);
  if (scan.tooDeep) throw problem(400, 'badRequest', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (scan.poisoned) throw problem(400, 'badRequest', 'the body has a __proto__ or constructor.prototype property, which is refused');
  if (scan.problemCount > 0) {
    const errors: FieldProblem[] = scan.problems.map(({ pointer, code, detail }) => ({ pointer, code, detail }));
    throw problem(
      422,
      'validation',
      `${scan.problemCount} value${scan.problemCount === 1 ? '' : 's'} of the body cannot be stored (a control character, an unpaired surrogate or an overflowing number); nothing was stored`,
      errors,
      scan.problemCount,
    );
  }
  return value;
}

/** Query, path and header parameters with a forbidden character, by name. */
function parameterProblems(request: FastifyRequest): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const check = (where: string, values: unknown) => {
    if (typeof values !== 'object' || values === null) return;
    for (const [name, value] of Object.entries(values)) {
      for (const text of Array.isArray(value) ? value : [value]) {
        if (typeof text !== 'string') continue;
        const found = forbiddenCharacter(text);
        if (!found) continue;
        // A name that is itself odd (a control character, thousands of characters) is not named back.
        problems.push({
          parameter: name.length <= 64 && !forbiddenCharacter(name) ? name : '(unnamed)',
          code: 'forbidden_character',
          detail: `${where} parameter ${found}`,
        });
        break;
      }
    }
  };
  check('query', request.query);
  check('path', request.params);
  check('header', request.headers);
  return problems;
}

export default fp(
  async (app) => {
    app.decorateRequest('bodyBytes', 0);
    // fastify's text/plain parser would hand a string to routes that take JSON, answering 422 where 415 is meant.
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        done(null, parseJsonBody(request, body as Buffer));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    app.addHook('preValidation', async (request) => {
      const problems = parameterProblems(request);
      if (problems.length > 0) throw problem(400, 'badRequest', 'a parameter holds a character that cannot be stored', problems);
    });
    // After validation: ajv coerces `limit=1e309` to Infinity and `offset=1e23` to a number no SQL
    // integer holds, and lets both through `type: integer`.
    app.addHook('preHandler', async (request) => {
      const problems: FieldProblem[] = [];
      for (const [where, values] of [
        ['query', request.query],
        ['path', request.params],
      ] as const) {
        if (typeof values !== 'object' || values === null) continue;
        for (const [name, value] of Object.entries(values))
          if (typeof value === 'number' && (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER))
            problems.push({ parameter: name, code: 'out_of_range', detail: `${where} parameter is a number too large to hold` });
      }
      if (problems.length > 0) throw problem(400, 'badRequest', 'a parameter is out of range', problems);
    });
  },
  { name: 'input' },
);
