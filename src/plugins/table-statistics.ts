/**
 * Owns the refresh of planner statistics after large returns (services/table-statistics.ts):
 * decorates `app.tableStatistics`. A refresh runs in the background after the return's answer;
 * loads that commit while one runs share the next, so a burst of returns costs two runs, not one
 * each. The database closes only after a running refresh ends.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/connect.js';
import { analyzeLoadedTables, isLargeLoad } from '../services/table-statistics.js';

export interface TableStatistics {
  /** After a commit that stored `records` records: statistics are refreshed in the background if that is a large load. */
  noteLoad(records: number): void;
  /** Resolves once no refresh is running or due. */
  settle(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    tableStatistics: TableStatistics;
  }
}

export function createTableStatistics(db: Database, log: FastifyBaseLogger): TableStatistics & { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  function start(): void {
    running = analyzeLoadedTables(db)
      .catch((err: unknown) =>
        log.warn({ err }, 'refreshing planner statistics after a large return failed; the next large return or autovacuum refreshes them'),
      )
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          start();
        }
      });
  }

  return {
    noteLoad(records) {
      if (stopped || !isLargeLoad(records)) return;
      if (running) again = true;
      else start();
    },
    async settle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      while (running) await running;
    },
  };
}

export default fp(
  async (app) => {
    const statistics = createTableStatistics(app.db, app.log);
    app.decorate('tableStatistics', statistics);
    // preClose runs before the database plugin's onClose, so no refresh outlives the connection.
    app.addHook('preClose', async () => statistics.stop());
  },
  { name: 'table-statistics', dependencies: ['database'] },
);
