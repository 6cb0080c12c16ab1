/**
 * The Fellegi–Sunter model behind linkage, as Splink uses it, over linkage tokens instead of
 * names: each comparison (family letters, given letters, birth date, sex, and the person attributes
 * ethnicity, religion, sexual orientation and disability when records carry them) puts a pair of
 * records at one level, and each level carries m (how often the same person's records are at that level) and
 * u (how often two different people's records are). A pair's evidence is the sum of
 * log2(m / u) over the comparisons; a missing value is no evidence either way.
 *
 * Weight convention (Splink's "match weight"): weight = log2(λ / (1 − λ)) + Σ log2(m / u), where λ
 * is the probability that two records drawn at random belong to the same person. So a weight of 0
 * is a 50% match probability, and the probability of any weight w is 2^w / (1 + 2^w). λ shrinks as
 * the data grows (more people to be confused with), which is why the prior belongs in the weight:
 * the same threshold then means the same probability at ten thousand records or a million.
 */
import type { LinkageTokens } from './tokens.js';

export interface LevelParameters {
  m: number;
  u: number;
}

export interface LinkageModel {
  version: string;
  /** λ: the probability that two records drawn at random belong to the same person. */
  priorMatchProbability: number;
  /** comparison → level → m and u. Missing values have no level here: they weigh 0. */
  comparisons: Record<string, Record<string, LevelParameters>>;
}

export const FAMILY_LEVELS = ['exact', 'one_letter', 'different', 'missing'] as const;
export const GIVEN_LEVELS = FAMILY_LEVELS;
/**
 * Birth date: the same; day and month swapped; the day wrong (month and year agree); the year
 * wrong (day and month agree); only the year agrees; different. Records tokenised before the month
 * and year and the day and month tokens existed have neither, so their pairs never reach the two
 * partial levels and fall back to the earlier ones (same year, different).
 */
export const BIRTH_DATE_LEVELS = ['exact', 'transposed', 'same_month_year', 'same_day_month', 'same_year', 'different'] as const;
export const SEX_LEVELS = ['exact', 'different', 'missing'] as const;

export const COMPARISONS = {
  family: FAMILY_LEVELS,
  given: GIVEN_LEVELS,
  birthDate: BIRTH_DATE_LEVELS,
  sex: SEX_LEVELS,
} as const;

export type ComparisonName = keyof typeof COMPARISONS;

/** Level indices; a comparison vector is packed into one small integer (a "pattern"). */
export const EXACT = 0;
export const ONE_LETTER = 1;
export const TRANSPOSED = 1;
export const DIFFERENT_NAME = 2;
export const SAME_MONTH_YEAR = 2;
export const MISSING_NAME = 3;
export const SAME_DAY_MONTH = 3;
export const SAME_YEAR = 4;
export const DIFFERENT_DATE = 5;
export const DIFFERENT_SEX = 1;
export const MISSING_SEX = 2;
export const NAME_LEVEL_COUNT = FAMILY_LEVELS.length;
export const DATE_LEVEL_COUNT = BIRTH_DATE_LEVELS.length;
export const SEX_LEVEL_COUNT = SEX_LEVELS.length;
/** 4 × 4 × 6 × 3 = 288: more than a byte holds, so stored patterns are 16-bit. */
export const PATTERN_COUNT = NAME_LEVEL_COUNT * NAME_LEVEL_COUNT * DATE_LEVEL_COUNT * SEX_LEVEL_COUNT;

export function packPattern(family: number, given: number, birthDate: number, sex: number): number {
  return ((family * NAME_LEVEL_COUNT + given) * DATE_LEVEL_COUNT + birthDate) * SEX_LEVEL_COUNT + sex;
}

