/** The comparisons of a pair of records, their levels, and a pair's levels packed into one small integer (a "pattern"). */
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

/** An attribute's value, null when not known (absent, null or empty). */
export function attributeValue(attributes: LinkageAttributes | null | undefined, name: AttributeName): string | null {
  const value = attributes?.[name];
  return value === undefined || value === null || value === '' ? null : value;
}

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
