/**
 * Owns background jobs: decorates `app.jobs`, holds this instance's liveness lock, marks jobs a
 * dead instance left unfinished as failed (at start and every minute, so instances sharing a
 * database leave each other's alone), clears leftover uploads at start, and lets running jobs
 * finish before the database closes.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import fp from 'fastify-plugin';
import { purgeExpiredIdempotencyKeys } from '../services/idempotency.js';
import { createJobRunner, failInterruptedJobs, holdInstanceLock, JOB_SWEEP_MS, type JobRunner } from '../services/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobRunner;
  }
}

export default fp<{ uploadDir: string; databaseUrl?: string | undefined }>(
  async (app, options) => {
    const instanceId = randomUUID();
    // On PostgreSQL other instances may share the database: each holds a lock while it lives, and
    // only the jobs of instances without one are failed. Embedded, this is the only instance.
    const lock = options.databaseUrl ? await holdInstanceLock(options.databaseUrl, instanceId, app.log) : null;
    const ownersLive = lock !== null;
    const interrupted = await failInterruptedJobs(app.db, { ownersLive });
    if (interrupted > 0) app.log.warn({ interrupted }, 'jobs left unfinished by a stopped instance were marked failed; nothing of them was stored');
    await rm(options.uploadDir, { recursive: true, force: true });
    await purgeExpiredIdempotencyKeys(app.db);
    const runner = createJobRunner(app.db, app.log, instanceId);
    app.decorate('jobs', runner);
    // An instance that dies while others run leaves its jobs to them: each sweeps for them.
    const sweep = ownersLive
      ? setInterval(() => {
          failInterruptedJobs(app.db, { ownersLive })
            .then((n) =>
              n > 0 ? app.log.warn({ interrupted: n }, 'jobs of an instance that stopped were marked failed; nothing of them was stored') : undefined,
            )
            .catch((err: unknown) => app.log.warn({ err }, 'could not sweep for interrupted jobs'));
        }, JOB_SWEEP_MS).unref()
      : undefined;
    // preClose runs before any onClose hook, so a job never outlives the database connection.
    app.addHook('preClose', async () => {
      clearInterval(sweep);
      await runner.drain();
    });
    app.addHook('onClose', async () => {
      await lock?.release();
    });
  },
  { name: 'jobs', dependencies: ['database'] },
);