export function unpackPattern(pattern: number): [family: number, given: number, birthDate: number, sex: number] {
  const sex = pattern % SEX_LEVEL_COUNT;
  const rest = (pattern - sex) / SEX_LEVEL_COUNT;
  const birthDate = rest % DATE_LEVEL_COUNT;
  const names = (rest - birthDate) / DATE_LEVEL_COUNT;
  return [Math.floor(names / NAME_LEVEL_COUNT), names % NAME_LEVEL_COUNT, birthDate, sex];
}

/**
 * Levels added after models were first stored: a stored model without them weighs them as the
 * level they used to fall into, so it links exactly as it did.
 */
const LEVEL_FALLBACKS: Partial<Record<string, Record<string, string>>> = {
  birthDate: { same_month_year: 'same_year', same_day_month: 'different' },
};

/**
 * The model for data where no record has the month-and-year (or day-and-month) token, all stored
 * before the tokens existed: each unavailable level is folded into the level its pairs fall into
 * instead (m and u added), which is the model as it was before the level existed. DEFAULT_MODEL
 * folded this way is exactly the earlier default (same year m 0.01, u 0.0247; different m 0.01,
 * u 0.975). Data where only some records have the tokens keeps every level: a pair with an older
 * record then weighs a date that differs a little more strongly against than it used to, but such
 * pairs did not link before either.
 */
export function withoutUnavailableLevels(model: LinkageModel, available: { monthYear: boolean; dayMonth: boolean }): LinkageModel {
  const levels = model.comparisons.birthDate;
  if (!levels) return model;
  const fold: Array<[string, string]> = [];
  if (!available.monthYear) fold.push(['same_month_year', 'same_year']);
  if (!available.dayMonth) fold.push(['same_day_month', 'different']);
  const folded = { ...levels };
  let changed = false;
  for (const [level, into] of fold) {
    const from = folded[level];
    const target = folded[into];
    if (!from || !target) continue;
    folded[into] = { m: target.m + from.m, u: target.u + from.u };
    delete folded[level];
    changed = true;
  }
  return changed ? { ...model, comparisons: { ...model.comparisons, birthDate: folded } } : model;
}

/**
 * Attributes compared exact / different / missing on top of the key (missing, when either record
 * has no value, weighs 0); never used for blocking. The first four are the person's, as every
 * service records them: a person's records should agree on them, bar recording errors, and two
 * namesakes usually will not. `serviceArea` is the area (ONS GSS code) of the service that
 * received the referral: most of a person's referrals are to services where she lives, so at the
 * scale of many areas it separates namesakes the key cannot (Splink compares postcodes for the
 * same reason). Its m comes from the data (EM): DEFAULT_MODEL has no level for it, and where every
 * service is in one area it never disagrees and is left out (countPairLevels).
 */
export const ATTRIBUTE_NAMES = ['ethnicity', 'religion', 'sexualOrientation', 'disability', 'serviceArea'] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];
/** Code-list values; null or absent is "not known" (callers map not_known and prefer_not_to_say to null). */
export type LinkageAttributes = Partial<Record<AttributeName, string | null>>;
export const ATTRIBUTE_LEVELS = ['exact', 'different', 'missing'] as const;
export const MISSING_ATTRIBUTE = 2;
/** Attribute levels are packed apart from the token pattern: Σ level × 3^k over ATTRIBUTE_NAMES. */
export const ATTRIBUTE_PATTERN_COUNT = 3 ** ATTRIBUTE_NAMES.length;
/** Every attribute missing: no evidence either way. */
export const NO_ATTRIBUTES = ATTRIBUTE_PATTERN_COUNT - 1;

export function unpackAttributePattern(pattern: number): number[] {
  const levels: number[] = [];
  for (let k = 0; k < ATTRIBUTE_NAMES.length; k++) {
    levels.push(pattern % 3);
    pattern = (pattern - (pattern % 3)) / 3;
  }
  return levels;
}

export function describeAttributePattern(pattern: number): Record<string, string> {
  const levels = unpackAttributePattern(pattern);
  return Object.fromEntries(ATTRIBUTE_NAMES.map((name, k) => [name, ATTRIBUTE_LEVELS[levels[k]!]!]));
}

