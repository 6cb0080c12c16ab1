/**
 * Storage limitation (UK GDPR Art. 5(1)(e)): what the service keeps is deleted past its limit
 * (services/retention-limits.ts): the records of returns whose period's financial year ended more
 * than VAWG_RETENTION_YEARS ago (every version, with their tokens, person links, analytic rows and
 * updates; the return rows stay, marked, so figures say the quarter is no longer held), superseded
 * versions of returns, finished jobs, expired idempotency responses, old audit events, and
 * spooled uploads no job reads. `planRetention` counts what is past its limit; `applyRetention`
 * deletes it in bounded transactions (a return at a time, other rows a thousand at a time), so it
 * never holds a table for long, and records one audit event with the counts. Nothing here reads
 * or logs what the rows held.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { and, eq, inArray, isNotNull, isNull, lt, not, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/connect.js';
import { auditEvents, idempotencyKeys, jobs, recordUpdates, records, returns } from '../db/tables.js';
import { recordAuditEvent } from './audit.js';
import { LINKAGE_JOB } from './linkage/linkage-queue.js';
import { DEFAULT_THRESHOLD } from './linkage/match-threshold.js';
import { eraseLinkedRecords } from './linkage/record-erasure.js';
import type { LinkageSettings } from './linkage/relink.js';
import { linkagePending } from './referrals/erase-referral.js';
import { lockReturnVersions } from './returns/submit-return.js';
import { DEFAULT_UPLOAD_RETENTION_HOURS, firstKeptFinancialYear, type RetentionLimits } from './retention-limits.js';

const BATCH = 1000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface RetentionCounts {
  supersededReturns: number;
  supersededRecords: number;
  /** Returns (any version) whose period is past VAWG_RETENTION_YEARS and whose records went. */
  expiredPeriodReturns: number;
  expiredPeriodRecords: number;
  /** Updates carried by those returns, or naming a referral of their quarters. */
  expiredPeriodUpdates: number;
  jobs: number;
  idempotencyKeys: number;
  auditEvents: number;
  /** Spooled upload files. */
  uploads: number;
}

/** What retention works on besides the database. */
export interface RetentionOptions {
  now?: Date;
  /** The spooled uploads' folder (config.uploadDir); absent: uploads are not looked at. */
  uploadDir?: string | undefined;
  /** How persons touched by deleted records are matched again (the server's VAWG_MATCH_THRESHOLD). */
  settings?: LinkageSettings;
  /** Stops between transactions (the server closing): what is done stays done and is counted. */
  signal?: AbortSignal;
}

const EMPTY: RetentionCounts = {
  supersededReturns: 0,
  supersededRecords: 0,
  expiredPeriodReturns: 0,
  expiredPeriodRecords: 0,
  expiredPeriodUpdates: 0,
  jobs: 0,
  idempotencyKeys: 0,
  auditEvents: 0,
  uploads: 0,
};

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

/**
 * Returns (any version) whose period's financial year is past VAWG_RETENTION_YEARS and whose
 * records are still held. A superseded version past its own limit is left to that rule, which
 * deletes it whole.
 */
function expiredPeriods(limits: RetentionLimits, now: Date): { firstKept: string; where: SQL } | undefined {
  const firstKept = firstKeptFinancialYear(limits.recordYears, now);
  if (firstKept === null) return undefined;
  const versions = expiredVersions(limits, now);
  return { firstKept, where: and(isNull(returns.recordsDeletedAt), lt(returns.period, firstKept), versions ? not(versions) : undefined)! };
}

/**
 * Updates about what an expired period held: carried by one of its returns (updating an even
 * earlier quarter) or naming a referral of it. Both sort before the first year kept; those of a
 * superseded version its own rule deletes go with it.
 */
function expiredUpdates(limits: RetentionLimits, now: Date, firstKept: string): SQL {
  const versions = expiredVersions(limits, now);
  const carrier = sql`select ${returns.id} from ${returns} where ${returns.id} = ${recordUpdates.returnId}`;
  return and(
    or(lt(recordUpdates.referralPeriod, firstKept), sql`exists (${carrier} and ${returns.period} < ${firstKept})`),
    versions ? sql`not exists (${carrier} and ${versions})` : undefined,
  )!;
}

