/** Records' linkage tokens interned to small integers in typed arrays, the form the matcher and EM work on. */
import { ATTRIBUTE_NAMES, attributeValue, type LinkageAttributes } from './comparison-levels.js';
import type { LinkageTokens } from './tokens.js';

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

/** Whether any record has the month-and-year and the day-and-month tokens. */
export function datePartsAvailable(table: TokenTable): { monthYear: boolean; dayMonth: boolean } {
  return { monthYear: table.distinct.monthYear > 0, dayMonth: table.distinct.dayMonth > 0 };
}

/** A key with neither name (SLK-581's 999 and 99): only the birth date and sex, shared by every nameless record born that day. */
export function isNamelessKey(table: TokenTable, i: number): boolean {
  return table.family[i]! < 0 && table.given[i]! < 0;
}
