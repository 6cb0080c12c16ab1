/**
 * Planner statistics after a bulk load. Where autovacuum is slow, or absent (the embedded
 * database has none), queries right after a large return would plan against row counts from
 * before it. PostgreSQL 15 analyses a partitioned table's whole inheritance tree and then each
 * partition, so on 100,000 new records this took 6–8 s: it runs after the answer, never inside it.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';

/** Smaller loads leave the statistics near enough. */
export const ANALYZE_AFTER_RECORDS = 5000;

export function isLargeLoad(records: number): boolean {
  return records >= ANALYZE_AFTER_RECORDS;
}

/** The tables a return fills and analytics and linkage read. */
export async function analyzeLoadedTables(db: Database): Promise<void> {
  await db.execute(sql`analyze records, analytic_records`);
}