/** Spooled uploads older than the limit that no queued or running job will read (services/jobs.ts names its file in its payload). */
async function staleUploads(db: Database, dir: string | undefined, limits: RetentionLimits, now: Date): Promise<string[]> {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.upload'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (names.length === 0) return [];
  const cutoff = now.getTime() - (limits.uploadHours ?? DEFAULT_UPLOAD_RETENTION_HOURS) * HOUR_MS;
  const inUse = await db
    .select({ upload: sql<string>`${jobs.payload}->>'upload'` })
    .from(jobs)
    .where(and(inArray(jobs.status, ['queued', 'running']), sql`${jobs.payload}->>'upload' is not null`));
  const read = new Set(inUse.map((row) => row.upload));
  const stale: string[] = [];
  for (const name of names) {
    if (read.has(name)) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    if (info?.isFile() && info.mtimeMs < cutoff) stale.push(file);
  }
  return stale;
}

/**
 * Deletes the spooled uploads past their limit in `dir`; returns how many. Every instance has its
 * own upload folder, so each sweeps its own, whichever instance applies the rest.
 */
export async function sweepUploads(db: Database, dir: string | undefined, limits: RetentionLimits, now = new Date()): Promise<number> {
  let n = 0;
  for (const file of await staleUploads(db, dir, limits, now)) {
    await rm(file, { force: true });
    n += 1;
  }
  return n;
}

/** What is past its limit now: counts only. */
export async function planRetention(db: Database, limits: RetentionLimits, options: RetentionOptions = {}): Promise<RetentionCounts> {
  const now = options.now ?? new Date();
  const versions = expiredVersions(limits, now);
  const [superseded] = versions
    ? await db
        .select({ returns: sql<number>`count(distinct ${returns.id})::int`, records: sql<number>`count(${records.id})::int` })
        .from(returns)
        .leftJoin(records, eq(records.returnId, returns.id))
        .where(versions)
    : [];
  const periods = expiredPeriods(limits, now);
  const [expired] = periods
    ? await db
        .select({ returns: sql<number>`count(distinct ${returns.id})::int`, records: sql<number>`count(${records.id})::int` })
        .from(returns)
        // The period too, so only the partitions of the years past the limit are read.
        .leftJoin(records, and(eq(records.returnId, returns.id), eq(records.period, returns.period)))
        .where(periods.where)
    : [];
  const [updates] = periods
    ? await db
        .select({ n: sql<number>`count(*)::int` })
        .from(recordUpdates)
        .where(expiredUpdates(limits, now, periods.firstKept))
    : [];
  return {
    supersededReturns: superseded?.returns ?? 0,
    supersededRecords: superseded?.records ?? 0,
    expiredPeriodReturns: expired?.returns ?? 0,
    expiredPeriodRecords: expired?.records ?? 0,
    expiredPeriodUpdates: updates?.n ?? 0,
    jobs: await count(db, jobs, expiredJobs(limits, now)),
    idempotencyKeys: await count(db, idempotencyKeys, expiredIdempotency(now)),
    auditEvents: await count(db, auditEvents, expiredAudit(limits, now)),
    uploads: (await staleUploads(db, options.uploadDir, limits, now)).length,
  };
}

