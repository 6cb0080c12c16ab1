/** Blocking: the candidate pairs worth comparing, each once, from records grouped by shared tokens. */
import { LargeMap } from '../../lib/large-map.js';
import { createSeededRandom } from '../../lib/seeded-random.js';
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

/** Two token columns as one dense id per record (-1 when either is missing), and the id of any pair of values. */
interface PairKey {
  values: Int32Array;
  distinct: number;
  idOf(first: number, second: number): number | undefined;
}

function buildPairKey(size: number, first: (i: number) => number, second: (i: number) => number, secondDistinct: number): PairKey {
  // About one pair a person: past one Map's 2^24 entries at national scale.
  const ids = new LargeMap<number, number>();
  const values = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const a = first(i);
    const b = second(i);
    if (a < 0 || b < 0) {
      values[i] = -1;
      continue;
    }
    const composite = a * secondDistinct + b;
    let id = ids.get(composite);
    if (id === undefined) {
      id = ids.size;
      ids.set(composite, id);
    }
    values[i] = id;
  }
  return {
    values,
    distinct: ids.size,
    idOf: (a, b) => (a < 0 || b < 0 ? undefined : ids.get(a * secondDistinct + b)),
  };
}

/** Family and given letters as one id, -1 when either is missing. */
function nameOf(table: TokenTable): (i: number) => number {
  const givens = table.distinct.given;
  return (i) => {
    const family = table.family[i]!;
    const given = table.given[i]!;
    return family < 0 || given < 0 ? -1 : family * givens + given;
  };
}

export interface Blocks {
  /** Every record by birth date alone: what model estimation samples (see forEachEstimationPair). */
  byBirthDate: Groups;
  byDateAndFamily: Groups;
  byDateAndGiven: Groups;
  byNameAndYear: Groups;
  byNameAndDayMonth: Groups;
  dateAndFamily: PairKey;
  dateAndGiven: PairKey;
}

export function buildBlocks(table: TokenTable): Blocks {
  const name = nameOf(table);
  const dateAndFamily = buildPairKey(
    table.size,
    (i) => table.birthDate[i]!,
    (i) => table.family[i]!,
    table.distinct.family,
  );
  const dateAndGiven = buildPairKey(
    table.size,
    (i) => table.birthDate[i]!,
    (i) => table.given[i]!,
    table.distinct.given,
  );
  const nameYear = buildPairKey(table.size, name, (i) => table.birthYear[i]!, table.distinct.year);
  const nameDayMonth = buildPairKey(table.size, name, (i) => table.birthDayMonth[i]!, table.distinct.dayMonth);
  return {
    byBirthDate: groupBy(table.birthDate, table.distinct.date),
    byDateAndFamily: groupBy(dateAndFamily.values, dateAndFamily.distinct),
    byDateAndGiven: groupBy(dateAndGiven.values, dateAndGiven.distinct),
    byNameAndYear: groupBy(nameYear.values, nameYear.distinct),
    byNameAndDayMonth: groupBy(nameDayMonth.values, nameDayMonth.distinct),
    dateAndFamily,
    dateAndGiven,
  };
}

function forEachPairIn(groups: Groups, visit: (i: number, j: number) => void): void {
  const { starts, members } = groups;
  const count = starts.length - 1;
  for (let g = 0; g < count; g++) {
    const end = starts[g + 1]!;
    for (let x = starts[g]!; x < end; x++) {
      const i = members[x]!;
      for (let y = x + 1; y < end; y++) visit(i, members[y]!);
    }
  }
}

/**
 * Candidate pairs (i < j), each once. Every rule joins a part of the birth date to a part of the
 * name, so a block holds about as many records however large the table grows (a birth date alone
 * is shared by 1 in 25,000 people: at ten million records, 400 of them). Rules, in order, a pair
 * being skipped by a later rule when an earlier one already produced it:
 * 1. the same birth date and family letters: catches a given-name typo or a missing given name;
 * 2. the same birth date and given letters: a changed family name or a family-name typo;
 * 3. one record's birth date is the other's with day and month swapped, and the same family or
 *    given letters;
 * 4. the same family letters, given letters and birth year: a date a day out;
 * 5. the same family letters, given letters and day and month of birth: a year out (records
 *    tokenised before the day-and-month token existed are not in this block).
 * Beyond any of them: a date wrong and a name wrong at once, both names different on the same
 * birth date (a changed family name with a given-name typo), and keys with neither name, which
 * only a birth date and sex would join.
 */