export function describePattern(pattern: number): Record<string, string> {
  const [family, given, birthDate, sex] = unpackPattern(pattern);
  return { family: FAMILY_LEVELS[family]!, given: GIVEN_LEVELS[given]!, birthDate: BIRTH_DATE_LEVELS[birthDate]!, sex: SEX_LEVELS[sex]! };
}

/**
 * Defaults for data too small to estimate from (EM needs thousands of candidate pairs). m values
 * are those EM finds on the synthetic population with realistic recording errors; u values are
 * those of its earlier, short name lists (family letters agreeing for 0.72% of pairs, against
 * 0.46% with the long-tailed lists now generated), so name agreement is, if anything,
 * undervalued. The date levels' u are those of its birth dates (ages 16–80). λ assumes about
 * 100,000 records with 1.7 records per person.
 */
/** The data size DEFAULT_MODEL's prior assumes (about 1.7 records a person). */
export const DEFAULT_MODEL_RECORDS = 100_000;

export const DEFAULT_MODEL: LinkageModel = {
  version: 'default-2026-11-dates',
  priorMatchProbability: 1.2e-5,
  comparisons: {
    family: {
      exact: { m: 0.9, u: 0.0072 },
      one_letter: { m: 0.025, u: 0.03 },
      different: { m: 0.075, u: 0.9628 },
    },
    given: {
      exact: { m: 0.97, u: 0.022 },
      one_letter: { m: 0.017, u: 0.185 },
      different: { m: 0.013, u: 0.793 },
    },
    // m of the four levels EM's session cannot see is fixed (2% in all, as before the partial
    // levels existed): most dates that differ differ in one part only, the day or the year.
    birthDate: {
      exact: { m: 0.966, u: 6.8e-5 },
      transposed: { m: 0.014, u: 2.4e-5 },
      same_month_year: { m: 0.008, u: 0.0019 },
      same_day_month: { m: 0.008, u: 0.0027 },
      same_year: { m: 0.002, u: 0.0228 },
      different: { m: 0.002, u: 0.9723 },
    },
    sex: {
      exact: { m: 0.999, u: 0.85 },
      different: { m: 0.001, u: 0.15 },
    },
    // Attributes: what EM finds on the synthetic population (London-like shares, 15% not known,
    // 3% recorded wrongly): u is Σ p² over the recorded values, m about 0.97².
    ethnicity: {
      exact: { m: 0.94, u: 0.19 },
      different: { m: 0.06, u: 0.81 },
    },
    religion: {
      exact: { m: 0.94, u: 0.3 },
      different: { m: 0.06, u: 0.7 },
    },
    sexualOrientation: {
      exact: { m: 0.94, u: 0.83 },
      different: { m: 0.06, u: 0.17 },
    },
    disability: {
      exact: { m: 0.94, u: 0.69 },
      different: { m: 0.06, u: 0.31 },
    },
  },
};

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

function attributeValue(attributes: LinkageAttributes | null | undefined, name: AttributeName): string | null {
  const value = attributes?.[name];
  return value === undefined || value === null || value === '' ? null : value;
}

export function compareAttributesOf(a: LinkageAttributes | null | undefined, b: LinkageAttributes | null | undefined): number {
  let pattern = 0;
  for (let k = ATTRIBUTE_NAMES.length - 1; k >= 0; k--) {
    const x = attributeValue(a, ATTRIBUTE_NAMES[k]!);
    const y = attributeValue(b, ATTRIBUTE_NAMES[k]!);
    pattern = pattern * 3 + (x === null || y === null ? MISSING_ATTRIBUTE : x === y ? EXACT : 1);
  }
  return pattern;
}

