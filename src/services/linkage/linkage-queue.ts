/**
 * Linkage off the request path. An accepted return enqueues a `linkage` job in its own transaction
 * (so a crash never loses one); a worker in any instance claims the oldest queued job with
 * `FOR UPDATE SKIP LOCKED` and brings persons current for that return's neighbourhood, then marks
 * the job done in the same transaction. Runs are one at a time across every instance: a worker
 * first tries the linkage lock and backs off when another run (a worker elsewhere, a full relink)
 * holds it, so no connection sits waiting on it.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { LinkageMode } from '../../config.js';
import type { Database } from '../../db/connect.js';
import { jobs, linkageModels } from '../../db/tables.js';
import { activeModel } from './active-model.js';
import { linkPerpetratorsAfterReturn, type PerpetratorLinkageStats } from './perpetrator-linkage.js';
import { decideReestimation, type ReestimationDecision } from './reestimation-policy.js';
import { countLinkable, LINKAGE_LOCK, relinkAfterReturn, type LinkageSettings } from './relink.js';

export const LINKAGE_JOB = 'linkage';
/** A job that fails this many times is left `failed`; persons for its return wait for a full relink. */
export const MAX_LINKAGE_ATTEMPTS = 5;

export interface LinkagePayload {
  returnId: string;
  supersededReturnId: string | null;
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Queues the linkage of an accepted return; call inside the return's transaction. */
export async function enqueueLinkage(tx: Database | Tx, payload: LinkagePayload & { service: string; period: string }): Promise<string> {
  const [row] = await tx
    .insert(jobs)
    .values({
      kind: LINKAGE_JOB,
      status: 'queued',
      serviceId: payload.service,
      period: payload.period,
      // The wall clock, not the transaction's start: jobs are claimed in the order returns were accepted.
      createdAt: new Date(),
      payload: { returnId: payload.returnId, supersededReturnId: payload.supersededReturnId } satisfies LinkagePayload,
    })
    .returning({ id: jobs.id });
  return row!.id;
}

export type LinkageRunOutcome =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'linked'; jobId: string; stats: Awaited<ReturnType<typeof relinkAfterReturn>> & { perpetrators: PerpetratorLinkageStats } }
  | { kind: 'failed'; jobId: string; error: unknown };

/**
 * Links the oldest queued return, if any: the claim, the persons and the job's end commit together,
 * so a crash mid-run leaves the job queued for the next worker. A failure rolls the run back and
 * counts an attempt against the job.
 */
