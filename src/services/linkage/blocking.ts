/** Blocking: the candidate pairs worth comparing, each once, from records grouped by shared tokens. */
import type { TokenTable } from './token-table.js';

/**
 * Records grouped by a dense integer value (counting sort): members of value v are
 * members[starts[v]..starts[v + 1]), in ascending record order.
 */
interface Groups {
  starts: Int32Array;
  members: Int32Array;
}

function groupBy(values: Int32Array, distinct: number): Groups {
  const starts = new Int32Array(distinct + 1);
  for (const v of values) if (v >= 0) starts[v + 1]!++;
  for (let v = 0; v < distinct; v++) starts[v + 1]! += starts[v]!;
  const next = starts.slice(0, distinct);
  const members = new Int32Array(starts[distinct]!);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >= 0) members[next[v]!++] = i;
  }
  return { starts, members };
}

/**
 * Family letters, given letters and a part of the birth date (the year, or the day and month) as
 * one dense id (-1 when a name or the date part is missing).
 */
function buildNameDateKey(table: TokenTable, part: Int32Array, partDistinct: number): { values: Int32Array; distinct: number } {
  const ids = new Map<number, number>();
  const values = new Int32Array(table.size);
  const givens = table.distinct.given;
  for (let i = 0; i < table.size; i++) {
    const family = table.family[i]!;
    const given = table.given[i]!;
    if (family < 0 || given < 0 || part[i]! < 0) {
      values[i] = -1;
      continue;
    }
    const composite = (family * givens + given) * partDistinct + part[i]!;
    let id = ids.get(composite);
    if (id === undefined) {
      id = ids.size;
      ids.set(composite, id);
    }
    values[i] = id;
  }
  return { values, distinct: ids.size };
}

export interface Blocks {
  byBirthDate: Groups;
  byNameAndYear: Groups;
  byNameAndDayMonth: Groups;
}

export function buildBlocks(table: TokenTable): Blocks {
  const nameYear = buildNameDateKey(table, table.birthYear, table.distinct.year);
  const nameDayMonth = buildNameDateKey(table, table.birthDayMonth, table.distinct.dayMonth);
  return {
    byBirthDate: groupBy(table.birthDate, table.distinct.date),
    byNameAndYear: groupBy(nameYear.values, nameYear.distinct),
    byNameAndDayMonth: groupBy(nameDayMonth.values, nameDayMonth.distinct),
  };
}

/**
 * Candidate pairs (i < j), each once. Blocking rules, in order, a pair being skipped by a later
 * rule when an earlier one already produced it:
 * 1. the same birth date: catches name typos, a missing given name, a changed family name and a
 *    missing sex, which all keep the date;
 * 2. one record's birth date is the other's with day and month swapped;
 * 3. the same family letters, given letters and birth year: a date a day out;
 * 4. the same family letters, given letters and day and month of birth: a year out (records
 *    tokenised before the day-and-month token existed are not in this block).
 * A date wrong and a name wrong at the same time is beyond any blocking on these tokens.
 */
export function forEachCandidatePair(table: TokenTable, blocks: Blocks, visit: (i: number, j: number) => void, nameRule = true): void {
  const { starts, members } = blocks.byBirthDate;
  const groups = starts.length - 1;
  for (let g = 0; g < groups; g++) {
    const end = starts[g + 1]!;
    for (let x = starts[g]!; x < end; x++) {
      const i = members[x]!;
      for (let y = x + 1; y < end; y++) visit(i, members[y]!);
    }
  }
  const swapped = table.birthDateSwapped;
  for (let i = 0; i < table.size; i++) {
    const s = swapped[i]!;
    if (s < 0) continue;
    // The swap is symmetric (a's swapped date is b's date exactly when b's is a's), so each pair
    // is met from both sides: keep it from its smaller record.
    const end = starts[s + 1]!;
    for (let y = starts[s]!; y < end; y++) {
      const j = members[y]!;
      if (j > i) visit(i, j);
    }
  }
  if (!nameRule) return;
  const birthDate = table.birthDate;
  const named = blocks.byNameAndYear;
  const namedGroups = named.starts.length - 1;
  for (let g = 0; g < namedGroups; g++) {
    const end = named.starts[g + 1]!;
    for (let x = named.starts[g]!; x < end; x++) {
      const i = named.members[x]!;
      for (let y = x + 1; y < end; y++) {
        const j = named.members[y]!;
        if (birthDate[i] === birthDate[j] || swapped[i] === birthDate[j]) continue;
        visit(i, j);
      }
    }
  }
  // The same names, day and month: the year differs (the same year would be the same date, met
  // by rule 1), and a swapped date never keeps the day and month, so every pair here is new
  // unless rule 3 met it, which needs the same year.
  const dayMonth = blocks.byNameAndDayMonth;
  const dayMonthGroups = dayMonth.starts.length - 1;
  for (let g = 0; g < dayMonthGroups; g++) {
    const end = dayMonth.starts[g + 1]!;
    for (let x = dayMonth.starts[g]!; x < end; x++) {
      const i = dayMonth.members[x]!;
      for (let y = x + 1; y < end; y++) {
        const j = dayMonth.members[y]!;
        if (birthDate[i] === birthDate[j]) continue;
        visit(i, j);
      }
    }
  }
}
