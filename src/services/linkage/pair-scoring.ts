/** The match weight of a pair in a token table: its pattern's weight, its attributes' evidence, term-frequency adjustments. */
import { ATTRIBUTE_NAMES, EXACT, NO_ATTRIBUTES, PATTERN_COUNT, unpackPattern } from './comparison-levels.js';
import { withoutUnavailableLevels, type LinkageModel } from './linkage-model.js';
import { buildAttributeWeights, buildPatternWeights, type PatternWeights } from './match-weights.js';
import { buildAdjustments, type TermFrequencies } from './term-frequencies.js';
import { datePartsAvailable, type TokenTable } from './token-table.js';

const EXACT_ATTRIBUTE = 0;

export interface PairScorer {
  /** Per token pattern: the evidence alone, with the prior, and the evidence against. */
  weights: PatternWeights;
  /** Per attribute pattern: the evidence, and the evidence against, to add to the token pattern's. */
  attributeWeights: { bayesFactor: Float64Array; disagreement: Float64Array };
  /** The evidence against of a pair at these patterns. */
  disagreementOf: (pattern: number, attributes: number) => number;
  /** The match weight of records i and j at these patterns, term-frequency adjustments included. */
  weightOf: (i: number, j: number, pattern: number, attributes: number) => number;
}

/** `frequencies` null: no term-frequency adjustments. */
export function createPairScorer(table: TokenTable, model: LinkageModel, frequencies: TermFrequencies | null): PairScorer {
  // Records tokenised before the month-and-year and day-and-month tokens existed: their pairs
  // weigh dates as the model did before those levels (see withoutUnavailableLevels).
  const weights = buildPatternWeights(withoutUnavailableLevels(model, datePartsAvailable(table)));
  // Attribute evidence adds to the token pattern's, in the link weight and in the cross-pair
  // checks alike; with no attributes every pair is NO_ATTRIBUTES, which adds 0.
  const attributeWeights = buildAttributeWeights(model);

  // Which comparisons of each pattern agree exactly, for the term-frequency adjustments.
  const familyExact = new Uint8Array(PATTERN_COUNT);
  const givenExact = new Uint8Array(PATTERN_COUNT);
  const dateExact = new Uint8Array(PATTERN_COUNT);
  for (let p = 0; p < PATTERN_COUNT; p++) {
    const [family, given, birthDate] = unpackPattern(p);
    familyExact[p] = family === EXACT ? 1 : 0;
    givenExact[p] = given === EXACT ? 1 : 0;
    dateExact[p] = birthDate === EXACT ? 1 : 0;
  }
  const disagreementOf = (pattern: number, attributes: number) => weights.disagreement[pattern]! + attributeWeights.disagreement[attributes]!;

  const exactU = (comparison: string) => model.comparisons[comparison]?.exact?.u;
  const familyAdjustment = frequencies ? buildAdjustments(table.numbering.family, frequencies.family, exactU('family')) : null;
  const givenAdjustment = frequencies ? buildAdjustments(table.numbering.given, frequencies.given, exactU('given')) : null;
  const dateAdjustment = frequencies ? buildAdjustments(table.numbering.date, frequencies.birthDate, exactU('birthDate')) : null;
  const attributeAdjustments = ATTRIBUTE_NAMES.map((name, k) => {
    const counts = frequencies && table.hasAttributes ? frequencies.attributes?.[name] : undefined;
    return counts ? buildAdjustments(table.numbering.attributes[k]!, counts, exactU(name)) : null;
  });
  const adjustAttributes = attributeAdjustments.some((a) => a !== null);

  const linkWeights = weights.weight;
  const weightOf = (i: number, j: number, pattern: number, attributes: number): number => {
    let weight = linkWeights[pattern]! + attributeWeights.bayesFactor[attributes]!;
    if (familyAdjustment) {
      if (familyExact[pattern] === 1) weight += familyAdjustment[table.family[i]!]!;
      if (givenExact[pattern] === 1) weight += givenAdjustment![table.given[i]!]!;
      if (dateExact[pattern] === 1) weight += dateAdjustment![table.birthDate[i]!]!;
    }
    if (adjustAttributes && attributes !== NO_ATTRIBUTES) {
      let rest = attributes;
      for (let k = 0; k < ATTRIBUTE_NAMES.length; k++) {
        const level = rest % 3;
        rest = (rest - level) / 3;
        if (level === EXACT_ATTRIBUTE) {
          const adjustment = attributeAdjustments[k];
          if (adjustment) weight += adjustment[table.attributes[k]![i]!]!;
        }
      }
    }
    return weight;
  };
  return { weights, attributeWeights, disagreementOf, weightOf };
}
