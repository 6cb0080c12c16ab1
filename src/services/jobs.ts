/**
 * Background jobs for work too long for one HTTP request (large returns): the request answers
 * 202 with the job, and the client polls `GET /v1/jobs/{id}` for progress and the final result,
 * the same status and body the request would have answered with.
 *
 * Jobs run in this process one at a time, which bounds memory however many large returns arrive.
 * Progress lives in memory while a job runs: on embedded PGlite the submission's transaction holds
 * the only connection, so progress could not be written anyway.
 */
import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import pg from 'pg';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/connect.js';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { jobs } from '../db/tables.js';
import { documentOfClientError, problem, problemDocument, problemTypes, type ClientError } from '../lib/problem.js';
import type { Principal } from './api-keys.js';
import { releaseKeysOfJobs } from './idempotency.js';
import { LINKAGE_JOB } from './linkage/linkage-queue.js';

export interface JobProgress {
  recordsRead: number;
  bytesRead?: number;
  bytesTotal?: number;
}

export interface JobOutcome {
  status: number;
  body: unknown;
}

/** Records a job's outcome, inside the transaction of the work it describes. */
export type SettleJob = (tx: Database, outcome: JobOutcome) => Promise<void>;

export interface JobWork {
  /**
   * Does the work. Work that stores something calls `settle` inside its own transaction, so that
   * what it stored and the job's result commit together: a crash can then never leave a stored
   * return behind a job that says it failed.
   */
  run(report: (progress: Partial<JobProgress>) => void, settle: SettleJob): Promise<JobOutcome>;
  /** Runs in the transaction that records the job's end when `run` did not settle it (a failure, a dry run). */
  finalize?(tx: Database, outcome: JobOutcome): Promise<void>;
  /** Always called once the job has ended (e.g. to delete its upload). */
  cleanup?(): Promise<void>;
}

export interface JobRunner {
  enqueue(id: string, work: JobWork, initial: JobProgress): void;
  progressOf(id: string): JobProgress | undefined;
  /** Resolves when every queued job has ended. */
  drain(): Promise<void>;
  /** The id this instance's jobs are owned by (see `holdInstanceLock`). */
  readonly instanceId: string;
}

/** The first key of the session advisory lock an instance holds on its id while it lives. */
export const INSTANCE_LOCK_CLASS = 5815;
/** How often each instance looks for jobs whose instance died. */
export const JOB_SWEEP_MS = 60_000;

/** While the database is unreachable, the end of a job is retried this long before it is left to the next start. */
const SETTLE_RETRY_MS = 120_000;
const SETTLE_BACKOFF_MS = [100, 250, 500, 1000, 2000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes a job's end unless it has one already (its work settled it in its own transaction). Returns whether it wrote. */
async function writeEnd(db: Database, id: string, outcome: JobOutcome, progress: JobProgress | undefined): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status: outcome.status < 400 ? 'succeeded' : 'failed',
      resultStatus: outcome.status,
      result: outcome.body,
      progress: progress ?? {},
      finishedAt: new Date(),
    })
    .where(and(eq(jobs.id, id), inArray(jobs.status, ['queued', 'running'])))
    .returning({ id: jobs.id });
  return rows.length > 0;
}

