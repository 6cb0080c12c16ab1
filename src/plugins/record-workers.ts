/**
 * Decorates `app.recordPool`: the worker threads that check a large return's records and make
 * their rows (services/returns/record-pool.ts). Nothing starts here: the threads start on the first
 * return large enough to use them, so an app that never gets one (every test's, a read replica's
 * API) costs nothing, and they are destroyed when the app closes, after running jobs have drained
 * (the jobs plugin's preClose).
 */
import fp from 'fastify-plugin';
import { createRecordPool, defaultRecordWorkers, type RecordPool } from '../services/returns/record-pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when configured with no workers (`VAWG_RECORD_WORKERS=0`): all the work is then on the main thread. */
    recordPool: RecordPool | null;
  }
}

export default fp<{ linkageSecret: string; threads?: number | undefined }>(
  async (app, options) => {
    const threads = options.threads ?? defaultRecordWorkers();
    const pool = threads > 0 ? createRecordPool({ linkageSecret: options.linkageSecret, threads }) : null;
    app.decorate('recordPool', pool);
    app.addHook('onClose', async () => {
      await pool?.close();
    });
  },
  { name: 'record-workers' },
);
