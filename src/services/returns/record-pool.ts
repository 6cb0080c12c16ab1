/**
 * The worker threads that check a large return's records and make their rows (record-worker.ts),
 * a piscina pool: the main thread keeps reading the file, the checks across records and the
 * writes. One pool per app, started on the first return large enough to need it (most test apps
 * never start one) and destroyed when the app closes.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import type { ChunkResult, ChunkTask } from './record-chunks.js';

/** The worker file as it is: the app runs under `node --import tsx` and the tests under tap's loader, and worker threads inherit either. */
const WORKER_FILE = new URL('./record-worker.ts', import.meta.url).href;

export interface RecordPool {
  /** How many worker threads the pool runs once started. */
  readonly threads: number;
  run(task: ChunkTask): Promise<ChunkResult>;
  /** Worker threads running now: none before the first task, none after `close`. */
  liveThreads(): number;
  close(): Promise<void>;
}

/** One thread fewer than the machine has, so the main thread (and the database, when it is local) keep a core; at least one. */
export function defaultRecordWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

/**
 * A worker's failure leaves with its kind only: the error was raised while a record was in hand,
 * and its message could quote it.
 */
function workerError(error: unknown): Error {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  const kind = typeof code === 'string' ? code : typeof name === 'string' ? name : 'unknown error';
  return new Error(`checking records in a worker thread failed (${kind})`);
}

export function createRecordPool(options: { linkageSecret: string; threads: number }): RecordPool {
  const { threads } = options;
  let pool: Piscina<ChunkTask, ChunkResult> | null = null;
  let closed = false;
  return {
    threads,
    async run(task) {
      if (closed) throw new Error('the record worker pool is closed');
      pool ??= new Piscina<ChunkTask, ChunkResult>({
        filename: WORKER_FILE,
        minThreads: threads,
        maxThreads: threads,
        // The secret is the workers' from the start: no task carries it.
        workerData: { linkageSecret: options.linkageSecret },
      });
      try {
        return await pool.run(task);
      } catch (error) {
        throw workerError(error);
      }
    },
    liveThreads: () => pool?.threads.length ?? 0,
    async close() {
      closed = true;
      const running = pool;
      pool = null;
      await running?.destroy();
    },
  };
}
