/** Records' linkage tokens interned to small integers in typed arrays, the form the matcher and EM work on. */
import { ATTRIBUTE_NAMES, attributeValue, type LinkageAttributes } from './comparison-levels.js';
import { LargeMap } from '../../lib/large-map.js';
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

interface TokenIds {
  get(token: string): number | undefined;
  set(token: string, id: number): unknown;
  readonly size: number;
}

class Interner<Ids extends TokenIds> {
  constructor(readonly ids: Ids) {}

  idOf(token: string | null | undefined): number {
    if (token === null || token === undefined) return -1;
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(ownCopy(token), id);
    }
    return id;
  }
}

/** An interner for a column of few distinct values (all but the whole key). */
const interner = () => new Interner(new Map<string, number>());

/**
 * The token in a string of its own. A token cut from a longer string (a full relink splits one
 * text per row) is a slice that keeps the whole row alive: kept as a map key for every distinct
 * whole key, that held ten million rows' text (heap 3.4 GiB and rising, against 2.3 GiB).
 */
function ownCopy(token: string): string {
  return Buffer.from(token, 'utf8').toString('utf8');
}

export function buildTokenTable(tokens: readonly LinkageTokens[], attributes?: readonly (LinkageAttributes | null | undefined)[]): TokenTable {
  const builder = new TokenTableBuilder(tokens.length);
  for (let i = 0; i < tokens.length; i++) builder.add(tokens[i]!, attributes ? (attributes[i] ?? null) : undefined);
  return builder.finish();
}

const COLUMNS = ['key', 'family', 'given', 'birthDate', 'birthDateSwapped', 'birthYear', 'birthMonthYear', 'birthDayMonth', 'sex'] as const;

/**
 * A token table filled a record at a time, so a full relink can read its records in batches and
 * keep only their integer ids: the rows and their token strings are dropped as they are read, and
 * only each distinct token is kept once. Columns grow by doubling from `capacity` (a count of the
 * records, when known, so they never need to).
 */
export class TokenTableBuilder {
  private capacity: number;
  private size = 0;
  private readonly interners = {
    // One whole key a record: more than one Map can hold at national scale.
    key: new Interner(new LargeMap<string, number>()),
    family: interner(),
    familyPartial: interner(),
    given: interner(),
    givenPartial: interner(),
    date: interner(),
    year: interner(),
    monthYear: interner(),
    dayMonth: interner(),
    sex: interner(),
  };
  private readonly attributeInterners = ATTRIBUTE_NAMES.map(() => interner());
  private withAttributes = false;
  private columns: Record<(typeof COLUMNS)[number], Int32Array>;
  private familyPartial: Int32Array;
  private givenPartial: Int32Array;
  private attributes: Int32Array[];

  constructor(capacity = 1024) {
    this.capacity = Math.max(capacity, 16);
    this.columns = Object.fromEntries(COLUMNS.map((c) => [c, new Int32Array(this.capacity)])) as Record<(typeof COLUMNS)[number], Int32Array>;
    this.familyPartial = new Int32Array(this.capacity * 3);
    this.givenPartial = new Int32Array(this.capacity * 2);
    this.attributes = ATTRIBUTE_NAMES.map(() => new Int32Array(this.capacity).fill(-1));
  }

