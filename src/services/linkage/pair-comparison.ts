/** A pair of records put at one level of each comparison (a pattern): from their tokens, or from two rows of a token table. */
import {
  ATTRIBUTE_NAMES,
  DATE_LEVEL_COUNT,
  DIFFERENT_DATE,
  DIFFERENT_NAME,
  DIFFERENT_SEX,
  EXACT,
  MISSING_ATTRIBUTE,
  MISSING_NAME,
  MISSING_SEX,
  NAME_LEVEL_COUNT,
  NO_ATTRIBUTES,
  ONE_LETTER,
  SAME_DAY_MONTH,
  SAME_MONTH_YEAR,
  SAME_YEAR,
  SEX_LEVEL_COUNT,
  TRANSPOSED,
  attributeValue,
  packPattern,
  type LinkageAttributes,
} from './comparison-levels.js';
import type { TokenTable } from './token-table.js';
import type { LinkageTokens } from './tokens.js';

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
