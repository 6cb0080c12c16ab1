/** Readiness: whether the database answers a query. */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { DatabaseUnavailableError } from '../db/database-errors.js';

export async function checkReadiness(db: Database, databaseKind: 'postgres' | 'pglite') {
  try {
    await db.execute(sql`select 1`);
  } catch (error) {
    // Whatever the failure, the instance cannot serve: the error handler answers 503 with Retry-After.
    throw new DatabaseUnavailableError('the database is not reachable', { cause: error });
  }
  return { status: 'ready' as const, database: databaseKind };
}
