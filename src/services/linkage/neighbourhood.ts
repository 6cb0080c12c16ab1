/**
 * Where incremental linkage looks for the records new ones could link to: the matcher's blocking
 * rules (blocking.ts) as SQL over a table's token columns: the same birth date (or one swapped)
 * with the same family or given letters, or the same family and given letters with the same birth
 * year or the same day and month. Every rule pairs a part of the date with a part of the name, so
 * each finds the few records sharing both: more as the table grows, but from a small base
 * (measured: 10,000 seeds found 25,640 records at a million stored, 98,460 at ten million, where a
 * rule on one part alone would find hundreds a seed). Each rule is a join of the seeds'
 * distinct tuples to the table through a composite index (db/tables.ts: two indexes, each leading
 * with the columns of two rules), and the rules are a union: written as one `OR` of `IN` lists,
 * PostgreSQL can only scan the whole table.
 * Victims' records and perpetrators' keys use the same rules over their own tables.
 */
import { and, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import { bigintArray, textArray } from '../../db/arrays.js';

/** A table's row id and its token columns, by role. */
export interface BlockingColumns {
  id: AnyPgColumn;
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

/** The ids of the rows whose columns equal one of the distinct tuples; undefined when there are none. */
function rowsMatching(table: PgTable & BlockingColumns, columns: AnyPgColumn[], rows: Array<Array<string | null>>): SQL | undefined {
  const distinct = tuples(rows);
  if (distinct.length === 0) return undefined;
  const arrays = columns.map((_, k) => textArray(distinct.map((row) => row[k]!)));
  const names = columns.map((_, k) => sql.raw(`v${k}`));
  const equal = columns.map((column, k) => sql`${column} = seed.${names[k]}`);
  return sql`select ${table.id} from ${table} join unnest(${sql.join(arrays, sql`, `)}) as seed(${sql.join(names, sql`, `)}) on ${and(...equal)}`;
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

/**
 * An incremental run's records: the seeds (the fresh rows, and what is left of the persons broken
 * up), every current row sharing a blocking key with them, and every other member of the persons
 * those belong to, so no person is split by being half inside. `load` reads a table's current rows
 * (victims' records or perpetrators' keys) with what the matcher compares.
 */
export async function gatherNeighbourhood<Row extends BlockingTokens & { id: number; personId: number | null }>(params: {
  table: PgTable & BlockingColumns & { personId: AnyPgColumn };
  load: (where: SQL) => Promise<Row[]>;
  fresh: SQL | undefined;
  formerPersons: readonly number[];
}): Promise<{ seeds: Row[]; subset: Map<number, Row> }> {
  const { table, load } = params;
  const ofPersons = (persons: readonly number[]) => load(sql`${table.personId} = any(${bigintArray([...persons])})`);
  const fresh = params.fresh ? await load(params.fresh) : [];
  const orphans = params.formerPersons.length ? await ofPersons(params.formerPersons) : [];
  const seeds = [...fresh, ...orphans];
  const near = sharesBlockingKey(table, seeds);
  const neighbours = near ? await load(near) : [];
  const touched = [...new Set(neighbours.flatMap((n) => (n.personId === null ? [] : [n.personId])))];
  const members = touched.length ? await ofPersons(touched) : [];
  const subset = new Map<number, Row>();
  for (const row of [...seeds, ...neighbours, ...members]) subset.set(row.id, row);
  return { seeds, subset };
}
