/**
 * Where each dataset field is stored: the one resolver from a field path (`victim.ethnicity`) to
 * its `records` column, used by the storage mapping, the dimensions, completeness and indicators.
 * Nested object fields become prefixed columns (`victim.ethnicity` → `victimEthnicity`, SQL
 * `victim_ethnicity`); a linkage key is stored only as its token (`victimLinkageSlk581Token`);
 * lists of objects are one JSON column, and fields inside them have no column of their own.
 * Every column is checked against the table as this module loads, so a misspelt path or a renamed
 * column fails at start-up instead of in a query.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { records } from '../../db/tables.js';
import { recordFields, type FieldDefinition } from './fields.js';

/** `victim.ethnicity` or `['victim', 'ethnicity']`. */
export type FieldPath = string | readonly string[];

export type RecordColumnKey = keyof typeof records._.columns;

export interface FieldColumn {
  /** The dotted path, as `GET /v1/dataset` names the field. */
  readonly path: string;
  readonly field: FieldDefinition;
  /** The drizzle key of the column the field is stored in (for a linkage key: its token column). */
  readonly key: RecordColumnKey;
  /** The SQL name of that column. */
  readonly name: string;
  /** The field is a linkage key, stored only as its keyed hash in `key`, never read back. */
  readonly token: boolean;
  /** The column qualified by a table alias, `r` by default as in `currentRecordsIn` (aggregates/scope.ts). */
  sql(alias?: string): SQL;
}

const tableColumns = getTableColumns(records);

function camelJoin(path: readonly string[]): string {
  return path.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
}

function resolveColumn(field: FieldDefinition, path: readonly string[]): FieldColumn {
  const key = field.linkageKey ? `${camelJoin(path)}Token` : camelJoin(path);
  if (!(key in tableColumns)) throw new Error(`field ${path.join('.')} has no records column ${key}`);
  // The SQL name the database uses: drizzle's own `snake_case` casing (db/connect.ts), not a copy of it.
  const name = toSnakeCase(key);
  return {
    path: path.join('.'),
    field,
    key: key as RecordColumnKey,
    name,
    token: field.linkageKey === true,
    sql(alias = 'r') {
      if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`not a table alias: ${alias}`);
      return sql.raw(`${alias}.${name}`);
    },
  };
}

function collect(fields: readonly FieldDefinition[], path: readonly string[], out: Map<string, FieldColumn>): void {
  for (const field of fields) {
    const fieldPath = [...path, field.name];
    if (field.type === 'object') collect(field.fields ?? [], fieldPath, out);
    else out.set(fieldPath.join('.'), resolveColumn(field, fieldPath));
  }
}

const byPath = new Map<string, FieldColumn>();
collect(recordFields, [], byPath);

/** Every field stored in a column of its own, in the dataset's order. */
export const fieldColumns: readonly FieldColumn[] = [...byPath.values()];

/**
 * The column of a field; throws on a path the dataset does not store as a column (a misspelling,
 * an object, or a field inside a list of objects): a programming error, never user input.
 */
export function fieldColumn(path: FieldPath): FieldColumn {
  const dotted = typeof path === 'string' ? path : path.join('.');
  const column = byPath.get(dotted);
  if (!column) throw new Error(`no stored dataset field ${dotted}`);
  return column;
}

/** `fieldColumn(path).sql(alias)`: the column as a query reference, `r.victim_ethnicity`. */
export function fieldSql(path: FieldPath, alias = 'r'): SQL {
  return fieldColumn(path).sql(alias);
}
