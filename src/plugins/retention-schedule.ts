/**
 * Applies retention once a day at VAWG_RETENTION_DAILY_AT (UTC) in the server, on PostgreSQL
 * (services/retention-schedule.ts): nothing when unset. A run in progress at close stops between
 * two transactions, and the database closes after it.
 */
import fp from 'fastify-plugin';
import type { LinkageSettings } from '../services/linkage/relink.js';
import { nextRunAt, parseTimeOfDay, runScheduledRetention } from '../services/retention-schedule.js';
import { DEFAULT_JOB_RETENTION_DAYS, type RetentionLimits } from '../services/retention-limits.js';

export interface RetentionScheduleOptions {
  databaseUrl?: string | undefined;
  dailyAt?: string | undefined;
  limits?: RetentionLimits | undefined;
  uploadDir: string;
  settings: LinkageSettings;
}

export default fp<RetentionScheduleOptions>(
  async (app, options) => {
    const { databaseUrl, dailyAt } = options;
    if (!databaseUrl || !dailyAt) return;
    const at = parseTimeOfDay(dailyAt);
    const limits = options.limits ?? { jobDays: DEFAULT_JOB_RETENTION_DAYS };
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | null = null;

    const schedule = (after: Date) => {
      const due = nextRunAt(at, after);
      timer = setTimeout(() => {
        running = runScheduledRetention({
          databaseUrl,
          db: app.db,
          limits,
          uploadDir: options.uploadDir,
          settings: options.settings,
          log: app.log,
          signal: stop.signal,
        })
          .then((result) => {
            if (result.outcome === 'applied') app.log.info({ retention: result.counts }, 'retention applied');
            else app.log.info({ retention: { uploads: result.uploads } }, 'retention applied by another instance today; stale uploads swept here');
          })
          .catch((err: unknown) => app.log.warn({ err }, 'scheduled retention failed; it runs again tomorrow, or run vawg retention --apply'))
          .finally(() => {
            running = null;
            // From the due time, not the clock: a timer firing a moment early does not run twice.
            if (!stop.signal.aborted) schedule(new Date(Math.max(Date.now(), due.getTime())));
          });
      }, due.getTime() - Date.now()).unref();
    };

    app.addHook('onReady', async () => schedule(new Date()));
    // Before the database closes (an onClose hook of the database plugin).
    app.addHook('preClose', async () => {
      stop.abort();
      clearTimeout(timer);
      await running;
    });
  },
  { name: 'retention-schedule', dependencies: ['database'] },
);
