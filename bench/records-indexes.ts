/**
 * A bulk load of `records` without its secondary indexes and unique and foreign-key constraints:
 * they are read from the catalogue (as the migrations made them), dropped before the load and
 * rebuilt from their own definitions after it, so a bench never keeps its own copy of the schema.
 */
import type pg from 'pg';

export interface DroppedRecordIndexes {
  indexes: Array<{ name: string; def: string }>;
  constraints: Array<{ name: string; def: string }>;
  /** Rebuilds what was dropped. */
  restore(): Promise<void>;
}

export async function dropRecordIndexes(db: pg.Client): Promise<DroppedRecordIndexes> {
  const { rows: constraints } = await db.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'records'::regclass and contype in ('u', 'f')`,
  );
  const { rows: indexes } = await db.query<{ name: string; def: string }>(
    `select indexname as name, indexdef as def from pg_indexes where schemaname = 'public' and tablename = 'records'
       and indexname not in (select conname from pg_constraint where conrelid = 'records'::regclass)`,
  );
  for (const c of constraints) await db.query(`alter table records drop constraint "${c.name}"`);
  for (const i of indexes) await db.query(`drop index "${i.name}"`);
  return {
    indexes,
    constraints,
    async restore() {
      for (const i of indexes) await db.query(i.def);
      for (const c of constraints) await db.query(`alter table records add constraint "${c.name}" ${c.def}`);
    },
  };
}
