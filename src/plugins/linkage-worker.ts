/**
 * Owns this instance's linkage worker (services/linkage/linkage-queue.ts): decorates `app.linkage`,
 * picks up jobs left queued at start and, every `pollMs`, those no instance has nudged (another
 * instance crashed, or runs with linkage `none`), re-estimates the model when it is due, and lets
 * a run finish before the database closes.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { LinkageMode, LinkageReestimation } from '../config.js';
import type { Database } from '../db/connect.js';
import { linkageJobState, linkNextReturn, reestimateIfDue } from '../services/linkage/linkage-queue.js';
import type { LinkageSettings } from '../services/linkage/relink.js';

export interface LinkageWorker {
  readonly mode: LinkageMode;
  /** Asks the worker to look at the queue now (after a return commits). */
  nudge(): void;
  /** Resolves once the queue is empty (or another instance holds the linkage lock) and any re-estimation it set off is done. */
  drain(): Promise<void>;
  /** How the job ended, here or in another instance, or `timeout` once `timeoutMs` has passed first. */
  waitFor(jobId: string, timeoutMs: number): Promise<'succeeded' | 'failed' | 'timeout'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    linkage: LinkageWorker;
  }
}

export interface LinkageWorkerOptions {
  mode: LinkageMode;
  reestimate: LinkageReestimation;
  /** The first retry of a failed job waits this long (then four times longer each time). */
  retryBaseMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createLinkageWorker(
  db: Database,
  settings: LinkageSettings,
  log: FastifyBaseLogger,
  options: LinkageWorkerOptions,
): LinkageWorker & { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let reestimating: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  /** Returns linked since the policy was last asked: nothing linked, nothing to re-estimate. */
  let linkedSinceCheck = 0;

  async function run(): Promise<void> {
    while (!stopped) {
      const outcome = await linkNextReturn(db, settings, options.retryBaseMs).catch((error: unknown) => ({ kind: 'error' as const, error }));
      // Busy: another instance (or a full relink) is linking; it takes the queue on, and the poll covers the rest.
      if (outcome.kind === 'idle' || outcome.kind === 'busy') return;
      if (outcome.kind === 'linked') {
        linkedSinceCheck += 1;
        log.info({ jobId: outcome.jobId, linkage: outcome.stats }, 'persons linked for a return');
        continue;
      }
      // A failed job counted an attempt and waits for its retry time while the jobs behind it go
      // first; after MAX_LINKAGE_ATTEMPTS it is left failed for a full relink.
      log.error(
        { err: outcome.error, ...(outcome.kind === 'failed' ? { jobId: outcome.jobId } : {}) },
        'linkage of a return failed; it will be retried, or POST /v1/linkage/relink brings persons current',
      );
      return;
    }
  }

  /** Apart from the queue's run, so a request waiting for its own job never waits for EM too. */
  function reestimateWhenDue(): void {
    if (options.reestimate !== 'auto' || reestimating || stopped || linkedSinceCheck === 0) return;
    linkedSinceCheck = 0;
    reestimating = reestimateIfDue(db, { settings, log })
      .then((reason) => {
        if (reason) log.info({ reason }, 'linkage model re-estimated and persons relinked');
      })
      .catch((err: unknown) => log.error({ err }, 're-estimating the linkage model failed; persons stay as the model in force linked them'))
      .finally(() => {
        reestimating = null;
      });
  }

  function nudge(): void {
    if (stopped || options.mode === 'none') return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = null;
      if (again) {
        again = false;
        nudge();
      } else reestimateWhenDue();
    });
  }

  async function drain(): Promise<void> {
    nudge();
    while (running || reestimating) await (running ?? reestimating);
  }

  async function waitFor(jobId: string, timeoutMs: number): Promise<'succeeded' | 'failed' | 'timeout'> {
    const until = Date.now() + timeoutMs;
    nudge();
    for (;;) {
      const state = await linkageJobState(db, jobId);
      if (state !== 'pending') return state;
      if (Date.now() >= until || stopped) return 'timeout';
      // Run here or in another instance, or waiting for a retry: its end is polled for.
      await sleep(50);
      if (!running) nudge();
    }
  }

  return {
    mode: options.mode,
    nudge,
    drain,
    waitFor,
    async stop() {
      stopped = true;
      while (running || reestimating) await (running ?? reestimating);
    },
  };
}

export default fp<{ linkageSettings: LinkageSettings; pollMs: number } & LinkageWorkerOptions>(
  async (app, options) => {
    const worker = createLinkageWorker(app.db, options.linkageSettings, app.log, options);
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
