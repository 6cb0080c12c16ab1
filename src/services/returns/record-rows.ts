/**
 * Maps a validated record to its `records` row and back, walking the dataset's field tree; which
 * column holds a field is the resolver's (schema/dataset/columns.ts). Lists of objects are kept as
 * JSON, and linkage keys are stored only as tokens and never read back.
 */
import type { InferInsertModel, InferSelectModel } from 'drizzle-orm';
import type { records } from '../../db/tables.js';
import { fieldColumn, fieldColumns } from '../../schema/dataset/columns.js';
import { recordFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { LinkageTokens } from '../linkage/tokens.js';

export type RecordRow = InferSelectModel<typeof records>;
export type NewRecordRow = InferInsertModel<typeof records>;
export type RecordInput = Record<string, unknown>;

/** Turns a clear linkage key into its tokens; null when the key is malformed. */
export type DeriveTokens = (linkageKey: string) => LinkageTokens | null;

/** One step of writing a record's row: the record's value at `path`, written to `key`. */
interface RowStep {
  path: readonly string[];
  key: string;
  kind: 'objects' | 'linkageKey' | 'value';
  fields: readonly FieldDefinition[];
}

/**
 * The steps `recordToRow` takes, walked once from the field tree: a return's every record is then
 * written without resolving a column name per cell (which cost more than the rest of the mapping).
 */
function rowSteps(fields: readonly FieldDefinition[], path: readonly string[] = []): RowStep[] {
  return fields.flatMap((field): RowStep[] => {
    const fieldPath = [...path, field.name];
    if (field.type === 'object') return rowSteps(field.fields ?? [], fieldPath);
    const kind = field.type === 'objects' ? 'objects' : field.linkageKey ? 'linkageKey' : 'value';
    return [{ path: fieldPath, key: fieldColumn(fieldPath).key, kind, fields: field.fields ?? [] }];
  });
}

let recordSteps: RowStep[] | undefined;

function valueAt(record: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = record;
  for (let i = 0; i < path.length; i++) {
    if (node === null || node === undefined) return undefined;
    node = (node as Record<string, unknown>)[path[i]!];
  }
  return node;
}

function writeFields(record: RecordInput, row: Record<string, unknown>, derive: DeriveTokens): void {
  recordSteps ??= rowSteps(recordFields);
  for (const step of recordSteps) {
    const fieldValue = valueAt(record, step.path);
    if (step.kind === 'objects') {
      // Lists of objects are kept as JSON; a linkage key inside one (perpetrators[].linkage) never is.
      if (Array.isArray(fieldValue)) row[step.key] = fieldValue.map((item: Record<string, unknown>) => withoutLinkageKeys(step.fields, item));
    } else if (step.kind === 'linkageKey') {
      const tokens = typeof fieldValue === 'string' ? derive(fieldValue) : null;
      row[step.key] = tokens?.key ?? null;
      Object.assign(row, componentColumns(tokens));
    } else {
      row[step.key] = fieldValue ?? null;
    }
  }
}

/** A copy of a list entry without its linkage keys (and without a `linkage` object left empty by that) or optional nulls. */
function withoutLinkageKeys(fields: readonly FieldDefinition[], value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const field = fields.find((f) => f.name === name);
    if (field?.linkageKey) continue;
    // An optional field given as null means not asked, as its absence does: stored absent, so a CSV
    // cell (which cannot tell the two apart) and JSON read back alike.
    if (v === null && field && !field.required) continue;
    if (field?.type === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const nested = withoutLinkageKeys(field.fields ?? [], v as Record<string, unknown>);
      if (Object.keys(nested).length > 0) out[name] = nested;
    } else out[name] = v;
  }
  return out;
}

