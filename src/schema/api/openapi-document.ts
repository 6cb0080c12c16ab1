/**
 * The last step of the OpenAPI document (`transformObject` of @fastify/swagger): the record schema
 * the server validates with is published as `components.schemas.DatasetRecord`, and each code list
 * in its `$defs` becomes a named component with a label for every code (`x-enumDescriptions`);
 * parameters take the form their `x-openapi-parameter` gives; the response headers many responses
 * share are published once, as `components.headers`, and `x-request-id` is on every response.
 */
import { codeListEnumDescriptions } from '../dataset/code-list-schemas.js';
import { buildRecordJsonSchema, recordCodeLists } from '../dataset/record-schema.js';
import { noStoreHeader, sharedResponseHeaders } from './common.js';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
/** The record's component name (not `Record`, which would hide TypeScript's `Record<K, V>` in generated clients). */
const RECORD = 'DatasetRecord';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);

/** Every operation of the document. */
function operationsOf(paths: Record<string, Record<string, Json>>): Json[] {
  return Object.values(paths).flatMap((item) => Object.entries(item).flatMap(([method, operation]) => (METHODS.has(method) ? [operation] : [])));
}

/** Rewrites `#/$defs/X` references of the record schema to `#/components/schemas/X`. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/') ? `${COMPONENTS}${value.slice('#/$defs/'.length)}` : rewriteRefs(value),
    ]),
  );
}

/** Record and code-list components, independent of how @fastify/swagger hoisted the record's `$defs`. */
export function recordComponents(): Record<string, Json> {
  const { $defs, ...record } = buildRecordJsonSchema() as Json & { $defs: Record<string, Json> };
  const components: Record<string, Json> = { [RECORD]: rewriteRefs(record) as Json };
  for (const { name, list, personAnswers } of recordCodeLists()) {
    components[name] = { ...$defs[name], 'x-enumDescriptions': codeListEnumDescriptions(list, personAnswers) };
  }
  return components;
}

/**
 * A query parameter with a default may be left out: the server fills it in. TypeBox marks it
 * required (the handler always sees a value), which would force every generated client to send it.
 */
function markDefaultedParametersOptional(paths: Record<string, Record<string, Json>>): void {
  for (const operation of operationsOf(paths)) {
    const parameters = operation.parameters as Json[] | undefined;
    for (const parameter of parameters ?? [])
      if (parameter.in === 'query' && parameter.required && (parameter.schema as Json | undefined)?.default !== undefined) parameter.required = false;
  }
}

/**
 * A parameter the server reads as text but that is a structured value (a comma-separated list)
 * carries `x-openapi-parameter` (`style`, `explode`, `schema`): the document shows that form, so a
 * generated client sends a list the way the server reads it.
 */
function applyParameterForms(paths: Record<string, Record<string, Json>>): void {
  for (const operation of operationsOf(paths))
    for (const parameter of (operation.parameters as Json[] | undefined) ?? []) {
      const form = (parameter.schema as Json | undefined)?.['x-openapi-parameter'] as Json | undefined;
      if (!form) continue;
      const { schema, ...serialisation } = form;
      Object.assign(parameter, serialisation, { schema });
    }
}

/**
 * Every response carries `x-request-id`, and every response of a secured operation may carry
 * `cache-control: no-store`; a header of a shared name (`retry-after`, `www-authenticate`,
 * `idempotent-replayed`) becomes a reference to its component, so it is described once.
 */
function shareResponseHeaders(paths: Record<string, Record<string, Json>>): Record<string, Json> {
  const components: Record<string, Json> = {};
  const refOf = (name: string): Json | undefined => {
    const shared = sharedResponseHeaders[name.toLowerCase() as keyof typeof sharedResponseHeaders];
    if (!shared) return undefined;
    components[shared.component] = structuredClone(shared.header) as unknown as Json;
    return { $ref: `#/components/headers/${shared.component}` };
  };
  for (const operation of operationsOf(paths)) {
    const secured = ((operation.security as unknown[] | undefined) ?? []).length > 0;
    for (const response of Object.values((operation.responses ?? {}) as Record<string, Json>)) {
      const headers: Record<string, Json> = {};
      for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
        const ref = refOf(name);
        headers[ref ? name.toLowerCase() : name] = ref ?? header;
      }
      if (secured && !Object.keys(headers).some((name) => name.toLowerCase() === 'cache-control')) {
        components[noStoreHeader.component] = structuredClone(noStoreHeader.header) as unknown as Json;
        headers['cache-control'] = { $ref: `#/components/headers/${noStoreHeader.component}` };
      }
      headers['x-request-id'] = refOf('x-request-id')!;
      response.headers = headers;
    }
  }
  return components;
}

export function finishOpenApiDocument({ openapiObject }: { openapiObject: Json }): Json {
  const paths = (openapiObject.paths ?? {}) as Record<string, Record<string, Json>>;
  markDefaultedParametersOptional(paths);
  applyParameterForms(paths);
  const headers = shareResponseHeaders(paths);
  const components = (openapiObject.components ?? {}) as Json;
  const schemas = { ...((components.schemas ?? {}) as Record<string, Json>) };
  // @fastify/swagger hoists the record's `$defs` as `DatasetRecord-<name>`: replaced by the named components.
  const prefix = `${RECORD}-`;
  const hoisted = Object.keys(schemas).filter((name) => name.startsWith(prefix));
  for (const name of hoisted) delete schemas[name];
  for (const [name, schema] of Object.entries(recordComponents())) {
    if (name !== RECORD && schemas[name]) throw new Error(`code list component ${name} clashes with a schema of the same name`);
    schemas[name] = schema;
  }
  const renamed = new Map(hoisted.map((name) => [`${COMPONENTS}${name}`, `${COMPONENTS}${name.slice(prefix.length)}`]));
  const fixRefs = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fixRefs);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === '$ref' && typeof value === 'string' && renamed.has(value) ? renamed.get(value) : fixRefs(value),
      ]),
    );
  };
  return fixRefs({ ...openapiObject, components: { ...components, schemas, headers: { ...((components.headers ?? {}) as Json), ...headers } } }) as Json;
}