function compareNames(a: string | null, b: string | null, aPartial: readonly string[], bPartial: readonly string[]): number {
  if (a === null || b === null) return MISSING_NAME;
  if (a === b) return EXACT;
  // Masks at different positions never give equal tokens, so only like positions need comparing.
  for (let i = 0; i < aPartial.length; i++) if (aPartial[i] === bPartial[i]) return ONE_LETTER;
  return DIFFERENT_NAME;
}

const present = (token: string | null | undefined): token is string => token !== null && token !== undefined;

export function comparePatternOfTokens(a: LinkageTokens, b: LinkageTokens): number {
  const family = compareNames(a.family, b.family, a.familyPartial, b.familyPartial);
  const given = compareNames(a.given, b.given, a.givenPartial, b.givenPartial);
  let birthDate = DIFFERENT_DATE;
  if (a.birthDate === b.birthDate) birthDate = EXACT;
  else if (a.birthDateSwapped !== null && a.birthDateSwapped === b.birthDate) birthDate = TRANSPOSED;
  // Tokens stored before these two existed are null: such pairs fall through to the older levels.
  else if (present(a.birthMonthYear) && a.birthMonthYear === b.birthMonthYear) birthDate = SAME_MONTH_YEAR;
  else if (present(a.birthDayMonth) && a.birthDayMonth === b.birthDayMonth) birthDate = SAME_DAY_MONTH;
  else if (a.birthYear === b.birthYear) birthDate = SAME_YEAR;
  const sex = a.sex === null || b.sex === null ? MISSING_SEX : a.sex === b.sex ? EXACT : DIFFERENT_SEX;
  return packPattern(family, given, birthDate, sex);
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

/**
 * Records' tokens as small integers in typed arrays: comparing two records is then a handful of
 * integer comparisons over tens of megabytes, where the token strings of a million records fill
 * a gigabyte. -1 stands for a missing value.
 */
export interface TokenTable {
  size: number;
  key: Int32Array;
  family: Int32Array;
  /** Three per record (one per masked letter), -1 when the family name is missing. */
  familyPartial: Int32Array;
  given: Int32Array;
  /** Two per record. */
  givenPartial: Int32Array;
  /** Birth dates and swapped birth dates share one numbering, so a swapped date can equal a date. */
  birthDate: Int32Array;
  birthDateSwapped: Int32Array;
  birthYear: Int32Array;
  /** Month and year, day and month of birth; -1 for records tokenised before they existed. */
  birthMonthYear: Int32Array;
  birthDayMonth: Int32Array;
  sex: Int32Array;
  /** Per attribute (ATTRIBUTE_NAMES order), the value's id, -1 when not known. */
  attributes: Int32Array[];
  /** Whether any record has any attribute: when none does, attribute comparisons are skipped. */
  hasAttributes: boolean;
  /** Distinct values per numbering, for sizing counts. */
  distinct: {
    key: number;
    family: number;
    familyPartial: number;
    given: number;
    givenPartial: number;
    date: number;
    year: number;
    monthYear: number;
    dayMonth: number;
    sex: number;
    attributes: number[];
  };
  /** Token → id for the columns that take term-frequency adjustments. */
  numbering: {
    family: ReadonlyMap<string, number>;
    given: ReadonlyMap<string, number>;
    date: ReadonlyMap<string, number>;
    /** Per attribute (ATTRIBUTE_NAMES order), value → id. */
    attributes: ReadonlyMap<string, number>[];
  };
}

class Interner {
  readonly ids = new Map<string, number>();

  idOf(token: string | null | undefined): number {
    if (token === null || token === undefined) return -1;
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(token, id);
    }
    return id;
  }
}

