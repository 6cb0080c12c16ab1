/**
 * Owns background jobs: decorates `app.jobs`, marks jobs a dead instance left unfinished as failed
 * (at start and every minute, going by their heartbeats, so instances sharing a database leave each
 * other's alone), clears leftover uploads at start, and lets running jobs finish before the
 * database closes.
 */
import { rm } from 'node:fs/promises';
import fp from 'fastify-plugin';
import { purgeExpiredIdempotencyKeys } from '../services/idempotency.js';
import { createJobRunner, failInterruptedJobs, JOB_STALE_MS, type JobRunner } from '../services/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobRunner;
  }
}

export default fp<{ uploadDir: string }>(
  async (app, options) => {
    const interrupted = await failInterruptedJobs(app.db);
    if (interrupted > 0) app.log.warn({ interrupted }, 'jobs left unfinished by a previous process were marked failed; nothing of them was stored');
    await rm(options.uploadDir, { recursive: true, force: true });
    await purgeExpiredIdempotencyKeys(app.db);
    const runner = createJobRunner(app.db, app.log);
    app.decorate('jobs', runner);
    // An instance that dies while others run leaves its jobs to them: each sweeps for stale ones.
    const sweep = setInterval(() => {
      failInterruptedJobs(app.db)
        .then((n) => (n > 0 ? app.log.warn({ interrupted: n }, 'jobs of an instance that stopped were marked failed; nothing of them was stored') : undefined))
        .catch((err: unknown) => app.log.warn({ err }, 'could not sweep for interrupted jobs'));
    }, JOB_STALE_MS).unref();
    // preClose runs before any onClose hook, so a job never outlives the database connection.
    app.addHook('preClose', async () => {
      clearInterval(sweep);
      await runner.drain();
      runner.stop();
    });
  },
  { name: 'jobs', dependencies: ['database'] },
);