export async function linkNextReturn(db: Database, settings: LinkageSettings): Promise<LinkageRunOutcome> {
  let claimed: string | undefined;
  try {
    return await db.transaction(async (tx) => {
      const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${LINKAGE_LOCK}) as locked`);
      if (!(lock as unknown as { rows: Array<{ locked: boolean }> }).rows[0]?.locked) return { kind: 'busy' as const };
      const [job] = await tx
        .select({ id: jobs.id, payload: jobs.payload })
        .from(jobs)
        .where(and(eq(jobs.kind, LINKAGE_JOB), eq(jobs.status, 'queued')))
        .orderBy(asc(jobs.createdAt))
        .limit(1)
        .for('update', { skipLocked: true });
      if (!job) return { kind: 'idle' as const };
      claimed = job.id;
      const startedAt = new Date();
      const payload = job.payload as LinkagePayload;
      const linkTo = { returnId: payload.returnId, supersededReturnId: payload.supersededReturnId, settings };
      // Savepoints inside this transaction: the same lock is re-entered, and everything commits with the job's end.
      const nested = tx as unknown as Database;
      const victims = await relinkAfterReturn(nested, linkTo);
      const perpetrators = await linkPerpetratorsAfterReturn(nested, linkTo);
      const stats = { ...victims, perpetrators };
      await tx.update(jobs).set({ status: 'succeeded', startedAt, finishedAt: new Date(), resultStatus: 200, result: stats }).where(eq(jobs.id, job.id));
      return { kind: 'linked' as const, jobId: job.id, stats };
    });
  } catch (error) {
    if (claimed === undefined) throw error;
    await countFailedAttempt(db, claimed);
    return { kind: 'failed', jobId: claimed, error };
  }
}

async function countFailedAttempt(db: Database, id: string): Promise<void> {
  const attempts = sql`coalesce((${jobs.progress}->>'attempts')::int, 0) + 1`;
  await db
    .update(jobs)
    .set({
      progress: sql`jsonb_build_object('attempts', ${attempts})`,
      status: sql`case when ${attempts} >= ${MAX_LINKAGE_ATTEMPTS} then 'failed' else 'queued' end`,
      finishedAt: sql`case when ${attempts} >= ${MAX_LINKAGE_ATTEMPTS} then now() else null end`,
    })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'queued')));
}

/**
 * A full relink re-matches every current record, so every linkage job queued or failed before it
 * is done by it. Call inside the relink's transaction after its lock and before it reads records:
 * a return committed later keeps its job, whose records the relink may not have seen.
 */
export async function coverQueuedLinkage(tx: Database | Tx): Promise<number> {
  const rows = await tx
    .update(jobs)
    .set({ status: 'succeeded', finishedAt: new Date(), resultStatus: 200, result: { coveredBy: 'relink' } })
    .where(and(eq(jobs.kind, LINKAGE_JOB), inArray(jobs.status, ['queued', 'failed'])))
    .returning({ id: jobs.id });
  return rows.length;
}

/** How current persons are: returns waiting for linkage, those it gave up on, and when it last ran. */
export interface LinkageCurrency {
  current: boolean;
  pendingReturns: number;
  failedReturns: number;
  oldestPendingSince: string | null;
  lastRunAt: string | null;
}

export async function readLinkageCurrency(db: Database): Promise<LinkageCurrency> {
  const result = await db.execute(
    sql`select count(*) filter (where status = 'queued')::int as pending,
               count(*) filter (where status = 'failed')::int as failed,
               min(created_at) filter (where status = 'queued') as oldest,
               max(finished_at) filter (where status = 'succeeded') as last
        from jobs where kind = ${LINKAGE_JOB}`,
  );
  const [row] = (result as unknown as { rows: Array<{ pending: number; failed: number; oldest: Date | string | null; last: Date | string | null }> }).rows;
  const iso = (value: Date | string | null | undefined) => (value === null || value === undefined ? null : new Date(value).toISOString());
  const pending = Number(row?.pending ?? 0);
  const failed = Number(row?.failed ?? 0);
  return {
    current: pending === 0 && failed === 0,
    pendingReturns: pending,
    failedReturns: failed,
    oldestPendingSince: iso(row?.oldest),
    lastRunAt: iso(row?.last),
  };
}

/** Whether a linkage job has ended (succeeded, covered by a relink, or given up). */
export async function linkageJobEnded(db: Database, id: string): Promise<boolean> {
  const [row] = await db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, id));
  return row === undefined || row.status === 'succeeded' || row.status === 'failed';
}

/** The linkage status: how current persons are, this instance's mode and the model in force. */
export async function readLinkageStatus(db: Database, mode: LinkageMode) {
  const currency = await readLinkageCurrency(db);
  const { version, trainedOnRecords } = await activeModel(db);
  return { ...currency, mode, modelVersion: version, trainedOnRecords };
}

/**
 * Whether the model should be re-estimated now (reestimation-policy.ts): from the stored model's
 * size and age and the linkable records now. The default model in force counts as untrained.
 */
export async function decideModelReestimation(db: Database, now = new Date()): Promise<ReestimationDecision> {
  const [stored] = await db
    .select({ trainedOnRecords: linkageModels.trainedOnRecords, createdAt: linkageModels.createdAt })
    .from(linkageModels)
    .orderBy(desc(linkageModels.createdAt))
    .limit(1);
  const linkableRecords = await countLinkable(db);
  return decideReestimation(
    stored ? { trainedOnRecords: stored.trainedOnRecords, trainedAt: stored.createdAt } : { trainedOnRecords: 0, trainedAt: null },
    // Called after the worker linked a return: the data changed since any stored model.
    { linkableRecords, now, changedSinceTraining: true },
  );
}
