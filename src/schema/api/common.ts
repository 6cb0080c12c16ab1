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

/**
 * Response headers that many responses carry, published once under `components.headers`: the last
 * step of the document (`openapi-document.ts`) adds `x-request-id` to every response and turns a
 * header of one of these names, wherever a route declares it, into a `$ref` to the component.
 */
export const sharedResponseHeaders = {
  'x-request-id': {
    component: 'RequestId',
    header: {
      description:
        'The id of this request: the `x-request-id` the client sent (1 to 64 of `A-Z a-z 0-9 . _ -`), else a new UUID. The same value is `requestId` in a problem document; quote it when reporting a problem, it is in the server logs.',
      required: true,
      schema: { type: 'string', minLength: 1, maxLength: 64 },
    },
  },
  'retry-after': {
    component: 'RetryAfter',
    header: { description: 'Seconds to wait before trying again.', required: true, schema: { type: 'integer', minimum: 1 } },
  },
  'www-authenticate': {
    component: 'WwwAuthenticate',
    header: {
      description: 'RFC 6750: `Bearer` when no key was sent, `Bearer error="invalid_token"` when the key is unknown or revoked.',
      required: true,
      schema: { type: 'string' },
    },
  },
  'idempotent-replayed': {
    component: 'IdempotentReplayed',
    header: {
      description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` (nothing was done again); absent otherwise.',
      schema: { type: 'string', enum: ['true'] },
    },
  },
} as const;

export type SharedResponseHeader = keyof typeof sharedResponseHeaders;

/**
 * On every response to a request with an API key (app.ts), unless the route sets its own, so that
 * what a key can read never lingers in a shared cache: declared on every response of a secured operation.
 */
export const noStoreHeader = {
  component: 'CacheControlNoStore',
  header: {
    description: '`no-store` on every response to a request that sent an API key: what a key can read must not be kept by a shared cache.',
    schema: { type: 'string', enum: ['no-store'] },
  },
};

/** A header of a route's response schema: @fastify/swagger reads each as a JSON Schema with a description. */
const headerSchema = (name: SharedResponseHeader) => {
  const { description, schema } = sharedResponseHeaders[name].header;
  return { ...schema, description };
};

/** Response headers by name, for a route's response schema (`{ headers: responseHeaders('retry-after') }`). */
export function responseHeaders(...names: SharedResponseHeader[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, headerSchema(name)]));
}

/** `Location` of a 201 or 202: where the resource created (or the job that will create it) is read. */
export const locationHeader = (description: string) => Type.String({ format: 'uri-reference', description });

/**
 * A JSON response with its description (without one, @fastify/swagger writes "Default Response"),
 * optionally with headers and media-type examples.
 */
export function jsonResponse(
  description: string,
  schema: TSchema,
  options: { headers?: Record<string, unknown>; examples?: Record<string, unknown> } = {},
): TSchema {
  const media = { schema, ...(options.examples ? { examples: options.examples } : {}) };
  return { description, ...(options.headers ? { headers: options.headers } : {}), content: { 'application/json': media } } as unknown as TSchema;
}

/** The response of one error status, optionally with media-type examples of its problem document and more headers. */
export function errorResponse(
  status: number,
  examples?: Record<string, { summary: string; description?: string; value: unknown }>,
  headers: SharedResponseHeader[] = [],
): TSchema {
  const media = { schema: ProblemRef, ...(examples ? { examples } : {}) };
  const names: SharedResponseHeader[] = [
    ...(status === 429 || status === 503 ? ['retry-after' as const] : []),
    ...(status === 401 ? ['www-authenticate' as const] : []),
    ...headers,
  ];
  return {
    description: errorDescriptions[status] ?? 'Error.',
    content: { 'application/problem+json': media },
    ...(names.length > 0 ? { headers: responseHeaders(...names) } : {}),
  } as unknown as TSchema;
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
