/**
 * Probabilistic record linkage over linkage tokens (Fellegi–Sunter, as Splink does it): finds
 * which referral records belong to the same person, so people are counted once across services
 * even when their keys differ by a typo, a swapped day and month, a missing given name or a new
 * family name.
 *
 * Pure and in memory: the caller loads the records (all of them, or the neighbourhood of new ones)
 * and stores the result. With a fixed model the result depends only on the records passed, so a
 * subset that holds every record a cluster could link to gives that cluster exactly as a full run.
 */
import { clusterLinks } from './clusters.js';
import {
  buildAttributeWeights,
  buildPatternWeights,
  compareAttributes,
  describeAttributePattern,
  ATTRIBUTE_PATTERN_COUNT,
  buildTokenTable,
  comparePattern,
  countPairLevels,
  DEFAULT_MODEL,
  describePattern,
  estimateFromCounts,
  toSessionPattern,
  withoutUnavailableLevels,
  SESSION_PATTERN_COUNT,
  unpackPattern,
  DIFFERENT_DATE,
  DIFFERENT_SEX,
  EXACT,
  NO_ATTRIBUTES,
  PATTERN_COUNT,
  ATTRIBUTE_NAMES,
  type AttributeName,
  type LinkageAttributes,
  type LinkageModel,
  type TokenTable,
} from './model.js';
import type { LinkageTokens } from './tokens.js';

export {
  ATTRIBUTE_NAMES,
  DEFAULT_MODEL,
  DEFAULT_MODEL_RECORDS,
  scorePair,
  toMatchProbability,
  COMPARISONS,
  type AttributeName,
  type LinkageAttributes,
  type LinkageModel,
  type LevelParameters,
} from './model.js';

export interface LinkageRecord {
  /** Unique record id. */
  id: number;
  tokens: LinkageTokens;
  /**
   * The person's recorded attributes (code-list values) and the area of the receiving service,
   * compared exact / different / missing on top of the tokens; null or absent is not known (map
   * not_known and prefer_not_to_say to null). Records without them link exactly as before
   * attributes existed.
   */
  attributes?: LinkageAttributes;
}

/**
 * A pair links when its match weight (log2 odds that the two records are the same person, prior
 * included: see model.ts) is at least this. 0 is "more likely than not"; −1.5 (about one chance
 * in four) is the default because persons here are only ever counted, never acted on one by one,
 * and clusters must also pass average linkage at the same weight (MatchOptions.minMeanCrossWeight):
 * with both, F1 is at least as good as at −1 without average linkage at every size measured, with
 * and without the service area, and the people count too but for one case (bench/README.md).
 */
export const DEFAULT_THRESHOLD = -1.5;
export const DEFAULT_MAX_CLUSTER_SIZE = 50;
/**
 * Two records conflict (cannot be the same person) when the evidence alone, prior left out, is at
 * most this: about a thousand times likelier for two different people than for one.
 */
export const DEFAULT_CANNOT_LINK_WEIGHT = -10;
/**
 * A merge is also refused when a pair of records it would bring together disagrees more (by this
 * many bits of evidence against) than the link proposing it: two namesakes bridged by a record
 * with no given name, or a chain of one-letter differences, contradict themselves this way, while
 * a person's own records differ only by the errors the links already accepted.
 */
export const DEFAULT_CONTRADICTION_MARGIN = 2;

const EXACT_ATTRIBUTE = 0;

export interface MatchOptions {
  /** Match weight (see DEFAULT_THRESHOLD) at or above which a pair links. */
  threshold?: number;
  /** Fixed m/u/λ; when absent, estimated from these records (estimateModel). */
  model?: LinkageModel;
  /** No cluster grows beyond this many records. */
  maxClusterSize?: number;
  /** Evidence (log2 Bayes factor, prior excluded) at or below which two records may not share a cluster. */
  cannotLinkWeight?: number;
  /**
   * How common each family, given and birth-date token is, for term-frequency adjustments (a
   * shared rare name is stronger evidence than a shared common one). Computed from the records
   * passed when absent; pass the full data's when matching a subset, or the subset's own skew
   * changes the weights. `false` turns the adjustments off.
   */
  termFrequencies?: TermFrequencies | false;
  /** See DEFAULT_CONTRADICTION_MARGIN. */
  contradictionMargin?: number;
  /**
   * Average linkage: two clusters merge only when the mean match weight over every pair of
   * records they would bring together is at least this (the threshold unless told; `false` turns
   * it off). A link between two clusters says one pair looks alike; the mean says whether the
   * clusters do. It keeps out the record with a new family name that looks like a namesake as much
   * as like the person's own records: the namesake's link is refused because her other records
   * look like nobody in the cluster.
   */
  minMeanCrossWeight?: number | false;
}

