/**
 * The AIHW statistical linkage key 581 (METeOR 349510, "Statistical linkage key 581 cluster"
 * 750410): letters 2, 3 and 5 of the family name, letters 2 and 3 of the given name, the date of
 * birth as DDMMYYYY and a sex code — 14 upper-case characters.
 *
 * Rules as published:
 * - Non-alphabetic characters (hyphens, apostrophes, spaces, full stops, digits…) are removed
 *   before counting letters, so "Smith-Jones" counts as SMITHJONES and "Van Der Berg" as
 *   VANDERBERG.
 * - A position beyond the end of a short name is filled with the digit 2 ("Ng" → G22).
 * - A missing family name is 999 and a missing given name is 99. A name with no letters at all
 *   ("-", "?") is treated as missing.
 *
 * Choices where the rules are silent (they assume names in the English alphabet):
 * - Diacritics are removed (NFD, then combining marks dropped), so "Zoë" counts as ZOE. A few
 *   Latin letters that do not decompose are transliterated (ß → SS, Æ → AE, Ø → O, Ł → L, …).
 *   Letters of other scripts raise an error rather than being dropped: dropping them would give
 *   999 or a shifted key, silently linking different people. Providers transliterate first.
 * - A date of birth is required. The AIHW pairs the key with a date-accuracy indicator and allows
 *   estimated dates; we have no indicator, and a key built on a guessed date links the wrong
 *   people, so a missing or invalid date is an error and no key is built.
 * - Placeholder words ("Unknown", "NFA") are not recognised as missing: they are indistinguishable
 *   from real names, so the caller passes an empty value instead.
 */

/** The shape of a valid key; the dataset's `victim.linkage.slk581` field validates with it. */
export const SLK581_PATTERN = '^(?:[A-Z2]{3}|999)(?:[A-Z2]{2}|99)(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{4}[1239]$';

const slk581Regex = new RegExp(SLK581_PATTERN);

export type Slk581SexCode = '1' | '2' | '3' | '9';

export type Slk581Field = 'familyName' | 'givenName' | 'birthDate' | 'sex';

export interface Slk581Input {
  familyName?: string | null;
  givenName?: string | null;
  /** ISO `YYYY-MM-DD`, `DD/MM/YYYY` (day first, as in UK and Australian records) or a Date (read in UTC). */
  birthDate?: string | Date | null;
  /** A dataset code (`female`, `male`, `not_known`, `prefer_not_to_say`), an SLK code, or M/F/X/U; empty is 9. */
  sex?: string | number | null;
}

export interface Slk581Parts {
  familyPart: string;
  givenPart: string;
  /** ISO `YYYY-MM-DD`. */
  birthDate: string;
  sexCode: Slk581SexCode;
}

/**
 * Why a key could not be built. The message never contains the value itself: callers print it
 * next to a row number, and names and dates of birth must not reach logs or terminals.
 */
export class Slk581Error extends Error {
  override readonly name = 'Slk581Error';

  constructor(
    readonly field: Slk581Field,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

// Latin letters with no canonical decomposition, so NFD alone would leave them outside A–Z.
const transliterations: Readonly<Record<string, string>> = {
  ß: 'SS',
  ẞ: 'SS',
  Æ: 'AE',
  Œ: 'OE',
  Ø: 'O',
  Ł: 'L',
  Đ: 'D',
  Ð: 'D',
  Þ: 'TH',
  Ħ: 'H',
  Ŧ: 'T',
  Ŋ: 'NG',
  ı: 'I',
  ĸ: 'K',
};

function extractLetters(name: string | null | undefined, field: Slk581Field): string {
  if (name === null || name === undefined) return '';
  const folded = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z]/g, (character) => transliterations[character] ?? transliterations[character.toUpperCase()] ?? character)
    .toUpperCase();
  if (/[^A-Z]/.test(folded.replace(/[^\p{L}]/gu, ''))) {
    throw new Slk581Error(field, 'contains letters outside the Latin alphabet; transliterate the name first');
  }
  return folded.replace(/[^A-Z]/g, '');
}

