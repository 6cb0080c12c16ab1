/**
 * Where incremental linkage looks for the records new ones could link to: the matcher's blocking
 * rules (blocking.ts) as SQL over a table's token columns: the same birth date (or one swapped)
 * with the same family or given letters, or with a masked family-letter token in common,
 * or the same family and given letters with the same birth year or the same day and month. Every
 * rule pairs a part of the date with a part of the name, so each finds about as many rows however
 * large the table grows. Each rule reaches the table through an index of its own (db/tables.ts),
 * and the rules are a union: written as one `OR` of `IN` lists, PostgreSQL can only scan the whole
 * table. Victims' records and perpetrators' keys use the same rules over their own tables.
 */
import { and, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { textArray } from '../../db/arrays.js';

/** A table's row id and its token columns, by role. */
export interface BlockingColumns {
  id: AnyPgColumn;
  linkageBirthDate: AnyPgColumn;
  linkageFamily: AnyPgColumn;
  linkageGiven: AnyPgColumn;
  linkageFamilyPartial: AnyPgColumn;
  linkageBirthYear: AnyPgColumn;
  linkageBirthDayMonth: AnyPgColumn;
}

/** The token values of one seed (a new record or key). */
export interface BlockingTokens {
  linkageBirthDate: string | null;
  linkageBirthDateSwapped: string | null;
  linkageFamily: string | null;
  linkageGiven: string | null;
  linkageFamilyPartial: string[] | null;
  linkageBirthYear: string | null;
  linkageBirthDayMonth: string | null;
}

/** Distinct tuples of present values. */
function tuples(rows: Array<Array<string | null>>): string[][] {
  const seen = new Map<string, string[]>();
  for (const row of rows) if (row.every((v) => v)) seen.set(row.join('\u0000'), row as string[]);
  return [...seen.values()];
}

/** The ids of the rows whose columns equal one of the distinct tuples; undefined when there are none. */
function rowsMatching(table: PgTable & BlockingColumns, columns: AnyPgColumn[], rows: Array<Array<string | null>>): SQL | undefined {
  const distinct = tuples(rows);
  if (distinct.length === 0) return undefined;
  const arrays = columns.map((_, k) => textArray(distinct.map((row) => row[k]!)));
  const names = columns.map((_, k) => sql.raw(`v${k}`));
  const equal = columns.map((column, k) => sql`${column} = seed.${names[k]}`);
  return sql`select ${table.id} from ${table} join unnest(${sql.join(arrays, sql`, `)}) as seed(${sql.join(names, sql`, `)}) on ${and(...equal)}`;
}

/**
 * A row's birth date joined to each of its three masked family-letter tokens: the SQL function of
 * migration 0014, spelt as its GIN index is, so the planner matches the two.
 */
export function dateFamilyMasks(table: BlockingColumns): SQL {
  return sql`linkage_date_family_masks(${table.linkageBirthDate}, ${table.linkageFamilyPartial})`;
}

/**
 * The rows sharing a birth date (or a swapped one) and a masked family-letter token with a seed.
 * The function concatenates two tokens of fixed length, so equal values are equal pairs. A join of
 * the distinct values, each one probe of the GIN index (`@>` one value): one `&&` of them all is
 * estimated, for a return's thousands of values, as the whole table, and scanned, each row
 * compared with every value.
 */
function rowsSharingDateFamilyMask(table: PgTable & BlockingColumns, seeds: readonly BlockingTokens[]): SQL | undefined {
  const values = new Set<string>();
  for (const s of seeds)
    for (const date of [s.linkageBirthDate, s.linkageBirthDateSwapped])
      if (date) for (const mask of s.linkageFamilyPartial ?? []) if (mask) values.add(date + mask);
  if (values.size === 0) return undefined;
  return sql`select ${table.id} from ${table} join unnest(${textArray([...values])}) as seed(v) on ${dateFamilyMasks(table)} @> array[seed.v]`;
}

/** The condition selecting every row that shares a blocking key with a seed; undefined when none could. */
export function sharesBlockingKey(table: PgTable & BlockingColumns, seeds: readonly BlockingTokens[]): SQL | undefined {
  const c = table;
  // A seed's swapped date is another row's date exactly when that row's swapped date is the seed's
  // (the swap is symmetric), so one direction finds both.
  const dates = (s: BlockingTokens) => [s.linkageBirthDate, s.linkageBirthDateSwapped];
  const rules = [
    rowsMatching(
      table,
      [c.linkageBirthDate, c.linkageFamily],
      seeds.flatMap((s) => dates(s).map((date) => [date, s.linkageFamily])),
    ),
    rowsMatching(
      table,
      [c.linkageBirthDate, c.linkageGiven],
      seeds.flatMap((s) => dates(s).map((date) => [date, s.linkageGiven])),
    ),
    rowsSharingDateFamilyMask(table, seeds),
    rowsMatching(
      table,
      [c.linkageFamily, c.linkageGiven, c.linkageBirthYear],
      seeds.map((s) => [s.linkageFamily, s.linkageGiven, s.linkageBirthYear]),
    ),
    rowsMatching(
      table,
      [c.linkageFamily, c.linkageGiven, c.linkageBirthDayMonth],
      seeds.map((s) => [s.linkageFamily, s.linkageGiven, s.linkageBirthDayMonth]),
    ),
  ].filter((rule): rule is SQL => rule !== undefined);
  return rules.length ? sql`${table.id} in (${sql.join(rules, sql` union `)})` : undefined;
}
