/** Expectation–maximisation: m, u and λ estimated from counts of candidate pairs per pattern and of all pairs per level. */
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTE_PATTERN_COUNT,
  COMPARISONS,
  MISSING_ATTRIBUTE,
  NO_ATTRIBUTES,
  unpackAttributePattern,
  unpackPattern,
  type ComparisonName,
} from './comparison-levels.js';
import { DEFAULT_MODEL } from './default-model.js';
import { withoutUnavailableLevels, type LinkageModel } from './linkage-model.js';
import type { PairCounts } from './pair-level-counts.js';

// No level is allowed to be certain: recording errors the training data happens not to show
// (a sex recorded wrongly) must not veto a link outright, nor a coincidence force one.
const MIN_M = 1e-3;
const MIN_U = 1e-9;

/**
 * Pairs of records with the same whole key, per attribute: how many have both values and how
 * many of those agree (countExactKeyAttributes). Such pairs are all but certainly one person's
 * (two people sharing every letter, the date and sex of a key are rare), so their agreement is
 * an attribute's m measured directly, where EM infers it.
 */
export type ExactKeyAttributeCounts = Partial<Record<string, { present: number; agree: number }>>;

/**
 * Pseudo-pairs of the prior m (the default, or EM's start) an exact-key estimate is shrunk with:
 * a handful of pairs moves m little, hundreds decide it.
 */
const EXACT_KEY_PRIOR_PAIRS = 20;

/**
 * An attribute's m from pairs sharing the exact key, shrunk towards `priorExactM`; and never
 * below u (agreement rarer for one person's records than for strangers' is not evidence of two
 * people, only of an attribute recorded at random): then m = u, weight 0 at both levels. An
 * attribute a person's services record at random thus weighs nothing, where the default m (0.94)
 * would count its every disagreement against the link.
 */
export function attributeMFromExactKeys(
  counts: { present: number; agree: number } | undefined,
  priorExactM: number,
  exactU?: number,
): { exact: number; different: number } {
  const present = counts?.present ?? 0;
  const agree = counts?.agree ?? 0;
  let exact = (agree + EXACT_KEY_PRIOR_PAIRS * priorExactM) / (present + EXACT_KEY_PRIOR_PAIRS);
  if (exactU !== undefined && exact < exactU) exact = exactU;
  exact = Math.min(Math.max(exact, MIN_M), 1 - MIN_M);
  return { exact, different: 1 - exact };
}

function normalise(levels: Record<string, number>, floor: number): Record<string, number> {
  const floored = Object.fromEntries(Object.entries(levels).map(([level, p]) => [level, Math.max(p, floor)]));
  const total = Object.values(floored).reduce((sum, p) => sum + p, 0);
  return Object.fromEntries(Object.entries(floored).map(([level, p]) => [level, p / total]));
}

/** Session patterns for EM: family × given × (date exact | transposed) × sex. */
export const SESSION_PATTERN_COUNT = 4 * 4 * 2 * 3;

export function toSessionPattern(pattern: number): number {
  const [family, given, birthDate, sex] = unpackPattern(pattern);
  return ((family * 4 + given) * 2 + birthDate) * 3 + sex;
}

export interface EstimateInput {
  /**
   * Counts of candidate pairs per session pattern, from pairs blocked on birth date (exact or
   * transposed): indexed by sessionPattern × ATTRIBUTE_PATTERN_COUNT + attribute pattern, or by
   * session pattern alone (SESSION_PATTERN_COUNT entries) when there are no attributes.
   */
  sessionCounts: Float64Array;
  pairCounts: PairCounts;
  /**
   * When given, each attribute's m comes from the pairs sharing the exact key (see
   * attributeMFromExactKeys) and is held fixed through EM, instead of being estimated by it: EM
   * left free can use an attribute recorded at random to carve the session into spurious
   * classes, and on small data it never runs at all.
   */
  exactKeyAttributes?: ExactKeyAttributeCounts;
  iterations?: number;
  version?: string;
}

/**
 * Expectation–maximisation as in Splink's training sessions. The session is the pairs blocked on
 * birth date (the same date, or day and month swapped); within it, m and u for family, given and
 * sex, and m's split between an exact and a transposed date, are estimated. m for the date levels
 * the session cannot see (same year, different) is fixed from DEFAULT_MODEL, as Splink fixes the
 * comparisons of a blocking rule. u comes from all pairs (countPairLevels), less the pairs EM
 * expects to be true matches, which matters when the data is small.
 */