/** Letters at the given 1-based positions, `2` past the end; `missing` when there are no letters. */
function pickLetters(letters: string, positions: readonly number[], missing: string): string {
  if (letters.length === 0) return missing;
  return positions.map((position) => letters[position - 1] ?? '2').join('');
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

function parseBirthDate(value: string | Date | null | undefined): CalendarDate {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) {
    throw new Slk581Error('birthDate', 'missing; a date of birth is required to build an SLK-581');
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Slk581Error('birthDate', 'not a valid date');
    // UTC, because `new Date('1980-01-01')` is UTC midnight: local time west of Greenwich would read 31 December.
    const date = { year: value.getUTCFullYear(), month: value.getUTCMonth() + 1, day: value.getUTCDate() };
    if (date.year < 1000 || date.year > 9999) throw new Slk581Error('birthDate', 'not a valid date');
    return date;
  }
  const text = value.trim();
  const iso = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(text);
  const dayFirst = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(text);
  let date: CalendarDate;
  if (iso) date = { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
  else if (dayFirst) date = { year: Number(dayFirst[3]), month: Number(dayFirst[2]), day: Number(dayFirst[1]) };
  else throw new Slk581Error('birthDate', 'not a valid date; use YYYY-MM-DD or DD/MM/YYYY');
  if (date.year < 1000 || !isRealDate(date.year, date.month, date.day)) throw new Slk581Error('birthDate', 'not a valid date');
  return date;
}

const sexCodes: Readonly<Record<string, Slk581SexCode>> = {
  '1': '1',
  m: '1',
  male: '1',
  '2': '2',
  f: '2',
  female: '2',
  '3': '3',
  x: '3',
  other: '3',
  intersex: '3',
  indeterminate: '3',
  another_term: '3',
  '9': '9',
  u: '9',
  unknown: '9',
  not_known: '9',
  not_stated: '9',
  prefer_not_to_say: '9',
  inadequately_described: '9',
};

export function mapSexCode(sex: string | number | null | undefined): Slk581SexCode {
  if (sex === null || sex === undefined) return '9';
  const key = String(sex)
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (key === '') return '9';
  const code = sexCodes[key];
  if (!code) throw new Slk581Error('sex', 'not a recognised sex code; use male, female, other, not_known, prefer_not_to_say or 1, 2, 3, 9');
  return code;
}

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** Builds the 14-character key, or throws an Slk581Error naming the field that prevents it. */
export function computeSlk581(input: Slk581Input): string {
  const familyPart = pickLetters(extractLetters(input.familyName, 'familyName'), [2, 3, 5], '999');
  const givenPart = pickLetters(extractLetters(input.givenName, 'givenName'), [2, 3], '99');
  const { year, month, day } = parseBirthDate(input.birthDate);
  const sexCode = mapSexCode(input.sex);
  return `${familyPart}${givenPart}${pad2(day)}${pad2(month)}${String(year).padStart(4, '0')}${sexCode}`;
}

/**
 * Splits a key into its components (for component-wise linkage tokens), or null when it does not
 * match SLK581_PATTERN or its date is not a real one. Case and surrounding whitespace are ignored,
 * as they are when keys are tokenised.
 */
export function parseSlk581(key: string): Slk581Parts | null {
  const text = key.trim().toUpperCase();
  if (!slk581Regex.test(text)) return null;
  const day = Number(text.slice(5, 7));
  const month = Number(text.slice(7, 9));
  const year = Number(text.slice(9, 13));
  if (!isRealDate(year, month, day)) return null;
  return {
    familyPart: text.slice(0, 3),
    givenPart: text.slice(3, 5),
    birthDate: `${text.slice(9, 13)}-${text.slice(7, 9)}-${text.slice(5, 7)}`,
    sexCode: text.slice(13) as Slk581SexCode,
  };
}
