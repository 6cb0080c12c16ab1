/**
 * Where incremental linkage looks for the records new ones could link to: the matcher's blocking
 * rules (blocking.ts) as SQL over a table's token columns: the same birth date (or one swapped)
 * with the same family or given letters, or the same family and given letters with the same birth
 * year or the same day and month. Every rule pairs a part of the date with a part of the name, so
 * each finds about as many rows however large the table grows, each through a composite index.
 * Victims' records and perpetrators' keys use the same rules over their own tables.
 */
import { or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { textArray } from '../../db/arrays.js';

/** The token columns of a table, by role. */
export interface BlockingColumns {
  linkageBirthDate: AnyPgColumn;
  linkageFamily: AnyPgColumn;
  linkageGiven: AnyPgColumn;
  linkageBirthYear: AnyPgColumn;
  linkageBirthDayMonth: AnyPgColumn;
}

/** The token values of one seed (a new record or key). */
export interface BlockingTokens {
  linkageBirthDate: string | null;
  linkageBirthDateSwapped: string | null;
  linkageFamily: string | null;
  linkageGiven: string | null;
  linkageBirthYear: string | null;
  linkageBirthDayMonth: string | null;
}

/** Distinct tuples of present values. */
function tuples(rows: Array<Array<string | null>>): string[][] {
  const seen = new Map<string, string[]>();
  for (const row of rows) if (row.every((v) => v)) seen.set(row.join('\u0000'), row as string[]);
  return [...seen.values()];
}

/** `(a, b, …) in (select * from unnest(…))` over the distinct tuples; undefined when there are none. */
function inTuples(columns: AnyPgColumn[], rows: Array<Array<string | null>>): SQL | undefined {
  const distinct = tuples(rows);
  if (distinct.length === 0) return undefined;
  const arrays = columns.map((_, k) => textArray(distinct.map((row) => row[k]!)));
  return sql`(${sql.join(columns, sql`, `)}) in (select * from unnest(${sql.join(arrays, sql`, `)}))`;
}

/** The condition selecting every row that shares a blocking key with a seed; undefined when none could. */
export function sharesBlockingKey(columns: BlockingColumns, seeds: readonly BlockingTokens[]): SQL | undefined {
  const c = columns;
  // A seed's swapped date is another row's date exactly when that row's swapped date is the seed's
  // (the swap is symmetric), so one direction finds both.
  const dates = (s: BlockingTokens) => [s.linkageBirthDate, s.linkageBirthDateSwapped];
  const conditions = [
    inTuples(
      [c.linkageBirthDate, c.linkageFamily],
      seeds.flatMap((s) => dates(s).map((date) => [date, s.linkageFamily])),
    ),
    inTuples(
      [c.linkageBirthDate, c.linkageGiven],
      seeds.flatMap((s) => dates(s).map((date) => [date, s.linkageGiven])),
    ),
    inTuples(
      [c.linkageFamily, c.linkageGiven, c.linkageBirthYear],
      seeds.map((s) => [s.linkageFamily, s.linkageGiven, s.linkageBirthYear]),
    ),
    inTuples(
      [c.linkageFamily, c.linkageGiven, c.linkageBirthDayMonth],
      seeds.map((s) => [s.linkageFamily, s.linkageGiven, s.linkageBirthDayMonth]),
    ),
  ].filter((condition): condition is SQL => condition !== undefined);
  return conditions.length ? or(...conditions) : undefined;
}
