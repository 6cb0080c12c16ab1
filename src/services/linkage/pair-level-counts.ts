/** How many of all pairs of records fall at each comparison level (u, exactly), from value counts in O(n). */
import { ATTRIBUTE_NAMES } from './comparison-levels.js';
import type { TokenTable } from './token-table.js';

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