export function createJobRunner(db: Database, log: FastifyBaseLogger, instanceId: string): JobRunner {
  const progress = new Map<string, JobProgress>();
  let chain: Promise<void> = Promise.resolve();

  /**
   * Records the end of a job whatever happens: while the database is unreachable it retries; an
   * outcome that cannot be stored (a deterministic failure) is replaced by a plain 500 document.
   */
  async function recordEnd(id: string, work: JobWork, outcome: JobOutcome) {
    const fallback: JobOutcome = { status: 500, body: problemBody(new Error('job bookkeeping failed'), 500, id) };
    const steps: Array<{ outcome: JobOutcome; finalize: boolean }> = [
      { outcome, finalize: true },
      { outcome: fallback, finalize: true },
      { outcome: fallback, finalize: false },
    ];
    const deadline = Date.now() + SETTLE_RETRY_MS;
    for (let step = 0, attempt = 0; step < steps.length;) {
      const { outcome: current, finalize } = steps[step]!;
      try {
        await db.transaction(async (tx) => {
          const wrote = await writeEnd(tx as unknown as Database, id, current, progress.get(id));
          if (wrote && finalize) await work.finalize?.(tx as unknown as Database, current);
        });
        return;
      } catch (err) {
        if (isDatabaseUnavailable(err) && Date.now() < deadline) {
          await sleep(SETTLE_BACKOFF_MS[Math.min(attempt++, SETTLE_BACKOFF_MS.length - 1)]!);
          continue;
        }
        log.error({ err, jobId: id }, 'could not record the end of a job');
        if (isDatabaseUnavailable(err)) break;
        step++;
      }
    }
    log.error({ jobId: id }, 'the job is left unfinished; the next start marks it failed');
  }

  async function execute(id: string, work: JobWork, initial: JobProgress) {
    progress.set(id, initial);
    try {
      let outcome: JobOutcome;
      try {
        await db
          .update(jobs)
          .set({ status: 'running', startedAt: new Date() })
          .where(and(eq(jobs.id, id), eq(jobs.status, 'queued')));
        outcome = await work.run(
          (update) => progress.set(id, { ...progress.get(id)!, ...update }),
          async (tx, settled) => {
            // Not written: an instance took this job for dead and marked it failed (its key freed for a
            // retry), so what it stored must not commit, or the retry would store the return twice.
            if (!(await writeEnd(tx, id, settled, progress.get(id))))
              throw problem(503, 'unavailable', 'the job was taken for interrupted; nothing was stored; submit the return again');
          },
        );
      } catch (error) {
        const status = isDatabaseUnavailable(error) ? 503 : ((error as { statusCode?: number }).statusCode ?? 500);
        if (status >= 500) log.error({ err: error, jobId: id }, 'job failed');
        outcome = { status, body: problemBody(error, status, id) };
      } finally {
        // Before the end is recorded: a client that sees the job finished knows its upload is gone.
        await work.cleanup?.().catch((err: unknown) => log.warn({ err, jobId: id }, 'job cleanup failed'));
      }
      await recordEnd(id, work, outcome);
    } finally {
      progress.delete(id);
    }
  }

  return {
    enqueue(id, work, initial) {
      chain = chain.then(() => execute(id, work, initial)).catch((err: unknown) => log.error({ err, jobId: id }, 'job bookkeeping failed'));
    },
    progressOf: (id) => progress.get(id),
    drain: () => chain,
    instanceId,
  };
}

/**
 * Holds this instance's session advisory lock on its id for as long as it lives, on a connection of
 * its own (a pooled one would drop it): other instances read it in `pg_locks` to tell a live
 * instance's jobs from a dead one's, and a crash drops it with the connection. A lost connection
 * is reopened, so a database restart does not leave the instance looking dead for good.
 */
