/**
 * Period locks: once a quarter's figures are published, an admin locks it so no new version can
 * change them; unlocking is explicit and audited.
 */
import { and, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { countReturns, periodLocks, returns } from '../db/tables.js';
import { parseQuarter } from '../lib/periods.js';
import { problem } from '../lib/problem.js';
import type { Principal } from './api-keys.js';
import { recordAuditEvent } from './audit.js';

/** Throws 409 when the period is locked. Call inside the submission's transaction, after its lock. */
export async function assertPeriodOpen(db: Pick<Database, 'select'>, period: string): Promise<void> {
  const [lock] = await db.select().from(periodLocks).where(eq(periodLocks.period, period));
  if (lock) {
    const reason = lock.reason ? ` (${lock.reason})` : '';
    throw problem(
      409,
      'periodLocked',
      `period ${period} was locked on ${lock.lockedAt.toISOString().slice(0, 10)}${reason}; an admin must unlock it (DELETE /v1/periods/${period}/lock) before a new version can be submitted`,
    );
  }
}

export interface PeriodLock {
  period: string;
  locked: true;
  reason: string | null;
  lockedAt: string;
  lockedBy: string | null;
}

function toLock(row: typeof periodLocks.$inferSelect): PeriodLock {
  return { period: row.period, locked: true, reason: row.reason, lockedAt: row.lockedAt.toISOString(), lockedBy: row.lockedBy };
}

/** The pattern admits `2022-24-Q1`; only a real financial year is a period. */
function assertQuarter(period: string): void {
  if (!parseQuarter(period)) {
    throw problem(400, 'badRequest', `period ${period} is not a quarter such as 2022-23-Q1`, [
      { parameter: 'period', code: 'invalid_format', detail: 'use a UK financial quarter such as 2022-23-Q1' },
    ]);
  }
}

export interface ChangeLockParams {
  period: string;
  principal: Principal;
  requestId?: string;
}

/**
 * Locking a locked period answers the existing lock unchanged, so a retried request is harmless and
 * the first reason and time stand. The lock and its audit event commit together.
 */
export async function lockPeriod(db: Database, params: ChangeLockParams & { reason?: string | undefined }): Promise<PeriodLock> {
  assertQuarter(params.period);
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(periodLocks)
      .values({ period: params.period, reason: params.reason ?? null, lockedBy: params.principal.keyId })
      .onConflictDoNothing()
      .returning();
    const row = created ?? (await tx.select().from(periodLocks).where(eq(periodLocks.period, params.period)))[0]!;
    await recordAuditEvent(tx, {
      action: 'period.locked',
      principal: params.principal,
      outcome: 'success',
      resourceType: 'period',
      resourceId: params.period,
      detail: { alreadyLocked: !created },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
    return toLock(row);
  });
}

export async function unlockPeriod(db: Database, params: ChangeLockParams): Promise<{ period: string; locked: false }> {
  assertQuarter(params.period);
  return db.transaction(async (tx) => {
    const [removed] = await tx.delete(periodLocks).where(eq(periodLocks.period, params.period)).returning();
    if (!removed) throw problem(404, 'notFound', `period ${params.period} is not locked`);
    await recordAuditEvent(tx, {
      action: 'period.unlocked',
      principal: params.principal,
      outcome: 'success',
      resourceType: 'period',
      resourceId: params.period,
      // What was lifted, so the log alone tells the story of the period.
      detail: { reason: removed.reason, lockedAt: removed.lockedAt.toISOString(), lockedBy: removed.lockedBy },
      ...(params.requestId ? { requestId: params.requestId } : {}),
    });
    return { period: params.period, locked: false as const };
  });
}

export interface ListPeriodsParams {
  from?: string | undefined;
  to?: string | undefined;
}

/** Quarters with at least one return or a lock, oldest first, within `from`–`to` (quarters, inclusive). */
export async function listPeriods(db: Database, params: ListPeriodsParams) {
  if (params.from) assertQuarter(params.from);
  if (params.to) assertQuarter(params.to);
  if (params.from && params.to && params.from > params.to) {
    throw problem(400, 'badRequest', 'to must not be before from', [{ parameter: 'to', code: 'invalid_format', detail: 'to must not be before from' }]);
  }
  // Quarter ids sort chronologically as text (`2022-23-Q4` < `2023-24-Q1`).
  const inRange = (column: typeof returns.period | typeof countReturns.period | typeof periodLocks.period): SQL | undefined =>
    and(...(params.from ? [gte(column, params.from)] : []), ...(params.to ? [lte(column, params.to)] : []));
  const submissionsOf = (table: typeof returns | typeof countReturns) =>
    db
      .select({
        period: table.period,
        services: sql<number>`count(distinct ${table.serviceId})::int`,
        versions: sql<number>`count(*)::int`,
      })
      .from(table)
      .where(inRange(table.period))
      .groupBy(table.period);
  const [submitted, counted, locks] = await Promise.all([
    submissionsOf(returns),
    submissionsOf(countReturns),
    db.select().from(periodLocks).where(inRange(periodLocks.period)),
  ]);
  const byPeriod = new Map<string, { services: number; versions: number }>(submitted.map((s) => [s.period, s]));
  const countsByPeriod = new Map<string, { services: number; versions: number }>(counted.map((s) => [s.period, s]));
  const lockByPeriod = new Map(locks.map((l) => [l.period, l]));
  const quarters = [...new Set([...byPeriod.keys(), ...countsByPeriod.keys(), ...lockByPeriod.keys()])]
    .sort()
    .map((period) => parseQuarter(period))
    .filter((q) => q !== null);
  return {
    items: quarters.map(({ id: period, start, end }) => {
      const lock = lockByPeriod.get(period);
      return {
        period,
        start,
        end,
        servicesSubmitted: byPeriod.get(period)?.services ?? 0,
        versions: byPeriod.get(period)?.versions ?? 0,
        countReturnServices: countsByPeriod.get(period)?.services ?? 0,
        countReturnVersions: countsByPeriod.get(period)?.versions ?? 0,
        locked: Boolean(lock),
        lock: lock ? { reason: lock.reason, lockedAt: lock.lockedAt.toISOString(), lockedBy: lock.lockedBy } : null,
      };
    }),
  };
}
