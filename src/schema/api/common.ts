/** Shared API schemas. Each has an `$id`, so the OpenAPI document names it in `components.schemas`. */
import { Type, type TSchema } from 'typebox';
import { codeLists, listCodes } from '../dataset/code-lists.js';

export const FieldProblemSchema = Type.Object(
  {
    pointer: Type.Optional(
      Type.String({ description: 'JSON pointer into the body (`/records/12/victim/ethnicity`), or `row 13, column victim.ethnicity` for CSV.' }),
    ),
    parameter: Type.Optional(Type.String({ description: 'The query, path or header parameter at fault.' })),
    code: Type.String({ description: 'Machine-readable problem code, e.g. `required`, `not_in_code_list`, `unknown_field`.' }),
    detail: Type.String(),
  },
  { $id: 'FieldProblem', additionalProperties: false },
);

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Problem type URI (`urn:vawg:problem:…`).' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'The request path.' }),
    requestId: Type.String({ description: 'Quote this when reporting a problem; it is in the server logs.' }),
    errors: Type.Optional(Type.Array(Type.Ref('FieldProblem'))),
    problemCount: Type.Optional(
      Type.Integer({ minimum: 1, description: 'How many problems were found; `errors` lists at most the first 1,000. Present whenever `errors` is.' }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`).' },
);

export const ProblemRef = Type.Ref('Problem');

const errorDescriptions: Record<number, string> = {
  400: 'Malformed request (unparseable body or invalid parameter).',
  401: 'Missing or invalid API key.',
  403: 'The API key does not have the role or service this needs.',
  404: 'Not found.',
  409: 'Conflict with the current state.',
  413: 'Body larger than the configured limit.',
  415: 'Unsupported content type.',
  422: 'Well-formed but invalid content; `errors` lists every problem.',
  429: 'Too many failed authentications from this address or with this key, or too many requests with this key; wait `Retry-After` seconds.',
  503: 'Not ready: a dependency (the database) cannot be reached.',
};

/** The response of one error status, optionally with media-type examples of its problem document. */
export function errorResponse(status: number, examples?: Record<string, { summary: string; description?: string; value: unknown }>): TSchema {
  const media = { schema: ProblemRef, ...(examples ? { examples } : {}) };
  const headers = status === 429 ? { headers: { 'Retry-After': { type: 'integer', minimum: 1, description: 'Seconds to wait before trying again.' } } } : {};
  return { description: errorDescriptions[status] ?? 'Error.', content: { 'application/problem+json': media }, ...headers } as unknown as TSchema;
}

/** Response map entries for error statuses: every route lists the ones it can return. */
export function errorResponses<const S extends number>(...statuses: S[]): Record<S, TSchema> {
  // Whatever can answer 401 can answer 429: the failed-authentication and per-key limits (plugins/auth.ts).
  const all: number[] = statuses.includes(401 as S) && !statuses.includes(429 as S) ? [...statuses, 429] : statuses;
  return Object.fromEntries(all.map((s) => [s, errorResponse(s)])) as unknown as Record<S, TSchema>;
}

export const ServiceIdSchema = Type.String({
  pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$',
  minLength: 2,
  maxLength: 64,
  description: 'Service slug, e.g. `col-vva`.',
});
export const AreaCodeSchema = Type.String({ pattern: '^[EWSNK][0-9]{8}$', description: 'ONS GSS area code, e.g. `E09000001` (City of London).' });
export const ServiceTypeSchema = Type.String({ enum: listCodes(codeLists.serviceType), description: 'Service type (code list `serviceType`).' });
export const RoleSchema = Type.String({ enum: ['admin', 'provider', 'analyst'] });

export const PaginationQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
};

export const sharedSchemas = [FieldProblemSchema, ProblemSchema];
