/** Term frequencies: how common each token is, so a shared rare name counts for more than a shared common one. */
import { ATTRIBUTE_NAMES, type AttributeName } from './comparison-levels.js';
import type { LinkageRecord } from './linkage-record.js';
import type { TokenTable } from './token-table.js';

/** How many records hold each token, of how many with the value present. */
export interface TokenCounts {
  counts: ReadonlyMap<string, number>;
  total: number;
}

/**
 * Per comparison, token counts; a plain map of token → share of records is also accepted, but
 * then the share cannot leave the pair's own record out (see buildAdjustments).
 */
export interface TermFrequencies {
  family: TokenCounts | ReadonlyMap<string, number>;
  given: TokenCounts | ReadonlyMap<string, number>;
  birthDate: TokenCounts | ReadonlyMap<string, number>;
  /**
   * Per attribute, value counts: an agreement on a rare value (Arab, Sikh) counts for more than on
   * a common one. Without them, attribute agreements weigh their level's average.
   */
  attributes?: Partial<Record<AttributeName, TokenCounts | ReadonlyMap<string, number>>>;
}

function countTokens(values: readonly (string | null)[]): TokenCounts {
  const counts = new Map<string, number>();
  let total = 0;
  for (const value of values) {
    if (value === null) continue;
    counts.set(value, (counts.get(value) ?? 0) + 1);
    total++;
  }
  return { counts, total };
}

export function computeTermFrequencies(records: readonly LinkageRecord[]): TermFrequencies {
  return {
    family: countTokens(records.map((r) => r.tokens.family)),
    given: countTokens(records.map((r) => r.tokens.given)),
    birthDate: countTokens(records.map((r) => r.tokens.birthDate)),
    attributes: Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, countTokens(records.map((r) => attributeOf(r, name)))])),
  };
}

/**
 * The same counts from a token table's ids, for a full relink, which keeps the table and not the
 * records. Dates are counted from the birth-date column only: the date numbering also holds
 * swapped dates no record was born on.
 */
export function tableTermFrequencies(table: TokenTable): TermFrequencies {
  const countIds = (column: Int32Array, numbering: ReadonlyMap<string, number>): TokenCounts => {
    const perId = new Int32Array(numbering.size);
    let total = 0;
    for (const id of column) {
      if (id < 0) continue;
      perId[id]!++;
      total++;
    }
    const counts = new Map<string, number>();
    for (const [token, id] of numbering) if (perId[id]! > 0) counts.set(token, perId[id]!);
    return { counts, total };
  };
  return {
    family: countIds(table.family, table.numbering.family),
    given: countIds(table.given, table.numbering.given),
    birthDate: countIds(table.birthDate, table.numbering.date),
    attributes: Object.fromEntries(ATTRIBUTE_NAMES.map((name, k) => [name, countIds(table.attributes[k]!, table.numbering.attributes[k]!)])),
  };
}

function attributeOf(record: LinkageRecord, name: AttributeName): string | null {
  const value = record.attributes?.[name];
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * Per token id, log2(u / share): added to an exact agreement's weight, so the level's average u
 * is replaced by the chance that two different people both hold this particular value (Splink's
 * term-frequency adjustment). The share leaves one holder out: the pair's own two records hold
 * the value by definition, and counting both would make a name two people share look twice as
 * common as it is among everyone else (at 10,000 records that undervalues rare names by a bit).
 * Tokens the counts do not know get no adjustment.
 */
export function buildAdjustments(
  numbering: ReadonlyMap<string, number>,
  frequencies: TokenCounts | ReadonlyMap<string, number>,
  u: number | undefined,
): Float64Array {
  const adjustments = new Float64Array(numbering.size);
  if (u === undefined) return adjustments;
  if (frequencies instanceof Map) {
    for (const [token, id] of numbering) {
      const share = frequencies.get(token);
      if (share !== undefined && share > 0) adjustments[id] = Math.log2(u / share);
    }
    return adjustments;
  }
  const { counts, total } = frequencies as TokenCounts;
  if (total < 2) return adjustments;
  for (const [token, id] of numbering) {
    const count = counts.get(token);
    if (count !== undefined) adjustments[id] = Math.log2(u / (Math.max(count - 1, 1) / (total - 1)));
  }
  return adjustments;
}
