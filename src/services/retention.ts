/**
 * Storage limitation (UK GDPR Art. 5(1)(e)) for what the service keeps beyond the current data:
 * superseded versions of returns, finished jobs, expired idempotency responses and old audit
 * events, each by its own limit (services/retention-limits.ts). `planRetention` counts what is
 * past its limit; `applyRetention` deletes it in bounded transactions (a return at a time, other
 * rows a thousand at a time), so it never holds a table for long, and records one audit event
 * with the counts. Nothing here reads or logs what the rows held.
 */
import { and, eq, inArray, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { auditEvents, idempotencyKeys, jobs, records, returns } from '../db/tables.js';
import { recordAuditEvent } from './audit.js';
import { LINKAGE_JOB } from './linkage/linkage-queue.js';
import type { RetentionLimits } from './retention-limits.js';

const BATCH = 1000;
const DAY_MS = 86_400_000;

export interface RetentionCounts {
  supersededReturns: number;
  supersededRecords: number;
  jobs: number;
  idempotencyKeys: number;
  auditEvents: number;
}

const ago = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/**
 * Superseded long enough, and no linkage run still to come that names it: the run that takes a
 * superseded version out of the term frequencies reads its records, so they stay until it has.
 */
function expiredVersions(limits: RetentionLimits, now: Date): SQL | undefined {
  if (limits.supersededDays === undefined) return undefined;
  const pending = sql`select 1 from ${jobs} where ${jobs.kind} = ${LINKAGE_JOB} and ${jobs.status} in ('queued', 'running', 'failed')
    and (${jobs.payload}->>'returnId' = ${returns.id}::text or ${jobs.payload}->>'supersededReturnId' = ${returns.id}::text)`;
  return and(isNotNull(returns.supersededAt), lt(returns.supersededAt, ago(now, limits.supersededDays)), sql`not exists (${pending})`);
}

/**
 * Finished long enough ago. A failed linkage job is work still owed (a full relink covers it), and
 * the newest succeeded one says when persons were last brought current: both stay.
 */
function expiredJobs(limits: RetentionLimits, now: Date): SQL {
  const newestLinkage = sql`(select ${jobs.id} from ${jobs} where ${jobs.kind} = ${LINKAGE_JOB} and ${jobs.status} = 'succeeded' order by ${jobs.finishedAt} desc limit 1)`;
  return and(
    inArray(jobs.status, ['succeeded', 'failed']),
    lt(jobs.finishedAt, ago(now, limits.jobDays)),
    sql`not (${jobs.kind} = ${LINKAGE_JOB} and ${jobs.status} = 'failed')`,
    sql`${jobs.id} is distinct from ${newestLinkage}`,
  )!;
}

const expiredIdempotency = (now: Date) => lt(idempotencyKeys.expiresAt, now);
const expiredAudit = (limits: RetentionLimits, now: Date) =>
  limits.auditYears === undefined ? undefined : lt(auditEvents.at, ago(now, limits.auditYears * 365.25));

async function count(db: Database, table: typeof jobs | typeof idempotencyKeys | typeof auditEvents, where: SQL | undefined): Promise<number> {
  if (where === undefined) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(where);
  return row?.n ?? 0;
}

/** What is past its limit now: counts only. */
export async function planRetention(db: Database, limits: RetentionLimits, now = new Date()): Promise<RetentionCounts> {
  const versions = expiredVersions(limits, now);
  const [superseded] = versions
    ? await db
        .select({ returns: sql<number>`count(distinct ${returns.id})::int`, records: sql<number>`count(${records.id})::int` })
        .from(returns)
        .leftJoin(records, eq(records.returnId, returns.id))
        .where(versions)
    : [];
  return {
    supersededReturns: superseded?.returns ?? 0,
    supersededRecords: superseded?.records ?? 0,
    jobs: await count(db, jobs, expiredJobs(limits, now)),
    idempotencyKeys: await count(db, idempotencyKeys, expiredIdempotency(now)),
    auditEvents: await count(db, auditEvents, expiredAudit(limits, now)),
  };
}

/** Deletes rows matching `where` a batch at a time, each batch its own statement; returns how many. */
async function deleteInBatches(
  db: Database,
  table: typeof jobs | typeof auditEvents,
  id: typeof jobs.id | typeof auditEvents.id,
  where: SQL | undefined,
): Promise<number> {
  if (where === undefined) return 0;
  let total = 0;
  for (;;) {
    const gone = await db
      .delete(table)
      .where(sql`${id} in (select ${id} from ${table} where ${where} limit ${BATCH})`)
      .returning({ id });
    total += gone.length;
    if (gone.length < BATCH) return total;
  }
}

/** Deletes what is past its limit, and records the counts (never the contents) in the audit log. */
export async function applyRetention(db: Database, limits: RetentionLimits, now = new Date()): Promise<RetentionCounts> {
  const counts: RetentionCounts = { supersededReturns: 0, supersededRecords: 0, jobs: 0, idempotencyKeys: 0, auditEvents: 0 };
  const versions = expiredVersions(limits, now);
  if (versions) {
    const expired = await db.select({ id: returns.id }).from(returns).where(versions);
    for (const { id } of expired) {
      // One version a transaction: its records, their tokens and keys, and its updates go together
      // (the records by the return's cascade, their dependents by the records' delete trigger).
      await db.transaction(async (tx) => {
        const [row] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(records)
          .where(eq(records.returnId, id));
        const gone = await tx
          .delete(returns)
          .where(and(eq(returns.id, id), versions))
          .returning({ id: returns.id });
        if (gone.length === 0) return;
        counts.supersededReturns += 1;
        counts.supersededRecords += row?.n ?? 0;
      });
    }
  }
  counts.jobs = await deleteInBatches(db, jobs, jobs.id, expiredJobs(limits, now));
  counts.idempotencyKeys = (await db.delete(idempotencyKeys).where(expiredIdempotency(now)).returning({ key: idempotencyKeys.key })).length;
  counts.auditEvents = await deleteInBatches(db, auditEvents, auditEvents.id, expiredAudit(limits, now));
  // After the audit log's own limit was applied, so the event itself is kept.
  await recordAuditEvent(db, { action: 'retention.applied', principal: null, outcome: 'success', resourceType: 'retention', detail: { ...counts, limits } });
  return counts;
}
