/**
 * Owns background jobs: decorates `app.jobs`, marks jobs a previous process left unfinished as
 * failed and clears its leftover uploads at start, and lets running jobs finish before the
 * database closes.
 */
import { rm } from 'node:fs/promises';
import fp from 'fastify-plugin';
import { purgeExpiredIdempotencyKeys } from '../services/idempotency.js';
import { createJobRunner, failInterruptedJobs, type JobRunner } from '../services/jobs.js';

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
    // preClose runs before any onClose hook, so a job never outlives the database connection.
    app.addHook('preClose', () => runner.drain());
  },
  { name: 'jobs', dependencies: ['database'] },
);
