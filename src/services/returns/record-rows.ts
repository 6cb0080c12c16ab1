/**
 * Maps a validated record to its `records` row and back, walking the dataset's field tree: nested
 * object fields become prefixed columns (`victim.ethnicity` → `victim_ethnicity`), lists of objects
 * are kept as JSON, and linkage keys are stored only as tokens and never read back.
 */
import type { InferInsertModel, InferSelectModel } from 'drizzle-orm';
import type { records } from '../../db/tables.js';
import { recordFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { Tokenize } from '../linkage/tokens.js';

export type RecordRow = InferSelectModel<typeof records>;
export type NewRecordRow = InferInsertModel<typeof records>;
export type RecordInput = Record<string, unknown>;

function columnKey(path: string[]): string {
  return path.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
}

function tokenKey(path: string[]): string {
  return `${columnKey(path)}Token`;
}

function writeFields(
  fields: readonly FieldDefinition[],
  value: Record<string, unknown> | undefined,
  path: string[],
  row: Record<string, unknown>,
  tokenize: Tokenize,
): void {
  for (const field of fields) {
    const fieldPath = [...path, field.name];
    const fieldValue = value?.[field.name];
    if (field.type === 'object') {
      writeFields(field.fields ?? [], fieldValue as Record<string, unknown> | undefined, fieldPath, row, tokenize);
    } else if (field.linkageKey) {
      row[tokenKey(fieldPath)] = typeof fieldValue === 'string' ? tokenize(fieldValue) : null;
    } else {
      row[columnKey(fieldPath)] = fieldValue ?? null;
    }
  }
}

export function recordToRow(record: RecordInput, tokenize: Tokenize): Omit<NewRecordRow, 'returnId' | 'position'> {
  const row: Record<string, unknown> = {};
  writeFields(recordFields, record, [], row, tokenize);
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
      const present = field.required || Object.values(nested).some((v) => v !== null);
      if (present && Object.keys(nested).length > 0) out[field.name] = nested;
      continue;
    }
    const value = row[columnKey(fieldPath)];
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

/** Every column key the mapping writes; a test checks each one exists in the table. */
export function mappedColumnKeys(): string[] {
  const keys: string[] = [];
  const visit = (fields: readonly FieldDefinition[], path: string[]) => {
    for (const field of fields) {
      const fieldPath = [...path, field.name];
      if (field.type === 'object') visit(field.fields ?? [], fieldPath);
      else keys.push(field.linkageKey ? tokenKey(fieldPath) : columnKey(fieldPath));
    }
  };
  visit(recordFields, []);
  return keys;
}
