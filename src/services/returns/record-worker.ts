/**
 * A worker thread of the record pool (record-pool.ts): checks a chunk of a return's records and
 * makes their rows, linkage tokens included. The linkage secret comes once, in the pool's
 * `workerData`, never with a task (tasks and their errors can be logged; workerData is not).
 */
import { workerData } from 'piscina';
import { IdleCache } from '../../lib/idle-cache.js';
import { createLinkageTokenDeriver } from '../linkage/tokens.js';
import { checkChunk, contextOf, type ChunkContext, type ChunkResult, type ChunkTask } from './record-chunks.js';

const { linkageSecret } = workerData as { linkageSecret: string };

// A return's chunks share their context (validator, header): the last one is kept.
let last: { key: string; context: Omit<ChunkContext, 'deriveTokens'> } | undefined;

/**
 * A return's chunks also share a token deriver, whose memo of component tokens (birth dates, name
 * letters, in the clear) is what saves the repeated HMACs. It is the return's alone: dropped once
 * no chunk of that return has come for a second (its last chunk has been), and never shared with
 * another return. A chunk with no return id (a dry run, a return already refused) gets its own.
 */
const derivers = new IdleCache(() => createLinkageTokenDeriver(linkageSecret), {
  idleMs: 1_000,
  // Returns being read at once (each by its own request); past this the least recent is dropped.
  maxEntries: 4,
});

export default function checkChunkInWorker(task: ChunkTask): ChunkResult {
  const key = JSON.stringify([task.format, task.period, task.datasetVersion, task.header ?? null]);
  const returnId = task.rows?.returnId;
  const deriveTokens = returnId === undefined ? createLinkageTokenDeriver(linkageSecret) : derivers.get(returnId);
  if (last?.key !== key) last = { key, context: contextOf(task) };
  try {
    return checkChunk(task, { ...last.context, deriveTokens });
  } finally {
    // Idle from the chunk's end, not its start.
    if (returnId !== undefined) derivers.touch(returnId);
  }
}