  /** Adds a record (its row in the table is the number of records added before it); `attributes` undefined: the table has none. */
  add(tokens: LinkageTokens, attributes?: LinkageAttributes | null): void {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    const { interners, columns } = this;
    columns.key[i] = interners.key.idOf(tokens.key);
    columns.family[i] = interners.family.idOf(tokens.family);
    for (let k = 0; k < 3; k++) this.familyPartial[i * 3 + k] = interners.familyPartial.idOf(tokens.familyPartial[k]);
    columns.given[i] = interners.given.idOf(tokens.given);
    for (let k = 0; k < 2; k++) this.givenPartial[i * 2 + k] = interners.givenPartial.idOf(tokens.givenPartial[k]);
    columns.birthDate[i] = interners.date.idOf(tokens.birthDate);
    columns.birthDateSwapped[i] = interners.date.idOf(tokens.birthDateSwapped);
    columns.birthYear[i] = interners.year.idOf(tokens.birthYear);
    columns.birthMonthYear[i] = interners.monthYear.idOf(tokens.birthMonthYear);
    columns.birthDayMonth[i] = interners.dayMonth.idOf(tokens.birthDayMonth);
    columns.sex[i] = interners.sex.idOf(tokens.sex);
    if (attributes === undefined) return;
    this.withAttributes = true;
    for (let k = 0; k < ATTRIBUTE_NAMES.length; k++) this.attributes[k]![i] = this.attributeInterners[k]!.idOf(attributeValue(attributes, ATTRIBUTE_NAMES[k]!));
  }

  private grow(): void {
    const next = this.capacity * 2;
    const widen = (old: Int32Array, per: number, fill = 0) => {
      const wider = new Int32Array(next * per);
      if (fill !== 0) wider.fill(fill);
      wider.set(old);
      return wider;
    };
    for (const c of COLUMNS) this.columns[c] = widen(this.columns[c], 1);
    this.familyPartial = widen(this.familyPartial, 3);
    this.givenPartial = widen(this.givenPartial, 2);
    this.attributes = this.attributes.map((column) => widen(column, 1, -1));
    this.capacity = next;
  }

  /** The table of the records added (views of the builder's columns: add nothing after). */
  finish(): TokenTable {
    const { size, interners, columns } = this;
    const trim = (column: Int32Array, per = 1) => column.subarray(0, size * per);
    const distinctAttributes = this.attributeInterners.map((interner) => interner.ids.size);
    return {
      size,
      key: trim(columns.key),
      family: trim(columns.family),
      familyPartial: trim(this.familyPartial, 3),
      given: trim(columns.given),
      givenPartial: trim(this.givenPartial, 2),
      birthDate: trim(columns.birthDate),
      birthDateSwapped: trim(columns.birthDateSwapped),
      birthYear: trim(columns.birthYear),
      birthMonthYear: trim(columns.birthMonthYear),
      birthDayMonth: trim(columns.birthDayMonth),
      sex: trim(columns.sex),
      attributes: this.attributes.map((column) => trim(column)),
      hasAttributes: this.withAttributes && distinctAttributes.some((n) => n > 0),
      distinct: {
        key: interners.key.ids.size,
        family: interners.family.ids.size,
        familyPartial: interners.familyPartial.ids.size,
        given: interners.given.ids.size,
        givenPartial: interners.givenPartial.ids.size,
        date: interners.date.ids.size,
        year: interners.year.ids.size,
        monthYear: interners.monthYear.ids.size,
        dayMonth: interners.dayMonth.ids.size,
        sex: interners.sex.ids.size,
        attributes: this.withAttributes ? distinctAttributes : ATTRIBUTE_NAMES.map(() => 0),
      },
      numbering: {
        family: interners.family.ids,
        given: interners.given.ids,
        date: interners.date.ids,
        attributes: this.withAttributes ? this.attributeInterners.map((interner) => interner.ids) : ATTRIBUTE_NAMES.map(() => new Map<string, number>()),
      },
    };
  }
}

/** Whether any record has the month-and-year and the day-and-month tokens. */
export function datePartsAvailable(table: TokenTable): { monthYear: boolean; dayMonth: boolean } {
  return { monthYear: table.distinct.monthYear > 0, dayMonth: table.distinct.dayMonth > 0 };
}

/** A key with neither name (SLK-581's 999 and 99): only the birth date and sex, shared by every nameless record born that day. */
export function isNamelessKey(table: TokenTable, i: number): boolean {
  return table.family[i]! < 0 && table.given[i]! < 0;
}
