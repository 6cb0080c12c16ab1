/**
 * A bulk load of `records` without its secondary indexes and unique and foreign-key constraints:
 * they are read from the catalogue (as the migrations made them), dropped before the load and
 * rebuilt from their own definitions after it, so a bench never keeps its own copy of the schema.
 * `records` is partitioned (migration 0012), and the catalogue writes a partitioned index as
 * `CREATE INDEX … ON ONLY records`: run as written, that makes an invalid index on the parent alone
 * and none on the partitions, so every lookup by it scans the table. Until 2026-12-04 the linkage
 * bench's neighbourhoods were found by scans for that reason (the aggregate bench reads other
 * tables); the rebuild now drops `ONLY` and checks that every index of `records` is valid.
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
      for (const i of indexes) await db.query(i.def.replace(/ ON ONLY /, ' ON '));
      for (const c of constraints) await db.query(`alter table records add constraint "${c.name}" ${c.def}`);
      const { rows } = await db.query<{ name: string }>(
        `select indexrelid::regclass::text as name from pg_index where indrelid = 'records'::regclass and not indisvalid`,
      );
      if (rows.length) throw new Error(`indexes of records left invalid after the load: ${rows.map((r) => r.name).join(', ')}`);
    },
  };
}
