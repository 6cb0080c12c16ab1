/**
 * Derives the record's JSON Schema (2020-12 compatible) from the field tree in `fields.ts`.
 * The server validates returns with exactly this schema, and the OpenAPI document publishes it.
 * It is self-contained: each code list is defined once in `$defs` and referred to by its fields.
 */
import { codeListJsonSchema, codeListSchemaName } from './code-list-schemas.js';
import type { CodeList } from './code-lists.js';
import { acceptedCodes, recordFields, type FieldDefinition } from './fields.js';

type JsonSchema = Record<string, unknown>;

/** A code list the record uses, and whether its fields are about a person (they all are, or none). */
export interface RecordCodeList {
  name: string;
  list: CodeList;
  personAnswers: boolean;
}

/**
 * The code lists of the record's fields, in field order. A list used by person fields and by other
 * fields would accept different codes in each, so it gets no `$defs` entry: its fields keep inline enums.
 */
export function recordCodeLists(fields: readonly FieldDefinition[] = recordFields): RecordCodeList[] {
  const found = new Map<string, { list: CodeList; answers: Set<boolean> }>();
  const visit = (list: readonly FieldDefinition[]) => {
    for (const field of list) {
      if (field.codeList && !field.nullable) {
        const entry = found.get(field.codeList.id) ?? { list: field.codeList, answers: new Set<boolean>() };
        entry.answers.add(Boolean(field.personAnswers));
        found.set(field.codeList.id, entry);
      }
      if (field.fields) visit(field.fields);
    }
  };
  visit(fields);
  return [...found.values()]
    .filter((e) => e.answers.size === 1)
    .map((e) => ({ name: codeListSchemaName(e.list), list: e.list, personAnswers: [...e.answers][0]! }));
}

/** Ids of the code lists defined in `$defs`. */
type SharedLists = ReadonlySet<string>;

/** The enum of a coded field: a reference to its code list in `$defs`, or inline. */
function codeSchema(field: FieldDefinition, shared: SharedLists): JsonSchema {
  if (field.codeList && !field.nullable && shared.has(field.codeList.id)) return { $ref: `#/$defs/${codeListSchemaName(field.codeList)}` };
  return { type: 'string', enum: acceptedCodes(field) };
}

function fieldSchema(field: FieldDefinition, shared: SharedLists): JsonSchema {
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
      schema = codeSchema(field, shared);
      break;
    case 'codes':
      schema = { type: 'array', uniqueItems: true, ...(field.minItems ? { minItems: field.minItems } : {}), items: codeSchema(field, shared) };
      break;
    case 'object':
      schema = objectSchema(field.fields ?? [], shared);
      break;
    case 'objects':
      schema = { type: 'array', maxItems: 20, items: objectSchema(field.fields ?? [], shared) };
      break;
  }
  if (field.nullable) {
    const type = schema.type as string;
    schema = { ...schema, type: [type, 'null'] };
    if (schema.enum) schema.enum = [...(schema.enum as unknown[]), null];
  }
  return { ...doc, ...schema };
}

function objectSchema(fields: readonly FieldDefinition[], shared: SharedLists): JsonSchema {
  const schema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: fields.filter((f) => f.required && !f.optionalWhen).map((f) => f.name),
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f, shared)])),
  };
  const conditional = fields.filter((f) => f.requiredWhen);
  const rules: JsonSchema[] = [];
  const when = (other: string, equals: string) => ({ type: 'object', properties: { [other]: { const: equals } }, required: [other] });
  // "victim, unless subject is perpetrator": required whenever the condition does not hold, subject absent included.
  for (const f of fields.filter((field) => field.optionalWhen))
    rules.push({ if: when(f.optionalWhen!.field, f.optionalWhen!.equals), else: { type: 'object', properties: { [f.name]: {} }, required: [f.name] } });
  for (const f of fields.filter((field) => field.itemsWhen)) {
    const { field: other, equals, items } = f.itemsWhen!;
    rules.push({ if: when(other, equals), then: { type: 'object', properties: { [f.name]: { type: 'array', minItems: items, maxItems: items } } } });
  }
  if (conditional.length > 0) {
    // A conditional field ("vawgTypes when category is vawg, absent otherwise") is part of the
    // published schema, so a supplier validating with it gets the same verdict as the server.
    // Absence is only demanded when the other field is present, so a missing category is one error.
    schema.allOf = conditional.flatMap((f) => {
      const { field: other, equals } = f.requiredWhen!;
      return [
        {
          if: { type: 'object', properties: { [other]: { const: equals } }, required: [other] },
          // `properties` names the field (any value) so the requirement is readable on its own.
          then: { type: 'object', properties: { [f.name]: {} }, required: [f.name] },
        },
        {
          if: { type: 'object', properties: { [other]: { not: { const: equals } } }, required: [other] },
          then: { type: 'object', properties: { [f.name]: false } },
        },
      ];
    });
  }
  if (rules.length > 0) schema.allOf = [...((schema.allOf as JsonSchema[] | undefined) ?? []), ...rules];
  return schema;
}

/** The record schema of a field tree: the latest version's by default (`fieldsAt` gives an earlier one's). */
export function buildRecordJsonSchema(fields: readonly FieldDefinition[] = recordFields): JsonSchema {
  const lists = recordCodeLists(fields);
  return {
    title: 'Record',
    description: 'One referral received by the service in the period. Pseudonymous references and codes only: no names, no free text about people.',
    ...objectSchema(fields, new Set(lists.map((l) => l.list.id))),
    $defs: Object.fromEntries(lists.map((l) => [l.name, codeListJsonSchema(l.list, l.personAnswers)])),
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
