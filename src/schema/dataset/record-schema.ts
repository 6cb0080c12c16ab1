/**
 * Derives the record's JSON Schema (2020-12 compatible) from the field tree in `fields.ts`.
 * The server validates returns with exactly this schema, and the OpenAPI document publishes it.
 */
import { acceptedCodes, recordFields, type FieldDefinition } from './fields.js';

type JsonSchema = Record<string, unknown>;

function fieldSchema(field: FieldDefinition): JsonSchema {
  const doc = { title: field.label, description: field.definition };
  let schema: JsonSchema;
  switch (field.type) {
    case 'string':
      schema = { type: 'string', minLength: 1, maxLength: field.maxLength ?? 64, ...(field.pattern ? { pattern: field.pattern } : {}) };
      break;
    case 'date':
      schema = { type: 'string', format: 'date' };
      break;
    case 'integer':
      schema = { type: 'integer', minimum: field.minimum, maximum: field.maximum };
      break;
    case 'boolean':
      schema = { type: 'boolean' };
      break;
    case 'code':
      schema = { type: 'string', enum: acceptedCodes(field) };
      break;
    case 'codes':
      schema = { type: 'array', uniqueItems: true, items: { type: 'string', enum: acceptedCodes(field) } };
      break;
    case 'object':
      schema = objectSchema(field.fields ?? []);
      break;
    case 'objects':
      schema = { type: 'array', maxItems: 20, items: objectSchema(field.fields ?? []) };
      break;
  }
  if (field.nullable) {
    const type = schema.type as string;
    schema = { ...schema, type: [type, 'null'] };
    if (schema.enum) schema.enum = [...(schema.enum as unknown[]), null];
  }
  return { ...doc, ...schema };
}

function objectSchema(fields: readonly FieldDefinition[]): JsonSchema {
  const schema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: fields.filter((f) => f.required).map((f) => f.name),
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])),
  };
  const conditional = fields.filter((f) => f.requiredWhen);
  if (conditional.length > 0) {
    // A conditional requirement ("vawgTypes when category is vawg") is part of the published
    // schema, so a supplier validating with it gets the same verdict as the server.
    schema.allOf = conditional.map((f) => ({
      if: { type: 'object', properties: { [f.requiredWhen!.field]: { const: f.requiredWhen!.equals } }, required: [f.requiredWhen!.field] },
      then: { type: 'object', required: [f.name] },
    }));
  }
  return schema;
}

export function buildRecordJsonSchema(): JsonSchema {
  return {
    title: 'Record',
    description: 'One referral received by the service in the period. Pseudonymous references and codes only: no names, no free text about people.',
    ...objectSchema(recordFields),
  };
}

/** Walks the field tree depth-first, giving each field with its dotted path. */
export function* walkFields(fields: readonly FieldDefinition[] = recordFields, prefix = ''): Generator<{ path: string; field: FieldDefinition }> {
  for (const field of fields) {
    const path = prefix ? `${prefix}.${field.name}` : field.name;
    yield { path, field };
    if (field.type === 'object' && field.fields) yield* walkFields(field.fields, path);
  }
}