/** Deletes rows matching `where` a batch at a time, each batch its own statement; returns how many. */
async function deleteInBatches(
  db: Database,
  table: typeof jobs | typeof auditEvents | typeof recordUpdates,
  id: typeof jobs.id | typeof auditEvents.id | typeof recordUpdates.id,
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

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * One return of an expired period, in one transaction, as the erasure of a referral does it
 * (services/referrals/erase-referral.ts): its records leave their persons (victims and
 * perpetrators), the updates it carries and those naming its referrals go, its records go (their
 * tokens, keys, links, state and analytic row with them, by the records' delete trigger), the
 * persons they were in are matched again without them, and the return is marked. Term
 * frequencies are kept exact, or dropped for the next full relink when a linkage run is still to
 * come for the return (it will count the return as it finds it).
 */
async function expireReturn(
  tx: Tx,
  target: { id: string; serviceId: string; period: string },
  where: SQL,
  settings: LinkageSettings,
  now: Date,
): Promise<{ records: number; updates: number } | null> {
  await lockReturnVersions(tx, target.serviceId, target.period);
  const [still] = await tx
    .select({ id: returns.id })
    .from(returns)
    .where(and(eq(returns.id, target.id), where));
  if (!still) return null;
  const held = await tx
    .select({ id: records.id })
    .from(records)
    .where(and(eq(records.returnId, target.id), eq(records.period, target.period)));
  const ids = held.map((row) => row.id);
  const exact = !(await linkagePending(tx, [target.id]));
  const ofService = sql`select ${returns.id} from ${returns} where ${returns.serviceId} = ${target.serviceId}`;
  let updates = 0;
  await eraseLinkedRecords(tx, {
    ids,
    exact,
    settings,
    remove: async () => {
      const deleted = await tx
        .delete(recordUpdates)
        .where(
          or(eq(recordUpdates.returnId, target.id), and(eq(recordUpdates.referralPeriod, target.period), sql`${recordUpdates.returnId} in (${ofService})`)),
        )
        .returning({ id: recordUpdates.id });
      updates = deleted.length;
      if (ids.length) await tx.delete(records).where(and(eq(records.returnId, target.id), eq(records.period, target.period)));
    },
  });
  await tx.update(returns).set({ recordsDeletedAt: now }).where(eq(returns.id, target.id));
  return { records: ids.length, updates };
}

/** Deletes what is past its limit, and records the counts (never the contents) in the audit log. */
export async function applyRetention(db: Database, limits: RetentionLimits, options: RetentionOptions = {}): Promise<RetentionCounts> {
  const now = options.now ?? new Date();
  const stopped = () => options.signal?.aborted === true;
  const counts: RetentionCounts = { ...EMPTY };
  const versions = expiredVersions(limits, now);
  if (versions) {
    const expired = await db.select({ id: returns.id }).from(returns).where(versions);
    for (const { id } of expired) {
      if (stopped()) break;
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
  const periods = expiredPeriods(limits, now);
  if (periods) {
    const settings = options.settings ?? { threshold: DEFAULT_THRESHOLD };
    // Oldest first, current versions before the superseded ones of a quarter: they hold its persons.
    const expired = await db
      .select({ id: returns.id, serviceId: returns.serviceId, period: returns.period })
      .from(returns)
      .where(periods.where)
      .orderBy(returns.period, returns.serviceId, sql`${returns.supersededAt} is not null`, returns.version);
    for (const target of expired) {
      if (stopped()) break;
      const done = await db.transaction((tx) => expireReturn(tx, target, periods.where, settings, now));
      if (!done) continue;
      counts.expiredPeriodReturns += 1;
      counts.expiredPeriodRecords += done.records;
      counts.expiredPeriodUpdates += done.updates;
    }
    // Updates about an expired quarter that no return of it took with it (none is expected: an
    // update names a referral its service returned).
    if (!stopped()) counts.expiredPeriodUpdates += await deleteInBatches(db, recordUpdates, recordUpdates.id, expiredUpdates(limits, now, periods.firstKept));
  }
  if (!stopped()) {
    counts.jobs = await deleteInBatches(db, jobs, jobs.id, expiredJobs(limits, now));
    counts.idempotencyKeys = (await db.delete(idempotencyKeys).where(expiredIdempotency(now)).returning({ key: idempotencyKeys.key })).length;
    counts.auditEvents = await deleteInBatches(db, auditEvents, auditEvents.id, expiredAudit(limits, now));
    counts.uploads = await sweepUploads(db, options.uploadDir, limits, now);
  }
  // After the audit log's own limit was applied, so the event itself is kept.
  await recordAuditEvent(db, {
    action: 'retention.applied',
    principal: null,
    outcome: 'success',
    resourceType: 'retention',
    detail: { ...counts, limits, ...(stopped() ? { stoppedEarly: true } : {}) },
  });
  return counts;
}
