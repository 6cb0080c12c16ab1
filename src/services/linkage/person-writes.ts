/**
 * Writes persons back to either linkage table (victims' `records`, perpetrators' `perpetrator_keys`):
 * only the rows whose person changed, in chunks. Rewriting an unchanged row still costs a new row
 * version and its index entries, and most rows of a run keep their person.
 */
import { sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/connect.js';
import { bigintArray } from '../../db/arrays.js';

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type PersonTable = PgTable & { id: AnyPgColumn; personId: AnyPgColumn };

/** Rows a statement moves at a time. */
export const PERSON_WRITE_CHUNK = 5000;

/** Sets `person_id` of the rows `ids[k]` to `persons[k]` (one statement: call with at most a chunk). */
export async function setPersonIds(tx: Tx, table: PersonTable, ids: readonly number[], persons: readonly number[]): Promise<void> {
  await tx.execute(
    sql`update ${table} set person_id = v.person_id from unnest(${bigintArray([...ids])}, ${bigintArray([...persons])}) as v(id, person_id) where ${table.id} = v.id`,
  );
}

/** Writes each row's person from `personOf` (its own id when absent) where it differs from the stored one; returns how many moved. */
export async function writeMovedPersons(
  tx: Tx,
  table: PersonTable,
  personOf: ReadonlyMap<number, number>,
  rows: ReadonlyArray<{ id: number; personId: number | null }>,
): Promise<number> {
  const moved = rows.filter((r) => (personOf.get(r.id) ?? r.id) !== r.personId);
  for (let i = 0; i < moved.length; i += PERSON_WRITE_CHUNK) {
    const chunk = moved.slice(i, i + PERSON_WRITE_CHUNK);
    await setPersonIds(
      tx,
      table,
      chunk.map((r) => r.id),
      chunk.map((r) => personOf.get(r.id) ?? r.id),
    );
  }
  return moved.length;
}
