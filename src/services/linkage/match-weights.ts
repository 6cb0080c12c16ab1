/**
 * Match weights from a model: per pattern, to match many pairs, and for one pair, to explain it.
 *
 * A pair's evidence is the sum of log2(m / u) over the comparisons; a
 * missing value is no evidence either way.
 *
 * Weight convention (Splink's "match weight"): weight = log2(λ / (1 − λ)) + Σ log2(m / u), where λ
 * is the probability that two records drawn at random belong to the same person. So a weight of 0
 * is a 50% match probability, and the probability of any weight w is 2^w / (1 + 2^w). λ shrinks as
 * the data grows (more people to be confused with), which is why the prior belongs in the weight:
 * the same threshold then means the same probability at ten thousand records or a million.
 */
import {
  ATTRIBUTE_LEVELS,
  ATTRIBUTE_NAMES,
  ATTRIBUTE_PATTERN_COUNT,
  COMPARISONS,
  MISSING_ATTRIBUTE,
  PATTERN_COUNT,
  describeAttributePattern,
  describePattern,
  unpackAttributePattern,
  type AttributeName,
  type ComparisonName,
  type LinkageAttributes,
} from './comparison-levels.js';
import { LEVEL_FALLBACKS, type LinkageModel } from './linkage-model.js';
import { compareAttributesOf, comparePatternOfTokens } from './pair-comparison.js';
import type { LinkageTokens } from './tokens.js';

/**
 * Per-pattern weights: evidence alone (`bayesFactor`, log2), with the prior (`weight`), and the
 * evidence against only (`disagreement`, the sum of the negative terms): a missing value or a
 * weak partial agreement is an absence of evidence, a different value is evidence of two people.
 */
export interface PatternWeights {
  bayesFactor: Float64Array;
  weight: Float64Array;
  disagreement: Float64Array;
}

function computePartialWeight(model: LinkageModel, comparison: ComparisonName | AttributeName, level: string): number {
  const levels = model.comparisons[comparison];
  const fallback = LEVEL_FALLBACKS[comparison]?.[level];
  const parameters = levels?.[level] ?? (fallback === undefined ? undefined : levels?.[fallback]);
  if (!parameters) return 0;
  return Math.log2(parameters.m / parameters.u);
}

export function buildPatternWeights(model: LinkageModel): PatternWeights {
  const prior = Math.log2(model.priorMatchProbability / (1 - model.priorMatchProbability));
  const bayesFactor = new Float64Array(PATTERN_COUNT);
  const weight = new Float64Array(PATTERN_COUNT);
  const disagreement = new Float64Array(PATTERN_COUNT);
  for (let pattern = 0; pattern < PATTERN_COUNT; pattern++) {
    const levels = describePattern(pattern);
    let sum = 0;
    let against = 0;
    for (const comparison of Object.keys(COMPARISONS) as ComparisonName[]) {
      if (levels[comparison] === 'missing') continue;
      const partial = computePartialWeight(model, comparison, levels[comparison]!);
      sum += partial;
      against += Math.min(partial, 0);
    }
    bayesFactor[pattern] = sum;
    weight[pattern] = sum + prior;
    disagreement[pattern] = against;
  }
  return { bayesFactor, weight, disagreement };
}

/**
 * Per attribute pattern, the evidence (log2) and the evidence against, to add to the token
 * pattern's. A model without attribute comparisons (stored before they existed) gives 0 for all.
 */
export function buildAttributeWeights(model: LinkageModel): { bayesFactor: Float64Array; disagreement: Float64Array } {
  const bayesFactor = new Float64Array(ATTRIBUTE_PATTERN_COUNT);
  const disagreement = new Float64Array(ATTRIBUTE_PATTERN_COUNT);
  for (let pattern = 0; pattern < ATTRIBUTE_PATTERN_COUNT; pattern++) {
    const levels = unpackAttributePattern(pattern);
    let sum = 0;
    let against = 0;
    ATTRIBUTE_NAMES.forEach((name, k) => {
      if (levels[k] === MISSING_ATTRIBUTE) return;
      const partial = computePartialWeight(model, name, ATTRIBUTE_LEVELS[levels[k]!]!);
      sum += partial;
      against += Math.min(partial, 0);
    });
    bayesFactor[pattern] = sum;
    disagreement[pattern] = against;
  }
  return { bayesFactor, disagreement };
}

/**
 * The match weight of one pair (prior included, see the file comment) and the level of each
 * comparison, for explaining a link. `partialWeights` are the log2(m / u) terms that sum, with
 * `priorWeight`, to `weight`. Term-frequency adjustments need counts over all records, so they
 * are not here: matchRecords adds them, and the weights it reports include them.
 */
export function scorePair(
  a: LinkageTokens,
  b: LinkageTokens,
  model: LinkageModel,
  aAttributes?: LinkageAttributes | null,
  bAttributes?: LinkageAttributes | null,
): { weight: number; levels: Record<string, string>; partialWeights: Record<string, number>; priorWeight: number } {
  const levels = describePattern(comparePatternOfTokens(a, b));
  // Attribute levels are reported only when attributes are passed, so callers without them see
  // exactly the comparisons they did before.
  const withAttributes = (aAttributes !== undefined && aAttributes !== null) || (bAttributes !== undefined && bAttributes !== null);
  if (withAttributes) Object.assign(levels, describeAttributePattern(compareAttributesOf(aAttributes, bAttributes)));
  const priorWeight = Math.log2(model.priorMatchProbability / (1 - model.priorMatchProbability));
  const partialWeights: Record<string, number> = {};
  let weight = priorWeight;
  for (const comparison of Object.keys(COMPARISONS) as ComparisonName[]) {
    const partial = levels[comparison] === 'missing' ? 0 : computePartialWeight(model, comparison, levels[comparison]!);
    partialWeights[comparison] = partial;
    weight += partial;
  }
  if (withAttributes) {
    for (const name of ATTRIBUTE_NAMES) {
      const partial = levels[name] === 'missing' ? 0 : computePartialWeight(model, name, levels[name]!);
      partialWeights[name] = partial;
      weight += partial;
    }
  }
  return { weight, levels, partialWeights, priorWeight };
}

export function toMatchProbability(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}
