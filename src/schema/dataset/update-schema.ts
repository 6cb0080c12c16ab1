/**
 * Updates (contract 1.1 section 3): a later quarter's return may change the status, closure and
 * service modules of a referral an earlier quarter's return carried. Everything here is derived from
 * the record's field tree (`fields.ts`): which groups an update may carry (those stored in
 * `referral_states`), the update's fields (the record's, all optional: an update is a patch), its JSON
 * Schema, and the schema the referral's state must still meet once the update is applied.
 */
import { getTableColumns } from 'drizzle-orm';
import { referralStates } from '../../db/tables.js';
import { QUARTER_PATTERN } from '../../lib/periods.js';
import { fieldColumn } from './columns.js';
import { recordFields, type FieldDefinition } from './fields.js';
import { buildRecordJsonSchema, walkFields } from './record-schema.js';

type JsonSchema = Record<string, unknown>;

/** The dataset version that added updates: a return declaring an earlier one cannot carry them. */
export const UPDATES_SINCE = '1.1.0';

const stateKeys = new Set(Object.keys(getTableColumns(referralStates)));

/** The stored fields of a top-level field, each with its path (`closure.closedDate`). */
export function leafPaths(field: FieldDefinition): Array<{ path: string[]; field: FieldDefinition }> {
  return [...walkFields([field])].filter(({ field: f }) => f.type !== 'object').map(({ path, field: f }) => ({ path: path.split('.'), field: f }));
}

/** A top-level field an update may change: every column it is stored in is a column of `referral_states`. */
function isUpdatable(field: FieldDefinition): boolean {
  if (field.type === 'objects') return false;
  const leaves = leafPaths(field);
  return leaves.length > 0 && leaves.every(({ path }) => stateKeys.has(fieldColumn(path).key));
}

/** The top-level fields an update may carry, in the dataset's order: status, closure and the modules `referral_states` holds. */
export const updatableGroups: readonly FieldDefinition[] = recordFields.filter(isUpdatable);

/**
 * The event dates an update itself sets, which must fall inside its return's quarter (contract
 * section 8: only these; an admission date, say, may be corrected later).
 */
export const UPDATE_EVENT_DATES: readonly string[] = ['closure.closedDate', 'refuge.departureDate'];
for (const path of UPDATE_EVENT_DATES) fieldColumn(path);

function optional(field: FieldDefinition): FieldDefinition {
  const { requiredWhen: _when, optionalWhen: _optional, itemsWhen: _items, ...rest } = field;
  return { ...rest, required: false, ...(field.fields ? { fields: field.fields.map(optional) } : {}) };
}

/** The groups of a version's tree (the latest by default) an update may carry, as the record has them. */
export function stateFieldTree(recordTree: readonly FieldDefinition[] = recordFields): FieldDefinition[] {
  const names = new Set(updatableGroups.map((f) => f.name));
  return recordTree.filter((f) => names.has(f.name));
}

/**
 * The fields of one update: `referralId` and `referralPeriod` (required: they name the referral),
 * then the updatable groups with every field optional, so an update carries only what changed.
 */
export function updateFieldTree(recordTree: readonly FieldDefinition[] = recordFields): FieldDefinition[] {
  const referralId = recordTree.find((f) => f.name === 'referralId')!;
  return [
    { ...referralId, definition: 'The referralId of the record this update is about, as the return of its quarter gave it.' },
    {
      name: 'referralPeriod',
      label: 'Referral period',
      definition: "The quarter of the return the referral arrived in (e.g. 2022-23-Q1): earlier than this return's period.",
      type: 'string',
      pattern: QUARTER_PATTERN,
      patternText: 'must be a UK financial quarter such as 2022-23-Q1',
      maxLength: 10,
      required: true,
    },
    ...stateFieldTree(recordTree).map(optional),
  ];
}

/** Replaces every `#/$defs/X` reference by its definition: the update schema is published without `$defs` of its own. */
function inlineDefs(node: unknown, defs: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineDefs(item, defs));
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
    const { $ref: _ref, ...rest } = node as JsonSchema;
    return { ...(inlineDefs(defs[ref.slice('#/$defs/'.length)], defs) as JsonSchema), ...rest };
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inlineDefs(value, defs)]));
}

function withoutDefs(schema: JsonSchema): JsonSchema {
  const { $defs, ...rest } = schema as JsonSchema & { $defs?: Record<string, unknown> };
  return inlineDefs(rest, $defs ?? {}) as JsonSchema;
}

/** The JSON Schema of one entry of a return's `updates` (the latest version's unless given another's tree). */
export function buildUpdateJsonSchema(recordTree: readonly FieldDefinition[] = recordFields): JsonSchema {
  return {
    ...withoutDefs(buildRecordJsonSchema(updateFieldTree(recordTree))),
    title: 'RecordUpdate',
    description:
      "A later event about a referral this service received in an earlier quarter: the fields given replace the referral's, fields left out keep their values, and an explicit null sets a nullable field to null.",
  };
}

/** The schema the referral's updatable groups must still meet once an update is applied: the record's own rules for them. */
export function buildStateJsonSchema(recordTree: readonly FieldDefinition[] = recordFields): JsonSchema {
  return withoutDefs(buildRecordJsonSchema(stateFieldTree(recordTree)));
}
