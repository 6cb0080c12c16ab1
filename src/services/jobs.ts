/**
 * Background jobs for work too long for one HTTP request (large returns): the request answers
 * 202 with the job, and the client polls `GET /v1/jobs/{id}` for progress and the final result,
 * the same status and body the request would have answered with.
 *
 * Jobs run in this process one at a time, which bounds memory however many large returns arrive.
 * Progress lives in memory while a job runs: on embedded PGlite the submission's transaction holds
 * the only connection, so progress could not be written anyway.
 */
import { eq, inArray } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/connect.js';
import { jobs } from '../db/tables.js';
import { documentOfClientError, problem, problemDocument, problemTypes, type ClientError } from '../lib/problem.js';
import type { Principal } from './api-keys.js';

export interface JobProgress {
  recordsRead: number;
  bytesRead?: number;
  bytesTotal?: number;
}

export interface JobOutcome {
  status: number;
  body: unknown;
}

export interface JobWork {
  run(report: (progress: Partial<JobProgress>) => void): Promise<JobOutcome>;
  /** Always called once the job has ended (e.g. to delete its upload). */
  cleanup?(): Promise<void>;
}

export interface JobRunner {
  enqueue(id: string, work: JobWork, initial: JobProgress): void;
  progressOf(id: string): JobProgress | undefined;
  /** Resolves when every queued job has ended. */
  drain(): Promise<void>;
}

export function createJobRunner(db: Database, log: FastifyBaseLogger): JobRunner {
  const progress = new Map<string, JobProgress>();
  let chain: Promise<void> = Promise.resolve();

  async function execute(id: string, work: JobWork, initial: JobProgress) {
    progress.set(id, initial);
    await db.update(jobs).set({ status: 'running', startedAt: new Date() }).where(eq(jobs.id, id));
    let outcome: JobOutcome;
    try {
      outcome = await work.run((update) => progress.set(id, { ...progress.get(id)!, ...update }));
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) log.error({ err: error, jobId: id }, 'job failed');
      outcome = { status, body: problemBody(error, status, id) };
    } finally {
      await work.cleanup?.().catch((err: unknown) => log.warn({ err, jobId: id }, 'job cleanup failed'));
    }
    const final = progress.get(id);
    progress.delete(id);
    await db
      .update(jobs)
      .set({
        status: outcome.status < 400 ? 'succeeded' : 'failed',
        resultStatus: outcome.status,
        result: outcome.body,
        progress: final ?? {},
        finishedAt: new Date(),
      })
      .where(eq(jobs.id, id));
  }

  return {
    enqueue(id, work, initial) {
      chain = chain.then(() => execute(id, work, initial)).catch((err: unknown) => log.error({ err, jobId: id }, 'job bookkeeping failed'));
    },
    progressOf: (id) => progress.get(id),
    drain: () => chain,
  };
}

/** The problem document a failed job reports, as the error handler would have written it. */
function problemBody(error: unknown, status: number, jobId: string) {
  const instance = `/v1/jobs/${jobId}`;
  if (status >= 500) return problemDocument(status, 'the job failed; nothing was stored', instance, problemTypes.internal);
  return documentOfClientError(error as ClientError, instance);
}

export async function createJob(db: Database, params: { kind: string; principal: Principal; service?: string; period?: string; progress: JobProgress }) {
  const [row] = await db
    .insert(jobs)
    .values({
      kind: params.kind,
      status: 'queued',
      submittedBy: params.principal.keyId,
      serviceId: params.service ?? null,
      period: params.period ?? null,
      progress: params.progress,
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
 * Jobs a previous process left queued or running died with it. Their transactions were rolled back
 * by the database, so nothing of them was stored: they are marked failed, to be submitted again.
 */
export async function failInterruptedJobs(db: Database): Promise<number> {
  const rows = await db
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
    .where(inArray(jobs.status, ['queued', 'running']))
    .returning({ id: jobs.id });
  return rows.length;
}