export interface PairLink {
  /** The smaller record id. */
  a: number;
  b: number;
  /** Match weight, term-frequency adjustments included. */
  weight: number;
  levels: Record<string, string>;
}

export interface MatchStats {
  candidatePairs: number;
  /** Candidate pairs at or above the threshold. */
  linkedPairs: number;
  clusters: number;
  /** Links not followed because the merge they proposed was refused (conflict or size cap). */
  refusedMerges: number;
}

export interface MatchResult {
  /** Record id → person id, the smallest record id in its cluster. */
  personOf: Map<number, number>;
  /** The links that joined clusters (a spanning forest of each cluster), strongest first. */
  links: PairLink[];
  model: LinkageModel;
  stats: MatchStats;
}

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
function buildAdjustments(numbering: ReadonlyMap<string, number>, frequencies: TokenCounts | ReadonlyMap<string, number>, u: number | undefined): Float64Array {
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

// Below this many pairs in the training session, EM has too little to go on.
const MIN_SESSION_PAIRS = 2_000;

/**
 * DEFAULT_MODEL's m and u with λ for this data, as Splink estimates λ from a deterministic rule:
 * pairs with the same whole key, divided by the share of true matches that rule finds (every
 * comparison exact). λ cannot come with the defaults: it falls as the data grows, and a λ made
 * for a hundred thousand records would leave a thousand under-linked.
 */
function estimateSmallModel(table: TokenTable): LinkageModel {
  const counts = new Float64Array(table.distinct.key);
  for (const key of table.key) counts[key]!++;
  let sameKeyPairs = 0;
  for (const c of counts) sameKeyPairs += (c * (c - 1)) / 2;
  const exactRecall = (['family', 'given', 'birthDate', 'sex'] as const).reduce((product, c) => product * DEFAULT_MODEL.comparisons[c]!.exact!.m, 1);
  const allPairs = Math.max((table.size * (table.size - 1)) / 2, 1);
  const prior = Math.min(Math.max(sameKeyPairs, 1) / exactRecall / allPairs, 0.5);
  return {
    ...withoutUnavailableLevels(DEFAULT_MODEL, datePartsAvailable(table)),
    version: `${DEFAULT_MODEL.version}-n${table.size}`,
    priorMatchProbability: prior,
  };
}

/** Whether any record has the month-and-year and the day-and-month tokens. */
function datePartsAvailable(table: TokenTable): { monthYear: boolean; dayMonth: boolean } {
  return { monthYear: table.distinct.monthYear > 0, dayMonth: table.distinct.dayMonth > 0 };
}

export interface EstimateOptions {
  /** EM iterations at most (it usually converges in a few dozen). */
  iterations?: number;
  /** Stored with the model and every link made with it; defaults to em-<date>-<records>. */
  version?: string;
}

function estimateFromTable(table: TokenTable, blocks: Blocks, options: EstimateOptions = {}): LinkageModel {
  let sessionCounts: Float64Array;
  if (table.hasAttributes) {
    const counts = new Float64Array(SESSION_PATTERN_COUNT * ATTRIBUTE_PATTERN_COUNT);
    forEachCandidatePair(
      table,
      blocks,
      (i, j) => counts[toSessionPattern(comparePattern(table, i, j)) * ATTRIBUTE_PATTERN_COUNT + compareAttributes(table, i, j)]!++,
      false,
    );
    sessionCounts = counts;
  } else {
    const counts = new Float64Array(SESSION_PATTERN_COUNT);
    forEachCandidatePair(table, blocks, (i, j) => counts[toSessionPattern(comparePattern(table, i, j))]!++, false);
    sessionCounts = counts;
  }
  const total = sessionCounts.reduce((sum, c) => sum + c, 0);
  if (total < MIN_SESSION_PAIRS) return estimateSmallModel(table);
  return estimateFromCounts({ sessionCounts, pairCounts: countPairLevels(table), ...options });
}

/**
 * m, u and λ from the records themselves (see estimateFromCounts). With too few candidate pairs
 * to learn from, DEFAULT_MODEL's m and u with λ estimated for these records.
 */
export function estimateModel(records: readonly LinkageRecord[], options: EstimateOptions = {}): LinkageModel {
  const table = buildTokenTable(
    records.map((r) => r.tokens),
    records.map((r) => r.attributes),
  );
  return estimateFromTable(table, buildBlocks(table), options);
}

/** Growable columns of links, so a million records' links never become a million objects. */
class LinkBuffer {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  weight = new Float64Array(1024);
  pattern = new Uint16Array(1024);
  attributes = new Uint8Array(1024);
  length = 0;

  push(a: number, b: number, weight: number, pattern: number, attributes: number): void {
    if (this.length === this.a.length) {
      const grow = <T extends Int32Array | Float64Array | Uint16Array | Uint8Array>(old: T): T => {
        const next = new (old.constructor as new (n: number) => T)(old.length * 2);
        next.set(old);
        return next;
      };
      this.a = grow(this.a);
      this.b = grow(this.b);
      this.weight = grow(this.weight);
      this.pattern = grow(this.pattern);
      this.attributes = grow(this.attributes);
    }
    this.a[this.length] = a;
    this.b[this.length] = b;
    this.weight[this.length] = weight;
    this.pattern[this.length] = pattern;
    this.attributes[this.length] = attributes;
    this.length++;
  }
}

export function matchRecords(records: readonly LinkageRecord[], options: MatchOptions = {}): MatchResult {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const maxClusterSize = options.maxClusterSize ?? DEFAULT_MAX_CLUSTER_SIZE;
  const cannotLinkWeight = options.cannotLinkWeight ?? DEFAULT_CANNOT_LINK_WEIGHT;
  const contradictionMargin = options.contradictionMargin ?? DEFAULT_CONTRADICTION_MARGIN;
  const minMeanCrossWeight = options.minMeanCrossWeight ?? threshold;
  const table = buildTokenTable(
    records.map((r) => r.tokens),
    records.map((r) => r.attributes),
  );
  const ids = Float64Array.from(records, (r) => r.id);
  const blocks = buildBlocks(table);
  const model = options.model ?? estimateFromTable(table, blocks);
  // Records tokenised before the month-and-year and day-and-month tokens existed: their pairs
  // weigh dates as the model did before those levels (see withoutUnavailableLevels).
  const weights = buildPatternWeights(withoutUnavailableLevels(model, datePartsAvailable(table)));
  // Attribute evidence adds to the token pattern's, in the link weight and in the cross-pair
  // checks alike; with no attributes every pair is NO_ATTRIBUTES, which adds 0.
  const attributeWeights = buildAttributeWeights(model);

  const conflictingDates = new Uint8Array(PATTERN_COUNT);
  // Which comparisons of each pattern agree exactly, for the term-frequency adjustments.
  const familyExact = new Uint8Array(PATTERN_COUNT);
  const givenExact = new Uint8Array(PATTERN_COUNT);
  const dateExact = new Uint8Array(PATTERN_COUNT);
  for (let p = 0; p < PATTERN_COUNT; p++) {
    const [family, given, birthDate, sex] = unpackPattern(p);
    conflictingDates[p] = birthDate === DIFFERENT_DATE && sex === DIFFERENT_SEX ? 1 : 0;
    familyExact[p] = family === EXACT ? 1 : 0;
    givenExact[p] = given === EXACT ? 1 : 0;
    dateExact[p] = birthDate === EXACT ? 1 : 0;
  }
  const disagreementOf = (pattern: number, attributes: number) => weights.disagreement[pattern]! + attributeWeights.disagreement[attributes]!;

  const frequencies = options.termFrequencies === false ? null : (options.termFrequencies ?? computeTermFrequencies(records));
  const exactU = (comparison: string) => model.comparisons[comparison]?.exact?.u;
  const familyAdjustment = frequencies ? buildAdjustments(table.numbering.family, frequencies.family, exactU('family')) : null;
  const givenAdjustment = frequencies ? buildAdjustments(table.numbering.given, frequencies.given, exactU('given')) : null;
  const dateAdjustment = frequencies ? buildAdjustments(table.numbering.date, frequencies.birthDate, exactU('birthDate')) : null;
  const attributeAdjustments = ATTRIBUTE_NAMES.map((name, k) => {
    const counts = frequencies && table.hasAttributes ? frequencies.attributes?.[name] : undefined;
    return counts ? buildAdjustments(table.numbering.attributes[k]!, counts, exactU(name)) : null;
  });
  const adjustAttributes = attributeAdjustments.some((a) => a !== null);

  const linkWeights = weights.weight;
  const weightOf = (i: number, j: number, pattern: number, attributes: number): number => {
    let weight = linkWeights[pattern]! + attributeWeights.bayesFactor[attributes]!;
    if (familyAdjustment) {
      if (familyExact[pattern] === 1) weight += familyAdjustment[table.family[i]!]!;
      if (givenExact[pattern] === 1) weight += givenAdjustment![table.given[i]!]!;
      if (dateExact[pattern] === 1) weight += dateAdjustment![table.birthDate[i]!]!;
    }
    if (adjustAttributes && attributes !== NO_ATTRIBUTES) {
      let rest = attributes;
      for (let k = 0; k < ATTRIBUTE_NAMES.length; k++) {
        const level = rest % 3;
        rest = (rest - level) / 3;
        if (level === EXACT_ATTRIBUTE) {
          const adjustment = attributeAdjustments[k];
          if (adjustment) weight += adjustment[table.attributes[k]![i]!]!;
        }
      }
    }
    return weight;
  };

  const links = new LinkBuffer();
  let candidatePairs = 0;
  forEachCandidatePair(table, blocks, (i, j) => {
    candidatePairs++;
    const pattern = comparePattern(table, i, j);
    const attributes = compareAttributes(table, i, j);
    const weight = weightOf(i, j, pattern, attributes);
    if (weight >= threshold) links.push(i, j, weight, pattern, attributes);
  });

  // Strongest first; equal weights in record-id order, so the result does not depend on the
  // order records were passed in.
  const low = (k: number) => Math.min(ids[links.a[k]!]!, ids[links.b[k]!]!);
  const high = (k: number) => Math.max(ids[links.a[k]!]!, ids[links.b[k]!]!);
  const order = new Int32Array(links.length);
  for (let k = 0; k < links.length; k++) order[k] = k;
  order.sort((x, y) => links.weight[y]! - links.weight[x]! || low(x) - low(y) || high(x) - high(y));

  const clustering = clusterLinks({
    size: table.size,
    linkA: links.a.subarray(0, links.length),
    linkB: links.b.subarray(0, links.length),
    order,
    maxClusterSize,
    maxCrossPairs: maxClusterSize * maxClusterSize,
    conflicts: (i, j, link) => {
      const pattern = comparePattern(table, i, j);
      const attributes = compareAttributes(table, i, j);
      return (
        conflictingDates[pattern] === 1 ||
        weights.bayesFactor[pattern]! + attributeWeights.bayesFactor[attributes]! <= cannotLinkWeight ||
        disagreementOf(pattern, attributes) < disagreementOf(links.pattern[link]!, links.attributes[link]!) - contradictionMargin
      );
    },
    ...(minMeanCrossWeight === false
      ? {}
      : {
          crossWeight: (i: number, j: number) => weightOf(i, j, comparePattern(table, i, j), compareAttributes(table, i, j)),
          minMeanCrossWeight,
        }),
  });

  const smallestId = new Map<number, number>();
  for (let i = 0; i < table.size; i++) {
    const root = clustering.find(i);
    const seen = smallestId.get(root);
    if (seen === undefined || ids[i]! < seen) smallestId.set(root, ids[i]!);
  }
  const personOf = new Map<number, number>();
  for (let i = 0; i < table.size; i++) personOf.set(ids[i]!, smallestId.get(clustering.find(i))!);

  const joined: PairLink[] = [];
  for (const k of order) {
    if (!clustering.accepted[k]) continue;
    const levels = describePattern(links.pattern[k]!);
    if (table.hasAttributes) Object.assign(levels, describeAttributePattern(links.attributes[k]!));
    joined.push({ a: low(k), b: high(k), weight: links.weight[k]!, levels });
  }
  return {
    personOf,
    links: joined,
    model,
    stats: { candidatePairs, linkedPairs: links.length, clusters: smallestId.size, refusedMerges: clustering.refusedMerges },
  };
}
