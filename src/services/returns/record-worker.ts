/**
 * A worker thread of the record pool (record-pool.ts): checks a chunk of a return's records and
 * makes their rows, linkage tokens included. The linkage secret comes once, in the pool's
 * `workerData`, never with a task (tasks and their errors can be logged; workerData is not).
 */
import { workerData } from 'piscina';
import { deriveLinkageTokens } from '../linkage/tokens.js';
import { checkChunk, contextOf, type ChunkContext, type ChunkResult, type ChunkTask } from './record-chunks.js';
import type { DeriveTokens } from './record-rows.js';

const { linkageSecret } = workerData as { linkageSecret: string };
const deriveTokens: DeriveTokens = (slk581) => deriveLinkageTokens(slk581, linkageSecret);

// A return's chunks share their context (validator, header): the last one is kept.
let last: { key: string; context: ChunkContext } | undefined;

export default function checkChunkInWorker(task: ChunkTask): ChunkResult {
  const key = JSON.stringify([task.format, task.period, task.datasetVersion, task.header ?? null]);
  if (last?.key !== key) last = { key, context: contextOf(task, deriveTokens) };
  return checkChunk(task, last.context);
}
