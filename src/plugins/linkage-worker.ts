/**
 * Owns this instance's linkage worker (services/linkage/linkage-queue.ts): decorates `app.linkage`,
 * picks up jobs left queued at start and, every `pollMs`, those no instance has nudged (another
 * instance crashed, or runs with linkage `none`), and lets a run finish before the database closes.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { LinkageMode, LinkageReestimation } from '../config.js';
import type { Database } from '../db/connect.js';
import { decideModelReestimation, linkageJobEnded, linkNextReturn } from '../services/linkage/linkage-queue.js';
import { relinkPerpetrators } from '../services/linkage/perpetrator-linkage.js';
import { relinkPersons, type LinkageSettings } from '../services/linkage/relink.js';

export interface LinkageWorker {
  readonly mode: LinkageMode;
  /** Asks the worker to look at the queue now (after a return commits). */
  nudge(): void;
  /** Resolves once the queue is empty or another instance holds the linkage lock. */
  drain(): Promise<void>;
  /** Resolves once the job has ended, here or in another instance, or after `timeoutMs`. */
  waitFor(jobId: string, timeoutMs: number): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    linkage: LinkageWorker;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createLinkageWorker(
  db: Database,
  settings: LinkageSettings,
  log: FastifyBaseLogger,
  mode: LinkageMode,
  reestimate: LinkageReestimation = 'off',
): LinkageWorker & { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function run(): Promise<void> {
    let linked = 0;
    while (!stopped) {
      const outcome = await linkNextReturn(db, settings).catch((error: unknown) => ({ kind: 'error' as const, error }));
      // Busy: another instance (or a full relink) is linking; it takes the queue on, and the poll covers the rest.
      if (outcome.kind === 'busy') return;
      if (outcome.kind === 'idle') {
        if (linked > 0 && reestimate === 'auto') await reestimateIfDue();
        return;
      }
      if (outcome.kind === 'linked') {
        linked += 1;
        log.info({ jobId: outcome.jobId, linkage: outcome.stats }, 'persons linked for a return');
        continue;
      }
      // A failed job counted an attempt and stays queued: the next nudge or poll retries it, so a
      // failure never spins, and after MAX_LINKAGE_ATTEMPTS it is left failed for a full relink.
      log.error(
        { err: outcome.error, ...(outcome.kind === 'failed' ? { jobId: outcome.jobId } : {}) },
        'linkage of a return failed; it will be retried, or POST /v1/linkage/relink brings persons current',
      );
      return;
    }
  }

  /**
   * Once the queue is empty: the model in force re-estimated (EM) and everything relinked when the
   * data has outgrown it or it is old (reestimation-policy.ts), so nobody has to remember to.
   */
  async function reestimateIfDue(): Promise<void> {
    try {
      const decision = await decideModelReestimation(db);
      if (!decision.estimate) return;
      const victims = await relinkPersons(db, { settings, estimate: true, log });
      await relinkPerpetrators(db, { settings, log });
      log.info({ reason: decision.reason, records: victims.records, modelVersion: victims.modelVersion }, 'linkage model re-estimated and persons relinked');
    } catch (err) {
      log.error({ err }, 're-estimating the linkage model failed; persons stay as the model in force linked them');
    }
  }

  function nudge(): void {
    if (stopped || mode === 'none') return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = null;
      if (again) {
        again = false;
        nudge();
      }
    });
  }

  async function drain(): Promise<void> {
    nudge();
    while (running) await running;
  }

  async function waitFor(jobId: string, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await drain();
      if (await linkageJobEnded(db, jobId)) return true;
      if (Date.now() >= until || stopped) return false;
      // Claimed by another instance: its end is polled for.
      await sleep(100);
    }
  }

  return {
    mode,
    nudge,
    drain,
    waitFor,
    async stop() {
      stopped = true;
      while (running) await running;
    },
  };
}

export default fp<{ linkageSettings: LinkageSettings; mode: LinkageMode; pollMs: number; reestimate: LinkageReestimation }>(
  async (app, options) => {
    const worker = createLinkageWorker(app.db, options.linkageSettings, app.log, options.mode, options.reestimate);
    app.decorate('linkage', worker);
    let poll: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      worker.nudge();
      if (options.mode !== 'none') poll = setInterval(() => worker.nudge(), options.pollMs).unref();
    });
    // preClose runs before any onClose hook, so a run never outlives the database connection.
    app.addHook('preClose', async () => {
      if (poll) clearInterval(poll);
      await worker.stop();
    });
  },
  { name: 'linkage-worker', dependencies: ['database'] },
);