/** The tokens of each alleged perpetrator's linkage key, by their index in `perpetrators` (entries without a valid key are left out). */
export function perpetratorTokensOf(record: RecordInput, derive: DeriveTokens): Array<{ position: number; tokens: LinkageTokens }> {
  const perpetrators = Array.isArray(record.perpetrators) ? (record.perpetrators as Array<Record<string, unknown> | null>) : [];
  const found: Array<{ position: number; tokens: LinkageTokens }> = [];
  perpetrators.forEach((p, position) => {
    const key = (p?.linkage as { slk581?: unknown } | undefined)?.slk581;
    const tokens = typeof key === 'string' ? derive(key) : null;
    if (tokens) found.push({ position, tokens });
  });
  return found;
}

function componentColumns(tokens: LinkageTokens | null) {
  return {
    linkageFamily: tokens?.family ?? null,
    linkageFamilyPartial: tokens?.familyPartial ?? null,
    linkageGiven: tokens?.given ?? null,
    linkageGivenPartial: tokens?.givenPartial ?? null,
    linkageBirthDate: tokens?.birthDate ?? null,
    linkageBirthDateSwapped: tokens?.birthDateSwapped ?? null,
    linkageBirthYear: tokens?.birthYear ?? null,
    linkageBirthMonthYear: tokens?.birthMonthYear ?? null,
    linkageBirthDayMonth: tokens?.birthDayMonth ?? null,
    linkageSex: tokens?.sex ?? null,
  } satisfies Partial<NewRecordRow>;
}

/** The tokens stored for a record, read back for linkage. */
export function tokensOfRow(row: Pick<RecordRow, 'victimLinkageSlk581Token' | keyof ReturnType<typeof componentColumns>>): LinkageTokens | null {
  if (!row.victimLinkageSlk581Token || !row.linkageBirthDate || !row.linkageBirthYear) return null;
  return {
    key: row.victimLinkageSlk581Token,
    family: row.linkageFamily,
    familyPartial: row.linkageFamilyPartial ?? [],
    given: row.linkageGiven,
    givenPartial: row.linkageGivenPartial ?? [],
    birthDate: row.linkageBirthDate,
    birthDateSwapped: row.linkageBirthDateSwapped,
    birthYear: row.linkageBirthYear,
    // Null for records stored before these columns existed: the matcher then compares their
    // dates by the older levels only (exact, transposed, same year, different).
    birthMonthYear: row.linkageBirthMonthYear,
    birthDayMonth: row.linkageBirthDayMonth,
    sex: row.linkageSex,
  };
}

export function recordToRow(record: RecordInput, derive: DeriveTokens): Omit<NewRecordRow, 'returnId' | 'position'> {
  const row: Record<string, unknown> = {};
  // The partner named in a perpetrator's referral is not one of the service's victims: their key is
  // neither linked nor kept (relink.ts links victims' referrals only).
  writeFields(record, row, record.subject === 'perpetrator' ? () => null : derive);
  return row as Omit<NewRecordRow, 'returnId' | 'position'>;
}

function readFields(fields: readonly FieldDefinition[], path: string[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const fieldPath = [...path, field.name];
    if (field.linkageKey) continue;
    if (field.type === 'object') {
      const nested = readFields(field.fields ?? [], fieldPath, row);
      // An optional object (closure) was submitted when any of its columns holds a value.
      // A victim is optional in a perpetrator's referral, so it too is present only when it holds a value.
      const present = (field.required && !field.optionalWhen) || Object.values(nested).some((v) => v !== null);
      if (present && Object.keys(nested).length > 0) out[field.name] = nested;
      continue;
    }
    const value = row[fieldColumn(fieldPath).key];
    if (value === null || value === undefined) {
      if (field.required) out[field.name] = null;
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

export function rowToRecord(row: RecordRow): RecordInput {
  return readFields(recordFields, [], row as unknown as Record<string, unknown>);
}

/** Every column key the mapping writes (the resolver checks each one exists in the table as it loads). */
export function mappedColumnKeys(): string[] {
  return fieldColumns.map((c) => c.key);
}