export function estimateFromCounts({ sessionCounts, pairCounts, exactKeyAttributes, iterations = 200, version }: EstimateInput): LinkageModel {
  const defaults = DEFAULT_MODEL.comparisons;
  const initialM = (comparison: ComparisonName, n: number) => Array.from({ length: n }, (_, l) => defaults[comparison]![COMPARISONS[comparison][l]!]!.m);
  let m = { family: initialM('family', 3), given: initialM('given', 3), birthDate: [0.98, 0.02], sex: initialM('sex', 2) };
  // Rough starting points are enough: EM only needs the match class to start as the one that
  // agrees more.
  let u = { family: [0.01, 0.03, 0.96], given: [0.03, 0.07, 0.9], birthDate: [0.7, 0.3], sex: [0.85, 0.15] };
  let lambda = 0.05;
  // Attributes: m starts at the defaults, u at a guess; u is replaced by the exact one below.
  const attributeCount = ATTRIBUTE_NAMES.length;
  // A comparison without defaults (serviceArea) starts from a guess: most of one person's records agree.
  const mAttributes = ATTRIBUTE_NAMES.map((name) => [defaults[name]?.exact?.m ?? 0.7, defaults[name]?.different?.m ?? 0.3]);
  // m fixed from the exact-key pairs, u from all pairs (as below), where both are known; with
  // fewer exact-key pairs than the shrinkage's own weight, EM estimates m as it did before.
  const fixedAttributeM = ATTRIBUTE_NAMES.map((name, k) => {
    const present = pairCounts.present[name];
    const levels = pairCounts.levels[name];
    if (!exactKeyAttributes || !present || !levels || (exactKeyAttributes[name]?.present ?? 0) < EXACT_KEY_PRIOR_PAIRS) return null;
    return attributeMFromExactKeys(exactKeyAttributes[name], mAttributes[k]![0]!, levels.exact! / present);
  });
  fixedAttributeM.forEach((fixed, k) => {
    if (fixed) mAttributes[k] = [fixed.exact, fixed.different];
  });
  const uAttributes = ATTRIBUTE_NAMES.map(() => [0.5, 0.5]);
  const width = sessionCounts.length === SESSION_PATTERN_COUNT ? 1 : ATTRIBUTE_PATTERN_COUNT;
  const decoded: Array<[number, number, number, number]> = [];
  for (let p = 0; p < SESSION_PATTERN_COUNT; p++) {
    const sex = p % 3;
    const rest = (p - sex) / 3;
    decoded.push([Math.floor(rest / 8), Math.floor(rest / 2) % 4, rest % 2, sex]);
  }
  const attributeLevels = Array.from({ length: width }, (_, a) => (width === 1 ? unpackAttributePattern(NO_ATTRIBUTES) : unpackAttributePattern(a)));
  const seenAttributes = new Array<boolean>(attributeCount).fill(false);
  const total = sessionCounts.reduce((sum, c) => sum + c, 0);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const mSum = { family: [0, 0, 0], given: [0, 0, 0], birthDate: [0, 0], sex: [0, 0] };
    const uSum = { family: [0, 0, 0], given: [0, 0, 0], birthDate: [0, 0], sex: [0, 0] };
    const mAttributeSum = ATTRIBUTE_NAMES.map(() => [0, 0]);
    const uAttributeSum = ATTRIBUTE_NAMES.map(() => [0, 0]);
    let matches = 0;
    for (let index = 0; index < sessionCounts.length; index++) {
      const count = sessionCounts[index]!;
      if (count === 0) continue;
      const p = width === 1 ? index : Math.floor(index / width);
      const levels = attributeLevels[index - p * width]!;
      const [f, g, b, s] = decoded[p]!;
      let pm = lambda * m.birthDate[b]!;
      let pu = (1 - lambda) * u.birthDate[b]!;
      if (f < 3) {
        pm *= m.family[f]!;
        pu *= u.family[f]!;
      }
      if (g < 3) {
        pm *= m.given[g]!;
        pu *= u.given[g]!;
      }
      if (s < 2) {
        pm *= m.sex[s]!;
        pu *= u.sex[s]!;
      }
      for (let k = 0; k < attributeCount; k++) {
        const level = levels[k]!;
        if (level === MISSING_ATTRIBUTE) continue;
        pm *= mAttributes[k]![level]!;
        pu *= uAttributes[k]![level]!;
      }
      const r = pm / (pm + pu);
      matches += r * count;
      const add = (sums: typeof mSum, weight: number) => {
        sums.birthDate[b]! += weight;
        if (f < 3) sums.family[f]! += weight;
        if (g < 3) sums.given[g]! += weight;
        if (s < 2) sums.sex[s]! += weight;
      };
      add(mSum, r * count);
      add(uSum, (1 - r) * count);
      for (let k = 0; k < attributeCount; k++) {
        const level = levels[k]!;
        if (level === MISSING_ATTRIBUTE) continue;
        seenAttributes[k] = true;
        mAttributeSum[k]![level]! += r * count;
        uAttributeSum[k]![level]! += (1 - r) * count;
      }
    }
    const share = (values: number[]) => {
      const sum = values.reduce((a, b) => a + b, 0);
      return values.map((v) => Math.max(v / sum, 1e-9));
    };
    const next = {
      m: { family: share(mSum.family), given: share(mSum.given), birthDate: share(mSum.birthDate), sex: share(mSum.sex) },
      u: { family: share(uSum.family), given: share(uSum.given), birthDate: share(uSum.birthDate), sex: share(uSum.sex) },
    };
    const nextLambda = matches / total;
    const change = Math.abs(nextLambda - lambda) + Math.abs(next.m.family[0]! - m.family[0]!) + Math.abs(next.m.given[0]! - m.given[0]!);
    m = next.m;
    u = next.u;
    lambda = nextLambda;
    for (let k = 0; k < attributeCount; k++) {
      if (!seenAttributes[k]) continue;
      if (!fixedAttributeM[k]) mAttributes[k] = share(mAttributeSum[k]!);
      uAttributes[k] = share(uAttributeSum[k]!);
    }
    if (change < 1e-10) break;
  }

  // m of the date levels the session cannot see is fixed from DEFAULT_MODEL, a level no record
  // can reach (withoutUnavailableLevels) folded into the one its pairs fall into.
  const dateDefaults = withoutUnavailableLevels(DEFAULT_MODEL, {
    monthYear: 'same_month_year' in pairCounts.levels.birthDate!,
    dayMonth: 'same_day_month' in pairCounts.levels.birthDate!,
  }).comparisons.birthDate!;
  const fixed = Object.fromEntries(
    Object.entries(dateDefaults)
      .filter(([level]) => level !== 'exact' && level !== 'transposed')
      .map(([level, parameters]) => [level, parameters.m]),
  );
  const seen = 1 - Object.values(fixed).reduce((sum, m) => sum + m, 0);
  const mLevels: Record<ComparisonName, Record<string, number>> = {
    family: normalise({ exact: m.family[0]!, one_letter: m.family[1]!, different: m.family[2]! }, MIN_M),
    given: normalise({ exact: m.given[0]!, one_letter: m.given[1]!, different: m.given[2]! }, MIN_M),
    birthDate: {
      exact: seen * m.birthDate[0]!,
      transposed: seen * m.birthDate[1]!,
      ...fixed,
    },
    sex: normalise({ exact: m.sex[0]!, different: m.sex[1]! }, MIN_M),
  };
  // Every true match is in the session unless its date is neither exact nor transposed.
  const matchedPairs = (lambda * total) / seen;
  const allPairs = (pairCounts.records * (pairCounts.records - 1)) / 2;
  const comparisons: LinkageModel['comparisons'] = {};
  for (const comparison of Object.keys(COMPARISONS) as ComparisonName[]) {
    const present = pairCounts.present[comparison]!;
    // Matches with both values present, assuming values go missing independently of matching.
    const matchedPresent = matchedPairs * (present / allPairs);
    const uLevels: Record<string, number> = {};
    for (const [level, count] of Object.entries(pairCounts.levels[comparison]!)) {
      uLevels[level] = Math.max((count - matchedPresent * mLevels[comparison][level]!) / Math.max(present - matchedPresent, 1), MIN_U);
    }
    const uNormalised = normalise(uLevels, MIN_U);
    comparisons[comparison] = Object.fromEntries(Object.keys(uLevels).map((level) => [level, { m: mLevels[comparison][level]!, u: uNormalised[level]! }]));
  }
  // Attributes no record carries get no comparison (a missing comparison weighs 0), so data
  // without attributes gives the model it gave before they existed.
  ATTRIBUTE_NAMES.forEach((name, k) => {
    const present = pairCounts.present[name];
    const levels = pairCounts.levels[name];
    if (!present || !levels) return;
    const fallback = defaults[name];
    const fixed = fixedAttributeM[k];
    if (!seenAttributes[k] && !fallback && !fixed) return;
    const mLevel = fixed
      ? { exact: fixed.exact, different: fixed.different }
      : seenAttributes[k]
        ? normalise({ exact: mAttributes[k]![0]!, different: mAttributes[k]![1]! }, MIN_M)
        : { exact: fallback!.exact!.m, different: fallback!.different!.m };
    const matchedPresent = matchedPairs * (present / allPairs);
    const uLevels: Record<string, number> = {};
    for (const [level, count] of Object.entries(levels)) {
      uLevels[level] = Math.max((count - matchedPresent * mLevel[level]!) / Math.max(present - matchedPresent, 1), MIN_U);
    }
    const uNormalised = normalise(uLevels, MIN_U);
    comparisons[name] = { exact: { m: mLevel.exact!, u: uNormalised.exact! }, different: { m: mLevel.different!, u: uNormalised.different! } };
  });
  return {
    version: version ?? `em-${new Date().toISOString().slice(0, 10)}-${pairCounts.records}`,
    priorMatchProbability: Math.min(Math.max(matchedPairs / allPairs, 1e-12), 0.5),
    comparisons,
  };
}
