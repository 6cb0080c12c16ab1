/**
 * Linkage off the request path. An accepted return enqueues a `linkage` job in its own transaction
 * (so a crash never loses one); a worker in any instance claims the oldest queued job with
 * `FOR UPDATE SKIP LOCKED` and brings persons current for that return's neighbourhood, then marks
 * the job done in the same transaction. Runs are one at a time across every instance: a worker
 * first tries the linkage lock and backs off when another run (a worker elsewhere, a full relink)
 * holds it, so no connection sits waiting on it.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { LinkageMode } from '../../config.js';
import { isDatabaseUnavailable } from '../../db/database-errors.js';
import type { Database } from '../../db/connect.js';
import { jobs, linkageModels } from '../../db/tables.js';
import { activeModel } from './active-model.js';
import { linkPerpetratorsAfterReturn, relinkPerpetrators, type PerpetratorLinkageStats } from './perpetrator-linkage.js';
import { decideReestimation, type ReestimationDecision } from './reestimation-policy.js';
import { countLinkedRecords, LINKAGE_LOCK, relinkAfterReturn, relinkPersons, type LinkageSettings } from './relink.js';

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
      // The database's wall clock, not the transaction's start nor an instance's clock: jobs are claimed in the order returns were accepted.
      createdAt: sql`clock_timestamp()`,
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
export async function linkNextReturn(db: Database, settings: LinkageSettings, retryBaseMs = DEFAULT_RETRY_BASE_MS): Promise<LinkageRunOutcome> {
  let claimed: string | undefined;
  try {
    return await db.transaction(async (tx) => {
      const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${LINKAGE_LOCK}) as locked`);
      if (!(lock as unknown as { rows: Array<{ locked: boolean }> }).rows[0]?.locked) return { kind: 'busy' as const };
      const [job] = await tx
        .select({ id: jobs.id, payload: jobs.payload })
        .from(jobs)
        // A job that failed waits for its retry time, and the jobs behind it go first meanwhile.
        .where(and(eq(jobs.kind, LINKAGE_JOB), eq(jobs.status, 'queued'), sql`coalesce((${jobs.progress}->>'retryAt')::timestamptz, '-infinity') <= now()`))
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
      await tx
        .update(jobs)
        .set({
          status: 'succeeded',
          startedAt,
          finishedAt: new Date(),
          resultStatus: 200,
          result: stats,
          // Counted so a job run twice would show: tests hold every job to one run.
          progress: sql`jsonb_set(${jobs.progress}, '{runs}', to_jsonb(coalesce((${jobs.progress}->>'runs')::int, 0) + 1))`,
        })
        .where(eq(jobs.id, job.id));
      return { kind: 'linked' as const, jobId: job.id, stats };
    });
  } catch (error) {
    // The database going away is not the job's fault: it keeps its attempts, and the poll retries it.
    if (claimed === undefined || isDatabaseUnavailable(error)) throw error;
    await countFailedAttempt(db, claimed, retryBaseMs);
    return { kind: 'failed', jobId: claimed, error };
  }
}

/** The first retry waits this long, each later one four times longer (1 s, 4 s, 16 s, 64 s). */
export const DEFAULT_RETRY_BASE_MS = 1000;

async function countFailedAttempt(db: Database, id: string, retryBaseMs: number): Promise<void> {
  const attempts = sql`coalesce((${jobs.progress}->>'attempts')::int, 0) + 1`;
  await db
    .update(jobs)
    .set({
      progress: sql`jsonb_build_object('attempts', ${attempts}, 'retryAt', now() + make_interval(secs => ${retryBaseMs / 1000} * power(4, ${attempts} - 1)))`,
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
  const [row] = await db
    .select({
      pending: sql<number>`count(*) filter (where ${jobs.status} = 'queued')::int`,
      failed: sql<number>`count(*) filter (where ${jobs.status} = 'failed')::int`,
      oldest: sql<Date | string | null>`min(${jobs.createdAt}) filter (where ${jobs.status} = 'queued')`,
      last: sql<Date | string | null>`max(${jobs.finishedAt}) filter (where ${jobs.status} = 'succeeded')`,
    })
    .from(jobs)
    .where(eq(jobs.kind, LINKAGE_JOB));
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

/** Where a linkage job stands: done (linked, or covered by a relink), given up, or still to run. */
export async function linkageJobState(db: Database, id: string): Promise<'succeeded' | 'failed' | 'pending'> {
  const [row] = await db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, id));
  return row === undefined || row.status === 'succeeded' ? 'succeeded' : row.status === 'failed' ? 'failed' : 'pending';
}

/**
 * A full relink of victims and perpetrators in one transaction: the jobs it covers are marked done
 * only if both commit, so no return is reported current with its perpetrators left unlinked.
 */
export async function relinkEverything(db: Database, params: { settings: LinkageSettings; estimate?: boolean; log: FastifyBaseLogger }) {
  return db.transaction(async (tx) => {
    const nested = tx as unknown as Database;
    const victims = await relinkPersons(nested, params);
    // After the victims: a model they re-estimated is the one the perpetrators are matched with.
    return { ...victims, perpetrators: await relinkPerpetrators(nested, params) };
  });
}

/**
 * Re-estimates the model and relinks everything when the policy says so, deciding under the
 * linkage lock (so two instances emptying their queues at once do not both run EM) and skipping
 * when another run holds it. Returns the reason it ran, or null.
 */
export async function reestimateIfDue(db: Database, params: { settings: LinkageSettings; log: FastifyBaseLogger }): Promise<string | null> {
  return db.transaction(async (tx) => {
    const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${LINKAGE_LOCK}) as locked`);
    if (!(lock as unknown as { rows: Array<{ locked: boolean }> }).rows[0]?.locked) return null;
    const nested = tx as unknown as Database;
    const decision = await decideModelReestimation(nested);
    if (!decision.estimate) return null;
    await relinkEverything(nested, { ...params, estimate: true });
    return decision.reason;
  });
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
  const linkableRecords = await countLinkedRecords(db);
  return decideReestimation(
    stored ? { trainedOnRecords: stored.trainedOnRecords, trainedAt: stored.createdAt } : { trainedOnRecords: 0, trainedAt: null },
    // Called after the worker linked a return: the data changed since any stored model.
    { linkableRecords, now, changedSinceTraining: true },
  );
}