export function buildTokenTable(tokens: readonly LinkageTokens[], attributes?: readonly (LinkageAttributes | null | undefined)[]): TokenTable {
  const size = tokens.length;
  const interners = {
    key: new Interner(),
    family: new Interner(),
    familyPartial: new Interner(),
    given: new Interner(),
    givenPartial: new Interner(),
    date: new Interner(),
    year: new Interner(),
    monthYear: new Interner(),
    dayMonth: new Interner(),
    sex: new Interner(),
  };
  const table: TokenTable = {
    size,
    key: new Int32Array(size),
    family: new Int32Array(size),
    familyPartial: new Int32Array(size * 3),
    given: new Int32Array(size),
    givenPartial: new Int32Array(size * 2),
    birthDate: new Int32Array(size),
    birthDateSwapped: new Int32Array(size),
    birthYear: new Int32Array(size),
    birthMonthYear: new Int32Array(size),
    birthDayMonth: new Int32Array(size),
    sex: new Int32Array(size),
    attributes: ATTRIBUTE_NAMES.map(() => new Int32Array(size).fill(-1)),
    hasAttributes: false,
    distinct: {
      key: 0,
      family: 0,
      familyPartial: 0,
      given: 0,
      givenPartial: 0,
      date: 0,
      year: 0,
      monthYear: 0,
      dayMonth: 0,
      sex: 0,
      attributes: ATTRIBUTE_NAMES.map(() => 0),
    },
    numbering: {
      family: interners.family.ids,
      given: interners.given.ids,
      date: interners.date.ids,
      attributes: ATTRIBUTE_NAMES.map(() => new Map<string, number>()),
    },
  };
  for (let i = 0; i < size; i++) {
    const t = tokens[i]!;
    table.key[i] = interners.key.idOf(t.key);
    table.family[i] = interners.family.idOf(t.family);
    for (let k = 0; k < 3; k++) table.familyPartial[i * 3 + k] = interners.familyPartial.idOf(t.familyPartial[k]);
    table.given[i] = interners.given.idOf(t.given);
    for (let k = 0; k < 2; k++) table.givenPartial[i * 2 + k] = interners.givenPartial.idOf(t.givenPartial[k]);
    table.birthDate[i] = interners.date.idOf(t.birthDate);
    table.birthDateSwapped[i] = interners.date.idOf(t.birthDateSwapped);
    table.birthYear[i] = interners.year.idOf(t.birthYear);
    table.birthMonthYear[i] = interners.monthYear.idOf(t.birthMonthYear);
    table.birthDayMonth[i] = interners.dayMonth.idOf(t.birthDayMonth);
    table.sex[i] = interners.sex.idOf(t.sex);
  }
  for (const name of Object.keys(interners) as Array<keyof typeof interners>) table.distinct[name] = interners[name].ids.size;
  if (attributes) {
    ATTRIBUTE_NAMES.forEach((name, k) => {
      const interner = new Interner();
      const column = table.attributes[k]!;
      for (let i = 0; i < size; i++) column[i] = interner.idOf(attributeValue(attributes[i], name));
      table.distinct.attributes[k] = interner.ids.size;
      table.numbering.attributes[k] = interner.ids;
    });
    table.hasAttributes = table.distinct.attributes.some((n) => n > 0);
  }
  return table;
}

function compareNameColumns(whole: Int32Array, partial: Int32Array, width: number, i: number, j: number): number {
  const a = whole[i]!;
  const b = whole[j]!;
  if (a < 0 || b < 0) return MISSING_NAME;
  if (a === b) return EXACT;
  const pi = i * width;
  const pj = j * width;
  for (let k = 0; k < width; k++) if (partial[pi + k] === partial[pj + k]) return ONE_LETTER;
  return DIFFERENT_NAME;
}

