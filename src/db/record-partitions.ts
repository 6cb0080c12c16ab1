/**
 * `records` is partitioned by range of `period`, one partition per financial year (migration
 * 0012): `records_y2022_23` holds `2022-23-Q1` … `2022-23-Q4`, as a financial year sorts just
 * before its quarters and the next year's just after them. A year's partition is made before its
 * first records are written, so the default partition (a safety net) stays empty and a year can
 * later be detached or dropped whole.
 */
import { sql } from 'drizzle-orm';
import type { Database } from './connect.js';

type Executor = Pick<Database, 'execute'>;

/** PostgreSQL's duplicate_table, and the unique violation on pg_type a racing CREATE can raise instead. */
const CONCURRENTLY_CREATED = new Set(['42P07', '23505']);

export interface RecordPartition {
  /** `records_y2022_23`. */
  name: string;
  /** The financial year, `2022-23`, the partition's lower bound (inclusive). */
  from: string;
  /** The next financial year, `2023-24`, its upper bound (exclusive). */
  to: string;
}

/** The partition a period's records belong in; null for a period that is neither a quarter nor a financial year. */
export function recordPartitionOf(period: string): RecordPartition | null {
  const match = /^([0-9]{4})-([0-9]{2})(?:-Q[1-4])?$/.exec(period);
  if (!match) return null;
  const start = Number(match[1]);
  if ((start + 1) % 100 !== Number(match[2])) return null;
  const year = (y: number) => `${y}-${String((y + 1) % 100).padStart(2, '0')}`;
  return { name: `records_y${start}_${match[2]}`, from: year(start), to: year(start + 1) };
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Makes the partition for a period's financial year unless it exists. Called outside the return's
 * transaction, in a statement of its own: creating a partition locks `records` whole (ACCESS
 * EXCLUSIVE) for an instant, which inside a long ingest would block every reader of `records` until
 * the commit. The common case, a year that has its partition, only reads the catalogue. Two
 * instances creating the same year at once both succeed: the loser's duplicate is ignored.
 */
export async function ensureRecordPartition(db: Executor, period: string): Promise<void> {
  const partition = recordPartitionOf(period);
  if (!partition) throw new Error('not a quarter or financial year: no partition of records for it');
  const found = await db.execute(sql`select to_regclass(${`public.${partition.name}`})::text as found`);
  if ((found as unknown as { rows: { found: string | null }[] }).rows[0]?.found) return;
  try {
    // The name and bounds are built from digits alone (recordPartitionOf), so raw SQL is safe here.
    await db.execute(
      sql.raw(`create table if not exists "${partition.name}" partition of records for values from ('${partition.from}') to ('${partition.to}')`),
    );
  } catch (error) {
    if (!CONCURRENTLY_CREATED.has(errorCode(error) ?? '')) throw error;
  }
}
