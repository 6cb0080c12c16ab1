/**
 * `records` is partitioned by range of `period`, one partition per financial year (migration
 * 0012): `records_y2022_23` holds `2022-23-Q1` … `2022-23-Q4`, as a financial year sorts just
 * before its quarters and the next year's just after them. A year's partition is made before its
 * first records are written, so the default partition (a safety net) stays empty and a year can
 * later be detached or dropped whole.
 */
import { sql } from 'drizzle-orm';
import type { Database } from './connect.js';

type Executor = Pick<Database, 'execute' | 'transaction'>;

/** PostgreSQL's duplicate_table, and the unique violation on pg_type a racing CREATE can raise instead. */
const CONCURRENTLY_CREATED = new Set(['42P07', '23505']);
/** lock_not_available: lock_timeout ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

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

export interface PartitionLockWait {
  /** How long one attempt waits for its lock on `records` before giving way (lock_timeout). */
  lockWaitMs: number;
  /** Attempts with that bound; the last one waits as long as it takes. */
  attempts: number;
}

/** About a minute of one-second tries before the last, unbounded one. */
const DEFAULT_LOCK_WAIT: PartitionLockWait = { lockWaitMs: 1000, attempts: 30 };

/**
 * Makes the partition for a period's financial year unless it exists. Called outside the return's
 * transaction, in a short one of its own: creating a partition takes an ACCESS EXCLUSIVE lock on
 * `records`, which must wait for every transaction using `records` (another return's ingest) and,
 * while it waits, holds back every query behind it. So each attempt waits at most `lockWaitMs`
 * (lock_timeout) and gives way for a while, and only the last attempt waits without bound. The
 * common case, a year that has its partition, only reads the catalogue. Two instances creating
 * the same year at once both succeed: the loser's duplicate is ignored.
 */
export async function ensureRecordPartition(db: Executor, period: string, wait: PartitionLockWait = DEFAULT_LOCK_WAIT): Promise<void> {
  const partition = recordPartitionOf(period);
  if (!partition) throw new Error('not a quarter or financial year: no partition of records for it');
  const found = await db.execute(sql`select to_regclass(${`public.${partition.name}`})::text as found`);
  if ((found as unknown as { rows: { found: string | null }[] }).rows[0]?.found) return;
  // The name and bounds are built from digits alone (recordPartitionOf), so raw SQL is safe here.
  const create = sql.raw(`create table if not exists "${partition.name}" partition of records for values from ('${partition.from}') to ('${partition.to}')`);
  for (let attempt = 1; ; attempt++) {
    const bounded = attempt < wait.attempts;
    try {
      await db.transaction(async (tx) => {
        if (bounded) await tx.execute(sql.raw(`set local lock_timeout = ${Math.max(1, Math.round(wait.lockWaitMs))}`));
        await tx.execute(create);
      });
      return;
    } catch (error) {
      const code = errorCode(error) ?? '';
      if (CONCURRENTLY_CREATED.has(code)) return;
      if (!bounded || code !== LOCK_NOT_AVAILABLE) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait.lockWaitMs));
    }
  }
}