export function comparePattern(table: TokenTable, i: number, j: number): number {
  const family = compareNameColumns(table.family, table.familyPartial, 3, i, j);
  const given = compareNameColumns(table.given, table.givenPartial, 2, i, j);
  let birthDate = DIFFERENT_DATE;
  const bi = table.birthDate[i]!;
  const bj = table.birthDate[j]!;
  if (bi === bj) birthDate = EXACT;
  else if (table.birthDateSwapped[i] === bj) birthDate = TRANSPOSED;
  // -1 (a record tokenised before these tokens existed) never counts as agreeing: such pairs fall
  // back to the older levels, same year or different.
  else if (table.birthMonthYear[i]! >= 0 && table.birthMonthYear[i] === table.birthMonthYear[j]) birthDate = SAME_MONTH_YEAR;
  else if (table.birthDayMonth[i]! >= 0 && table.birthDayMonth[i] === table.birthDayMonth[j]) birthDate = SAME_DAY_MONTH;
  else if (table.birthYear[i] === table.birthYear[j]) birthDate = SAME_YEAR;
  const si = table.sex[i]!;
  const sj = table.sex[j]!;
  const sex = si < 0 || sj < 0 ? MISSING_SEX : si === sj ? EXACT : DIFFERENT_SEX;
  return ((family * NAME_LEVEL_COUNT + given) * DATE_LEVEL_COUNT + birthDate) * SEX_LEVEL_COUNT + sex;
}

/** The attribute pattern of records i and j (NO_ATTRIBUTES when the table has none). */
export function compareAttributes(table: TokenTable, i: number, j: number): number {
  if (!table.hasAttributes) return NO_ATTRIBUTES;
  let pattern = 0;
  for (let k = ATTRIBUTE_NAMES.length - 1; k >= 0; k--) {
    const column = table.attributes[k]!;
    const a = column[i]!;
    const b = column[j]!;
    pattern = pattern * 3 + (a < 0 || b < 0 ? MISSING_ATTRIBUTE : a === b ? EXACT : 1);
  }
  return pattern;
}

/** Σ c(c − 1) over the values of a column: the number of ordered pairs of records that agree. */
function countAgreeingPairs(column: Int32Array, distinct: number, stride = 1, offset = 0): { agreeing: number; present: number } {
  const counts = new Float64Array(distinct);
  let present = 0;
  for (let i = offset; i < column.length; i += stride) {
    const v = column[i]!;
    if (v >= 0) {
      counts[v]!++;
      present++;
    }
  }
  let agreeing = 0;
  for (const c of counts) agreeing += c * (c - 1);
  return { agreeing, present };
}

/**
 * u for every level, as the exact probability over all pairs of records (what Splink's random
 * sampling approximates), from value counts in O(n). Each comparison's distribution is over the
 * pairs where both values are present, since a missing value weighs 0 whatever u would be.
 */
export interface PairCounts {
  /** comparison → level → number of unordered pairs at that level (among pairs with both values present). */
  levels: Record<string, Record<string, number>>;
  /** comparison → unordered pairs with both values present. */
  present: Record<string, number>;
  records: number;
}

