/** A model for the records at hand: EM when there are enough training pairs, else the defaults with λ for this data. */
import { buildBlocks, forEachCandidatePair, type Blocks } from './blocking.js';
import { ATTRIBUTE_PATTERN_COUNT } from './comparison-levels.js';
import { DEFAULT_MODEL } from './default-model.js';
import { estimateFromCounts, SESSION_PATTERN_COUNT, toSessionPattern } from './expectation-maximisation.js';
import { withoutUnavailableLevels, type LinkageModel } from './linkage-model.js';
import type { LinkageRecord } from './linkage-record.js';
import { compareAttributes, comparePattern } from './pair-comparison.js';
import { countPairLevels } from './pair-level-counts.js';
import { buildTokenTable, datePartsAvailable, type TokenTable } from './token-table.js';

// Below this many pairs in the training session, EM has too little to go on.
const MIN_SESSION_PAIRS = 2_000;

/**
 * DEFAULT_MODEL's m and u with λ for this data, as Splink estimates λ from a deterministic rule:
 * pairs with the same whole key, divided by the share of true matches that rule finds (every
 * comparison exact). λ cannot come with the defaults: it falls as the data grows, and a λ made
 * for a hundred thousand records would leave a thousand under-linked.
 */
function estimateSmallModel(table: TokenTable): LinkageModel {
  const counts = new Float64Array(table.distinct.key);
  for (const key of table.key) counts[key]!++;
  let sameKeyPairs = 0;
  for (const c of counts) sameKeyPairs += (c * (c - 1)) / 2;
  const exactRecall = (['family', 'given', 'birthDate', 'sex'] as const).reduce((product, c) => product * DEFAULT_MODEL.comparisons[c]!.exact!.m, 1);
  const allPairs = Math.max((table.size * (table.size - 1)) / 2, 1);
  const prior = Math.min(Math.max(sameKeyPairs, 1) / exactRecall / allPairs, 0.5);
  return {
    ...withoutUnavailableLevels(DEFAULT_MODEL, datePartsAvailable(table)),
    version: `${DEFAULT_MODEL.version}-n${table.size}`,
    priorMatchProbability: prior,
  };
}

export interface EstimateOptions {
  /** EM iterations at most (it usually converges in a few dozen). */
  iterations?: number;
  /** Stored with the model and every link made with it; defaults to em-<date>-<records>. */
  version?: string;
}

export function estimateFromTable(table: TokenTable, blocks: Blocks, options: EstimateOptions = {}): LinkageModel {
  let sessionCounts: Float64Array;
  if (table.hasAttributes) {
    const counts = new Float64Array(SESSION_PATTERN_COUNT * ATTRIBUTE_PATTERN_COUNT);
    forEachCandidatePair(
      table,
      blocks,
      (i, j) => counts[toSessionPattern(comparePattern(table, i, j)) * ATTRIBUTE_PATTERN_COUNT + compareAttributes(table, i, j)]!++,
      false,
    );
    sessionCounts = counts;
  } else {
    const counts = new Float64Array(SESSION_PATTERN_COUNT);
    forEachCandidatePair(table, blocks, (i, j) => counts[toSessionPattern(comparePattern(table, i, j))]!++, false);
    sessionCounts = counts;
  }
  const total = sessionCounts.reduce((sum, c) => sum + c, 0);
  if (total < MIN_SESSION_PAIRS) return estimateSmallModel(table);
  return estimateFromCounts({ sessionCounts, pairCounts: countPairLevels(table), ...options });
}

/**
 * m, u and λ from the records themselves (see estimateFromCounts). With too few candidate pairs
 * to learn from, DEFAULT_MODEL's m and u with λ estimated for these records.
 */
export function estimateModel(records: readonly LinkageRecord[], options: EstimateOptions = {}): LinkageModel {
  const table = buildTokenTable(
    records.map((r) => r.tokens),
    records.map((r) => r.attributes),
  );
  return estimateFromTable(table, buildBlocks(table), options);
}
