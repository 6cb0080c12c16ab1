/** A model for the records at hand: EM when there are enough training pairs, else the defaults with λ for this data. */
import { buildBlocks, forEachEstimationPair, type Blocks } from './blocking.js';
import { DEFAULT_MAX_CLUSTER_SIZE } from './clusters.js';
import { ATTRIBUTE_NAMES, ATTRIBUTE_PATTERN_COUNT } from './comparison-levels.js';
import { DEFAULT_MODEL } from './default-model.js';
import {
  attributeMFromExactKeys,
  estimateFromCounts,
  SESSION_PATTERN_COUNT,
  toSessionPattern,
  type ExactKeyAttributeCounts,
} from './expectation-maximisation.js';
import { withoutUnavailableLevels, type LinkageModel } from './linkage-model.js';
import type { LinkageRecord } from './linkage-record.js';
import { compareAttributes, comparePattern } from './pair-comparison.js';
import { countPairLevels, type PairCounts } from './pair-level-counts.js';
import { buildTokenTable, datePartsAvailable, isNamelessKey, type TokenTable } from './token-table.js';

// Below this many pairs in the training session, EM has too little to go on.
const MIN_SESSION_PAIRS = 2_000;

/**
 * Per attribute, the pairs of records with the same whole key that have both values, and how
 * many of them agree: the attribute's m, measured on pairs that are one person's (see
 * ExactKeyAttributeCounts). O(n log n) for the sort, then the pairs within each key group.
 */
export function countExactKeyAttributes(table: TokenTable): ExactKeyAttributeCounts {
  const counts: ExactKeyAttributeCounts = {};
  if (!table.hasAttributes) return counts;
  const order = new Int32Array(table.size);
  for (let i = 0; i < table.size; i++) order[i] = i;
  order.sort((x, y) => table.key[x]! - table.key[y]!);
  const present = new Float64Array(ATTRIBUTE_NAMES.length);
  const agree = new Float64Array(ATTRIBUTE_NAMES.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && table.key[order[end]!] === table.key[order[start]!]) end++;
    // More records under one key than a person may have is a placeholder or a collision, and a key
    // with neither name is the birth date and sex alone: neither group's pairs say anything about m.
    if (end - start <= DEFAULT_MAX_CLUSTER_SIZE && !isNamelessKey(table, order[start]!)) {
      for (let x = start; x < end; x++)
        for (let y = x + 1; y < end; y++)
          for (let k = 0; k < ATTRIBUTE_NAMES.length; k++) {
            const a = table.attributes[k]![order[x]!]!;
            const b = table.attributes[k]![order[y]!]!;
            if (a < 0 || b < 0) continue;
            present[k]!++;
            if (a === b) agree[k]!++;
          }
    }
    start = end;
  }
  ATTRIBUTE_NAMES.forEach((name, k) => (counts[name] = { present: present[k]!, agree: agree[k]! }));
  return counts;
}

/**
 * The default model's attribute comparisons with m from the exact-key pairs and u from all pairs
 * (countPairLevels): on consistent data about the defaults (m 0.94, u Σ p²), on data whose
 * attributes a person's services record at random m = u, weight 0. Only the attributes the
 * default model has: an area comparison needs EM's data size to be worth having.
 */
function smallModelAttributes(table: TokenTable, pairCounts: PairCounts): LinkageModel['comparisons'] {
  const exactKeys = countExactKeyAttributes(table);
  const comparisons: LinkageModel['comparisons'] = {};
  for (const name of ATTRIBUTE_NAMES) {
    const fallback = DEFAULT_MODEL.comparisons[name];
    const present = pairCounts.present[name];
    const levels = pairCounts.levels[name];
    if (!fallback) continue;
    if (!present || !levels) {
      comparisons[name] = fallback;
      continue;
    }
    const u = levels.exact! / present;
    const m = attributeMFromExactKeys(exactKeys[name], fallback.exact!.m, u);
    comparisons[name] = { exact: { m: m.exact, u: Math.max(u, 1e-9) }, different: { m: m.different, u: Math.max(1 - u, 1e-9) } };
  }
  return comparisons;
}

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
  const base = withoutUnavailableLevels(DEFAULT_MODEL, datePartsAvailable(table));
  return {
    ...base,
    version: `${DEFAULT_MODEL.version}-n${table.size}`,
    priorMatchProbability: prior,
    ...(table.hasAttributes ? { comparisons: { ...base.comparisons, ...smallModelAttributes(table, countPairLevels(table)) } } : {}),
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
    forEachEstimationPair(table, blocks, (i, j, weight) => {
      counts[toSessionPattern(comparePattern(table, i, j)) * ATTRIBUTE_PATTERN_COUNT + compareAttributes(table, i, j)]! += weight;
    });
    sessionCounts = counts;
  } else {
    const counts = new Float64Array(SESSION_PATTERN_COUNT);
    forEachEstimationPair(table, blocks, (i, j, weight) => {
      counts[toSessionPattern(comparePattern(table, i, j))]! += weight;
    });
    sessionCounts = counts;
  }
  const total = sessionCounts.reduce((sum, c) => sum + c, 0);
  if (total < MIN_SESSION_PAIRS) return estimateSmallModel(table);
  return estimateFromCounts({ sessionCounts, pairCounts: countPairLevels(table), exactKeyAttributes: countExactKeyAttributes(table), ...options });
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
