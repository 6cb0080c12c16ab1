/**
 * Linkage keys become keyed hashes (HMAC-SHA-256 under VAWG_LINKAGE_SECRET) before anything is
 * written. A plain hash of an SLK-581 could be reversed by enumerating names and birth dates; a
 * keyed hash cannot without the secret.
 *
 * Besides the whole key, each component is tokenised separately (with a purpose prefix, so equal
 * text in different components never gives equal tokens), so that records can agree partially:
 * family-name letters, given-name letters, each with one letter masked (a one-letter difference
 * still shares a token), date of birth, the date with day and month swapped, year of birth, month
 * and year of birth (a day wrong), day and month of birth (a year wrong), sex.
 */
import { createHmac } from 'node:crypto';
import { parseSlk581 } from '../../lib/slk581.js';

export type Tokenize = (linkageKey: string) => string;

export function createTokenizer(secret: string, purpose = 'slk581'): Tokenize {
  return (linkageKey) => createHmac('sha256', secret).update(`${purpose}:${linkageKey.toUpperCase()}`).digest('base64url');
}

export interface LinkageTokens {
  /** The whole key (the same token as `victim_linkage_slk581_token`). */
  key: string;
  /** Family-name letters 2, 3, 5; null when the family name was missing (999). */
  family: string | null;
  /** The family letters with each position masked in turn (3 tokens); empty when missing. */
  familyPartial: string[];
  /** Given-name letters 2, 3; null when the given name was missing (99). */
  given: string | null;
  /** The given letters with each position masked in turn (2 tokens); empty when missing. */
  givenPartial: string[];
  birthDate: string;
  /** Day and month swapped, where that is a different valid date; else null. */
  birthDateSwapped: string | null;
  birthYear: string;
  /**
   * Month and year of birth (MMYYYY): two dates that differ only in the day agree on it. Absent or
   * null for records tokenised before it existed; the matcher then compares their dates as before
   * (exact, transposed, same year, different).
   */
  birthMonthYear?: string | null;
  /** Day and month of birth (DDMM): two dates that differ only in the year agree on it. Absent or null as birthMonthYear. */
  birthDayMonth?: string | null;
  /** Null when sex was not stated (9). */
  sex: string | null;
}

function masks(letters: string): string[] {
  return [...letters].map((_, i) => `${letters.slice(0, i)}_${letters.slice(i + 1)}`);
}

/** Component tokens are 128-bit: ample against collisions, half the storage of a full HMAC. */
export function createComponentTokenizer(secret: string): (purpose: string, value: string) => string {
  return (purpose, value) => createHmac('sha256', secret).update(`${purpose}:${value}`).digest().subarray(0, 16).toString('base64url');
}

export function deriveLinkageTokens(slk581: string, secret: string): LinkageTokens | null {
  return tokensOf(slk581, createTokenizer(secret), createComponentTokenizer(secret));
}

/** Past this many component tokens a deriver's memo is emptied and starts again: bounded memory whatever the return. */
export const COMPONENT_MEMO_LIMIT = 50_000;

/**
 * `deriveLinkageTokens` for one return, or one chunk of it: each distinct component value (a birth
 * date, a pair of given-name letters, a sex) is hashed once, where the return's records repeat
 * them (100,000 synthetic people: 1.2 million component tokens, 23,000 distinct). The same tokens,
 * byte for byte. The memo holds the components in the clear, as their HMAC input: the deriver
 * must be dropped with the return it served, never kept for the next one. The whole key is
 * hashed per record, as each record's is its own.
 */
export function createLinkageTokenDeriver(secret: string, limit = COMPONENT_MEMO_LIMIT): (slk581: string) => LinkageTokens | null {
  const key = createTokenizer(secret);
  const component = createComponentTokenizer(secret);
  const memo = new Map<string, string>();
  const token = (purpose: string, value: string) => {
    // The HMAC's own input: equal inputs are equal tokens, whatever the purpose or value.
    const input = `${purpose}:${value}`;
    let found = memo.get(input);
    if (found === undefined) {
      if (memo.size >= limit) memo.clear();
      found = component(purpose, value);
      memo.set(input, found);
    }
    return found;
  };
  return (slk581) => tokensOf(slk581, key, token);
}

function tokensOf(slk581: string, key: Tokenize, token: (purpose: string, value: string) => string): LinkageTokens | null {
  const parts = parseSlk581(slk581);
  if (!parts) return null;
  const [year, month, day] = parts.birthDate.split('-') as [string, string, string];
  const swappedValid = day !== month && Number(day) <= 12;
  const family = parts.familyPart === '999' ? null : parts.familyPart;
  const given = parts.givenPart === '99' ? null : parts.givenPart;
  return {
    key: key(slk581),
    family: family ? token('family', family) : null,
    familyPartial: family ? masks(family).map((m) => token('family-partial', m)) : [],
    given: given ? token('given', given) : null,
    givenPartial: given ? masks(given).map((m) => token('given-partial', m)) : [],
    birthDate: token('birth-date', `${day}${month}${year}`),
    birthDateSwapped: swappedValid ? token('birth-date', `${month}${day}${year}`) : null,
    birthYear: token('birth-year', year),
    birthMonthYear: token('birth-month-year', `${month}${year}`),
    birthDayMonth: token('birth-day-month', `${day}${month}`),
    sex: parts.sexCode === '9' ? null : token('sex', parts.sexCode),
  };
}
