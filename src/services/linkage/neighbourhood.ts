/**
 * Where incremental linkage looks for the records new ones could link to: the matcher's blocking
 * rules (blocking.ts) as SQL over a table's token columns: the same birth date, a birth date with
 * day and month swapped, the same family letters, given letters and birth year, or the same family
 * letters, given letters and day and month of birth. Victims' records and perpetrators' keys use
 * the same rules over their own tables.
 */
import { or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { textArray } from '../../db/arrays.js';

/** The token columns of a table, by role. */
export interface BlockingColumns {
  linkageBirthDate: AnyPgColumn;
  linkageBirthDateSwapped: AnyPgColumn;
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

/** The condition selecting every row that shares a blocking key with a seed; undefined when no seed has a birth date. */
export function sharesBlockingKey(columns: BlockingColumns, seeds: readonly BlockingTokens[]): SQL | undefined {
  const present = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];
  const c = columns;
  const dates = present(seeds.flatMap((s) => [s.linkageBirthDate, s.linkageBirthDateSwapped]));
  const born = present(seeds.map((s) => s.linkageBirthDate));
  const named = seeds.filter((s) => s.linkageFamily && s.linkageGiven && s.linkageBirthYear);
  const namedDayMonth = seeds.filter((s) => s.linkageFamily && s.linkageGiven && s.linkageBirthDayMonth);
  if (dates.length === 0) return undefined;
  return or(
    sql`${c.linkageBirthDate} = any(${textArray(dates)})`,
    sql`${c.linkageBirthDateSwapped} = any(${textArray(born)})`,
    named.length
      ? sql`(${c.linkageFamily}, ${c.linkageGiven}, ${c.linkageBirthYear}) in (select * from unnest(${textArray(named.map((s) => s.linkageFamily!))}, ${textArray(named.map((s) => s.linkageGiven!))}, ${textArray(named.map((s) => s.linkageBirthYear!))}))`
      : undefined,
    namedDayMonth.length
      ? sql`(${c.linkageFamily}, ${c.linkageGiven}, ${c.linkageBirthDayMonth}) in (select * from unnest(${textArray(namedDayMonth.map((s) => s.linkageFamily!))}, ${textArray(namedDayMonth.map((s) => s.linkageGiven!))}, ${textArray(namedDayMonth.map((s) => s.linkageBirthDayMonth!))}))`
      : undefined,
  );
}
