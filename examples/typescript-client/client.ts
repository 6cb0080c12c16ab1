/**
 * A typed client for the VAWG Dataset API, generated from its OpenAPI document: `schema.d.ts` is
 * written by openapi-typescript and `openapi-fetch` turns it into `client.GET('/v1/…')` calls whose
 * paths, parameters, bodies and responses are all checked by the TypeScript compiler.
 *
 * Copy this folder, regenerate `schema.d.ts` from the published spec (README.md), and use the
 * helpers below or call `client.GET` / `client.POST` directly.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };

export type VawgClient = Client<paths>;
export type Schemas = components['schemas'];
// Named from the operations (their ids are stable) rather than from component names where possible.
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Submitted = operations['submitReturn']['responses'];
export type DatasetRecord = Schemas['DatasetRecord'];
export type Problem = Schemas['Problem'];
export type ReturnSummary = Json<Submitted[201]>;
export type DryRunResult = Json<Submitted[200]>;
export type Job = Json<Submitted[202]>;
export type Aggregate = Exclude<Json<operations['getAggregates']['responses'][200]>, string>;
export type Service = Json<operations['createService']['responses'][201]>;
export type CreatedApiKey = Json<operations['createApiKey']['responses'][201]>;
export type NewReturn = operations['submitReturn']['requestBody']['content']['application/json'];
export type NewService = operations['createService']['requestBody']['content']['application/json'];
export type ReturnDetail = operations['getReturn']['responses'][200]['content']['application/json'];
export type AggregateQuery = operations['getAggregates']['parameters']['query'];
export type IndicatorQuery = NonNullable<operations['getIndicators']['parameters']['query']>;
export type Indicators = operations['getIndicators']['responses'][200]['content']['application/json'];

export interface ClientOptions {
  /** The API's origin, e.g. `https://vawg.example.gov.uk` (the paths start with `/v1`). */
  baseUrl: string;
  /** An API key created with `POST /v1/api-keys`. */
  apiKey: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
}

export function createVawgClient({ baseUrl, apiKey, fetch }: ClientOptions): VawgClient {
  return createClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    // openapi-fetch does not read a parameter's `explode` from the document: groupBy travels as one
    // comma-separated value (style form, explode false).
    querySerializer: { array: { style: 'form', explode: false } },
    ...(fetch ? { fetch } : {}),
  });
}

/** An RFC 9457 problem answered by the API, with its status and (for 422) every field problem. */
export class ApiProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'ApiProblemError';
  }
}

/** The data of a successful call, or an `ApiProblemError` for a problem document. */
function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined) return result.data;
  const error = result.error as Partial<Problem> | undefined;
  throw new ApiProblemError({
    type: error?.type ?? 'about:blank',
    title: error?.title ?? result.response.statusText,
    status: error?.status ?? result.response.status,
    detail: error?.detail ?? '',
    instance: error?.instance ?? '',
    requestId: error?.requestId ?? result.response.headers.get('x-request-id') ?? '',
    ...(error?.errors ? { errors: error.errors } : {}),
  });
}

/** Registers a service (admin). */
export async function registerService(client: VawgClient, service: NewService): Promise<Service> {
  return unwrap(await client.POST('/v1/services', { body: service }));
}

/** Creates a provider key bound to services (admin); the key is shown only in this answer. */
export async function createProviderKey(client: VawgClient, services: string[], label: string): Promise<CreatedApiKey> {
  return unwrap(await client.POST('/v1/api-keys', { body: { role: 'provider', services, label } }));
}

/**
 * Submits a JSON return. Resolves with the stored return's summary (201); a large return answered
 * with a job (202) is polled until it ends. Rejects with `ApiProblemError` (422 lists every problem).
 */
export async function submitReturn(client: VawgClient, body: NewReturn, options: { idempotencyKey?: string } = {}): Promise<ReturnSummary> {
  const result = await client.POST('/v1/returns', {
    params: { query: { dryRun: false }, ...(options.idempotencyKey ? { header: { 'idempotency-key': options.idempotencyKey } } : {}) },
    body,
  });
  const data = unwrap(result);
  if ('kind' in data) return (await waitForJob(client, data.id)) as ReturnSummary;
  if ('dryRun' in data) throw new Error('a dry run was answered to a submission');
  return data;
}

/** Validates a JSON return with the server's rules without storing it (`?dryRun=true`). */
export async function checkReturn(client: VawgClient, body: NewReturn): Promise<DryRunResult> {
  const data = unwrap(await client.POST('/v1/returns', { params: { query: { dryRun: true } }, body }));
  if (!('dryRun' in data)) throw new Error('a dry run was not answered as one');
  return data;
}

/** Polls a job (`GET /v1/jobs/{id}`) until it has finished, and returns its result body. */
export async function waitForJob(client: VawgClient, id: string, intervalMs = 500): Promise<unknown> {
  for (;;) {
    const job = unwrap(await client.GET('/v1/jobs/{id}', { params: { path: { id } } }));
    if (job.status === 'succeeded' || job.status === 'failed') {
      const result = job.result as { status?: number; body?: unknown } | null;
      if (job.status === 'failed' || (result?.status ?? 500) >= 400) throw new ApiProblemError(result?.body as Problem);
      return result?.body;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Reads a return with its records (without the linkage key, which is never stored). */
export async function getReturn(client: VawgClient, id: string): Promise<ReturnDetail> {
  return unwrap(await client.GET('/v1/returns/{id}', { params: { path: { id } } }));
}

/** A complete aggregate table (`measure=referrals|people`, up to four `groupBy` dimensions). */
export async function getAggregate(client: VawgClient, query: Omit<AggregateQuery, 'format' | 'ageBands'> & Partial<AggregateQuery>): Promise<Aggregate> {
  const table = unwrap(await client.GET('/v1/aggregates', { params: { query: { format: 'json', ageBands: 'marac', ...query } } }));
  // The operation also answers text/csv (with format=csv); this helper asks for JSON.
  if (typeof table === 'string') throw new Error('expected a JSON aggregate, got CSV');
  return table;
}

/** The named indicators for a scope (a period and optional service, service type or area). */
export async function getIndicators(client: VawgClient, query: IndicatorQuery): Promise<Indicators> {
  const indicators = unwrap(await client.GET('/v1/indicators', { params: { query: { format: 'json', ...query } } }));
  // The operation also answers text/csv (with format=csv); this helper asks for JSON.
  if (typeof indicators === 'string') throw new Error('expected JSON indicators, got CSV');
  return indicators;
}