export async function holdInstanceLock(databaseUrl: string, instanceId: string, log: FastifyBaseLogger): Promise<{ release(): Promise<void> }> {
  let client: pg.Client | undefined;
  let released = false;
  let retry: NodeJS.Timeout | undefined;
  const open = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: 'vawg-api-instance' });
    next.on('error', (err) => {
      log.warn({ err }, 'the instance lock connection was lost; reopening it');
      if (!released) retry = setTimeout(() => void open().catch(() => undefined), 1000).unref();
    });
    await next.connect();
    await next.query('select pg_advisory_lock($1::int, hashtext($2))', [INSTANCE_LOCK_CLASS, instanceId]);
    client = next;
  };
  await open();
  return {
    async release() {
      released = true;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}

/** The problem document a failed job reports, as the error handler would have written it. */
function problemBody(error: unknown, status: number, jobId: string) {
  const instance = `/v1/jobs/${jobId}`;
  if (status === 503)
    return problemDocument(
      503,
      'the database became unreachable while the job ran; nothing was stored; submit the return again',
      instance,
      problemTypes.unavailable,
    );
  if (status >= 500) return problemDocument(status, 'the job failed; nothing was stored', instance, problemTypes.internal);
  return documentOfClientError(error as ClientError, instance);
}

export async function createJob(
  db: Database,
  params: {
    kind: string;
    principal: Principal;
    service?: string;
    period?: string;
    progress: JobProgress;
    owner: string;
    /** The spooled upload the job reads (its file name): retention leaves it alone while the job is queued or running. */
    upload?: string;
  },
) {
  const [row] = await db
    .insert(jobs)
    .values({
      kind: params.kind,
      status: 'queued',
      submittedBy: params.principal.keyId,
      serviceId: params.service ?? null,
      period: params.period ?? null,
      progress: params.progress,
      owner: params.owner,
      ...(params.upload ? { payload: { upload: params.upload } } : {}),
    })
    .returning();
  return toJob(row!, undefined);
}

function toJob(row: typeof jobs.$inferSelect, live: JobProgress | undefined) {
  const progress = (live ?? row.progress) as JobProgress;
  const fraction = progress.bytesTotal ? Math.min((progress.bytesRead ?? 0) / progress.bytesTotal, 1) : null;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status as 'queued' | 'running' | 'succeeded' | 'failed',
    service: row.serviceId,
    period: row.period,
    progress: { recordsRead: progress.recordsRead ?? 0, fraction: row.status === 'succeeded' ? 1 : fraction },
    result: row.resultStatus === null ? null : { status: row.resultStatus, body: row.result as Record<string, unknown> },
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export type Job = ReturnType<typeof toJob>;

/** Providers see only the jobs their own key started; admins see all. */
export async function getJob(db: Database, runner: JobRunner, principal: Principal, id: string): Promise<Job> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  if (!row || (principal.role !== 'admin' && row.submittedBy !== principal.keyId)) throw problem(404, 'notFound', `job ${id} not found`);
  return toJob(row, runner.progressOf(id));
}

/**
 * Jobs whose instance died died with it. Their transactions were rolled back by the database (a
 * job that stored its return recorded its end in the same transaction), so nothing of them was
 * stored: they are marked failed, to be submitted again. On PostgreSQL an instance lives as long as
 * its session advisory lock on its id (`holdInstanceLock`), so the jobs of another live instance
 * are left alone; on the embedded database the only instance is the one starting, so every job
 * left queued or running is a previous process's.
 */
export async function failInterruptedJobs(db: Database, options: { ownersLive: boolean } = { ownersLive: false }): Promise<number> {
  const ownerDead = options.ownersLive
    ? sql`(${jobs.owner} is null or not exists (select 1 from pg_locks l where l.locktype = 'advisory' and l.granted
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid = ${INSTANCE_LOCK_CLASS} and l.objid = hashtext(${jobs.owner})::oid))`
    : sql`true`;
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(jobs)
      .set({
        status: 'failed',
        resultStatus: 503,
        result: {
          type: 'urn:vawg:problem:interrupted',
          title: 'Service Unavailable',
          status: 503,
          detail: 'the service restarted while this job was waiting or running; nothing was stored; submit the return again',
        },
        finishedAt: new Date(),
      })
      // Linkage jobs are not a request's: they stay queued for the next worker (services/linkage/linkage-queue.ts).
      .where(and(inArray(jobs.status, ['queued', 'running']), ne(jobs.kind, LINKAGE_JOB), ownerDead))
      .returning({ id: jobs.id });
    // Their keys answered 202 for a job that will never finish: freed, so the same request may be sent again.
    await releaseKeysOfJobs(
      tx,
      rows.map((r) => r.id),
    );
    return rows.length;
  });
}
