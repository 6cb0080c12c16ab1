/**
 * The last step of the OpenAPI document (`transformObject` of @fastify/swagger): the record schema
 * the server validates with is published as `components.schemas.Record`, and each code list in its
 * `$defs` becomes a named component with a label for every code (`x-enumDescriptions`).
 */
import { codeListEnumDescriptions } from '../dataset/code-list-schemas.js';
import { buildRecordJsonSchema, recordCodeLists } from '../dataset/record-schema.js';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

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
  const components: Record<string, Json> = { Record: rewriteRefs(record) as Json };
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
  for (const operations of Object.values(paths))
    for (const operation of Object.values(operations)) {
      const parameters = operation.parameters as Json[] | undefined;
      for (const parameter of parameters ?? [])
        if (parameter.in === 'query' && parameter.required && (parameter.schema as Json | undefined)?.default !== undefined) parameter.required = false;
    }
}

export function finishOpenApiDocument({ openapiObject }: { openapiObject: Json }): Json {
  markDefaultedParametersOptional((openapiObject.paths ?? {}) as Record<string, Record<string, Json>>);
  const components = (openapiObject.components ?? {}) as Json;
  const schemas = { ...((components.schemas ?? {}) as Record<string, Json>) };
  // @fastify/swagger hoists the record's `$defs` as `Record-<name>`: replaced by the named components.
  const hoisted = Object.keys(schemas).filter((name) => name.startsWith('Record-'));
  for (const name of hoisted) delete schemas[name];
  for (const [name, schema] of Object.entries(recordComponents())) {
    if (name !== 'Record' && schemas[name]) throw new Error(`code list component ${name} clashes with a schema of the same name`);
    schemas[name] = schema;
  }
  const renamed = new Map(hoisted.map((name) => [`${COMPONENTS}${name}`, `${COMPONENTS}${name.slice('Record-'.length)}`]));
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
  return fixRefs({ ...openapiObject, components: { ...components, schemas } }) as Json;
}