export function forEachCandidatePair(table: TokenTable, blocks: Blocks, visit: (i: number, j: number) => void): void {
  const { family, given, birthDate } = table;
  forEachPairIn(blocks.byDateAndFamily, visit);
  forEachPairIn(blocks.byDateAndGiven, (i, j) => {
    if (family[i] !== family[j] || family[i]! < 0) visit(i, j);
  });
  // The swap is symmetric (a's swapped date is b's date exactly when b's is a's), so each pair
  // is met from both sides: keep it from its smaller record.
  const swapped = table.birthDateSwapped;
  const visitSwapped = (i: number, groups: Groups, group: number | undefined, skipSameFamily: boolean) => {
    if (group === undefined) return;
    const end = groups.starts[group + 1]!;
    for (let y = groups.starts[group]!; y < end; y++) {
      const j = groups.members[y]!;
      if (j <= i) continue;
      if (skipSameFamily && family[i] === family[j] && family[i]! >= 0) continue;
      visit(i, j);
    }
  };
  for (let i = 0; i < table.size; i++) {
    const s = swapped[i]!;
    if (s < 0) continue;
    visitSwapped(i, blocks.byDateAndFamily, blocks.dateAndFamily.idOf(s, family[i]!), false);
    visitSwapped(i, blocks.byDateAndGiven, blocks.dateAndGiven.idOf(s, given[i]!), true);
  }
  // Same names and year: a date that agrees or is swapped was met above.
  forEachPairIn(blocks.byNameAndYear, (i, j) => {
    if (birthDate[i] !== birthDate[j] && swapped[i] !== birthDate[j]) visit(i, j);
  });
  // The same names, day and month: the year differs (the same year would be the same date, met
  // by rule 1), and a swapped date never keeps the day and month, so every pair here is new
  // unless rule 4 met it, which needs the same year.
  forEachPairIn(blocks.byNameAndDayMonth, (i, j) => {
    if (birthDate[i] !== birthDate[j]) visit(i, j);
  });
}

/**
 * A birth date's block, above this many records, is sampled for model estimation: its pairs grow
 * as the square of the table's size (at ten million records, about 400 records and 80,000 pairs
 * a date), and EM needs the mix of agreement patterns, not every pair.
 */
export const MAX_ESTIMATION_BLOCK = 150;

/**
 * The pairs model estimation learns from, each with the number of pairs it stands for: records
 * sharing a birth date, or one's date the other's swapped, whatever their names. Names in the
 * blocking rule would hide how often a person's records disagree on them, which is what EM
 * estimates. Blocks above MAX_ESTIMATION_BLOCK records are sampled: as many random pairs as a
 * block of that size holds, each weighing the block's pairs over the sample's.
 */
export function forEachEstimationPair(table: TokenTable, blocks: Blocks, visit: (i: number, j: number, weight: number) => void): void {
  const { starts, members } = blocks.byBirthDate;
  const groups = starts.length - 1;
  const samplePairs = (MAX_ESTIMATION_BLOCK * (MAX_ESTIMATION_BLOCK - 1)) / 2;
  for (let g = 0; g < groups; g++) {
    const start = starts[g]!;
    const end = starts[g + 1]!;
    const n = end - start;
    if (n <= MAX_ESTIMATION_BLOCK) {
      for (let x = start; x < end; x++) for (let y = x + 1; y < end; y++) visit(members[x]!, members[y]!, 1);
      continue;
    }
    const random = createSeededRandom(g);
    const weight = (n * (n - 1)) / 2 / samplePairs;
    for (let k = 0; k < samplePairs; k++) {
      const x = Math.floor(random() * n);
      let y = Math.floor(random() * (n - 1));
      if (y >= x) y++;
      const i = members[start + x]!;
      const j = members[start + y]!;
      visit(Math.min(i, j), Math.max(i, j), weight);
    }
  }
  const swapped = table.birthDateSwapped;
  const random = createSeededRandom(groups);
  for (let i = 0; i < table.size; i++) {
    const s = swapped[i]!;
    if (s < 0) continue;
    const start = starts[s]!;
    const n = starts[s + 1]! - start;
    if (n <= MAX_ESTIMATION_BLOCK) {
      for (let y = start; y < start + n; y++) {
        const j = members[y]!;
        if (j > i) visit(i, j, 1);
      }
      continue;
    }
    // Half the partners are met from their own side (the swap is symmetric), as unsampled.
    const weight = n / MAX_ESTIMATION_BLOCK;
    for (let k = 0; k < MAX_ESTIMATION_BLOCK; k++) {
      const j = members[start + Math.floor(random() * n)]!;
      if (j > i) visit(i, j, weight);
    }
  }
}