export function countPairLevels(table: TokenTable): PairCounts {
  const pairsOf = (n: number) => (n * (n - 1)) / 2;
  const family = countAgreeingPairs(table.family, table.distinct.family);
  let familyMaskAgree = 0;
  for (let k = 0; k < 3; k++) familyMaskAgree += countAgreeingPairs(table.familyPartial, table.distinct.familyPartial, 3, k).agreeing;
  const given = countAgreeingPairs(table.given, table.distinct.given);
  let givenMaskAgree = 0;
  for (let k = 0; k < 2; k++) givenMaskAgree += countAgreeingPairs(table.givenPartial, table.distinct.givenPartial, 2, k).agreeing;
  const dates = countAgreeingPairs(table.birthDate, table.distinct.date);
  const years = countAgreeingPairs(table.birthYear, table.distinct.year);
  const sex = countAgreeingPairs(table.sex, table.distinct.sex);
  // A swapped date equal to another record's date: Σ over dates of (records born on it) ×
  // (records whose swapped date it is); each unordered pair is seen once from each side.
  const byDate = new Float64Array(table.distinct.date);
  const bySwapped = new Float64Array(table.distinct.date);
  for (let i = 0; i < table.size; i++) {
    byDate[table.birthDate[i]!]!++;
    const s = table.birthDateSwapped[i]!;
    if (s >= 0) bySwapped[s]!++;
  }
  let transposedOrdered = 0;
  for (let d = 0; d < byDate.length; d++) transposedOrdered += byDate[d]! * bySwapped[d]!;
  // Month and year (day and month) agreeing, less the pairs with the same date, counted only among
  // records that have the token: pairs with a record without it fall to the older levels.
  const monthYear = countAgreeingPairs(table.birthMonthYear, table.distinct.monthYear);
  const dayMonth = countAgreeingPairs(table.birthDayMonth, table.distinct.dayMonth);
  const datesWhere = (column: Int32Array) => {
    const masked = Int32Array.from(table.birthDate, (d, i) => (column[i]! >= 0 ? d : -1));
    return countAgreeingPairs(masked, table.distinct.date).agreeing / 2;
  };
  const sameMonthYear = monthYear.agreeing / 2 - (monthYear.present === table.size ? dates.agreeing / 2 : datesWhere(table.birthMonthYear));
  const sameDayMonth = dayMonth.agreeing / 2 - (dayMonth.present === table.size ? dates.agreeing / 2 : datesWhere(table.birthDayMonth));

  // Two masks (or three) agreeing means every letter agrees, so a pair that agrees on a mask
  // without agreeing exactly agrees on exactly one mask.
  const familyExact = family.agreeing / 2;
  const givenExact = given.agreeing / 2;
  const dateExact = dates.agreeing / 2;
  const transposed = transposedOrdered / 2;
  const all = pairsOf(table.size);
  const counts: PairCounts = {
    records: table.size,
    present: { family: pairsOf(family.present), given: pairsOf(given.present), birthDate: all, sex: pairsOf(sex.present) },
    levels: {
      family: {
        exact: familyExact,
        one_letter: familyMaskAgree / 2 - 3 * familyExact,
        different: pairsOf(family.present) - familyMaskAgree / 2 + 2 * familyExact,
      },
      given: {
        exact: givenExact,
        one_letter: givenMaskAgree / 2 - 2 * givenExact,
        different: pairsOf(given.present) - givenMaskAgree / 2 + givenExact,
      },
      birthDate: {
        exact: dateExact,
        transposed,
        // A level no record can reach (tokens stored before it existed) is left out altogether.
        ...(monthYear.present > 0 ? { same_month_year: sameMonthYear } : {}),
        ...(dayMonth.present > 0 ? { same_day_month: sameDayMonth } : {}),
        same_year: years.agreeing / 2 - dateExact - transposed - sameMonthYear,
        different: all - years.agreeing / 2 - sameDayMonth,
      },
      sex: { exact: sex.agreeing / 2, different: pairsOf(sex.present) - sex.agreeing / 2 },
    },
  };
  // Attributes only where some pair has both values and some pair differs (one value for every
  // record, such as one area, says nothing): u = Σ p_v² over the recorded values.
  ATTRIBUTE_NAMES.forEach((name, k) => {
    const attribute = countAgreeingPairs(table.attributes[k]!, table.distinct.attributes[k]!);
    const present = pairsOf(attribute.present);
    if (present === 0 || table.distinct.attributes[k]! < 2) return;
    counts.present[name] = present;
    counts.levels[name] = { exact: attribute.agreeing / 2, different: present - attribute.agreeing / 2 };
  });
  return counts;
}

// No level is allowed to be certain: recording errors the training data happens not to show
// (a sex recorded wrongly) must not veto a link outright, nor a coincidence force one.
const MIN_M = 1e-3;
const MIN_U = 1e-9;

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
export function estimateFromCounts({ sessionCounts, pairCounts, iterations = 200, version }: EstimateInput): LinkageModel {
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
      mAttributes[k] = share(mAttributeSum[k]!);
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
    if (!seenAttributes[k] && !fallback) return;
    const mLevel = seenAttributes[k]
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
