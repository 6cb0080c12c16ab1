/** Readiness: whether the database answers a query. */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { DatabaseUnavailableError } from '../db/database-errors.js';

/** Longest the readiness probe waits for the replica before calling it unreachable. */
const REPLICA_PROBE_MS = 2000;

export interface ReplicaReadiness {
  status: 'ready' | 'unreachable';
  inRecovery?: boolean;
  replicationLagSeconds?: number | null;
}

/**
 * The read replica's state. Lag is the age of the last replayed transaction only while WAL received
 * is still waiting to be replayed: an idle primary sends nothing, and the replica is then current.
 */
export async function checkReplica(readDb: Database): Promise<ReplicaReadiness> {
  let timer: NodeJS.Timeout | undefined;
  // A replica behind a partition would hold the probe for the pool's whole connection wait, and a
  // load balancer's probe timeout would then take the instance out for the replica's sake.
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('replica probe timed out')), REPLICA_PROBE_MS);
  });
  try {
    const result = await Promise.race([
      readDb.execute(sql`
      select pg_is_in_recovery() as "inRecovery",
        case
          when not pg_is_in_recovery() then null
          when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
          else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()))
        end as "lag"`),
      gaveUp,
    ]);
    const row = (result as unknown as { rows: { inRecovery: boolean; lag: string | number | null }[] }).rows[0];
    const lag = row?.lag === null || row?.lag === undefined ? null : Math.round(Number(row.lag) * 1000) / 1000;
    return { status: 'ready', inRecovery: row?.inRecovery === true, replicationLagSeconds: lag };
  } catch {
    // The primary still serves submissions; only analytic reads fail (503) while the replica is away.
    return { status: 'unreachable' };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(db: Database, databaseKind: 'postgres' | 'pglite', readDb?: Database) {
  try {
    await db.execute(sql`select 1`);
  } catch (error) {
    // Whatever the failure, the instance cannot serve: the error handler answers 503 with Retry-After.
    throw new DatabaseUnavailableError('the database is not reachable', { cause: error });
  }
  return { status: 'ready' as const, database: databaseKind, ...(readDb ? { replica: await checkReplica(readDb) } : {}) };
}
