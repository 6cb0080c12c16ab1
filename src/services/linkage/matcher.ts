/**
 * The matcher: candidate pairs blocked, scored, linked at the threshold and clustered into persons.
 *
 * Probabilistic record linkage over linkage tokens (Fellegi–Sunter, as Splink does it): finds
 * which referral records belong to the same person, so people are counted once across services
 * even when their keys differ by a typo, a swapped day and month, a missing given name or a new
 * family name.
 *
 * Pure and in memory: the caller loads the records (all of them, or the neighbourhood of new ones)
 * and stores the result. With a fixed model the result depends only on the records passed, so a
 * subset that holds every record a cluster could link to gives that cluster exactly as a full run.
 *
 * The exact-key floor: records with the same whole key end in one person, so the people counted
 * are never more than the distinct keys (what exact-key matching counts); probabilistic links can
 * only merge more (typos, swapped dates). See MatchOptions.exactKeyFloor for why the chaining
 * guards do not apply to such a group.
 */
import { buildBlocks, forEachCandidatePair, type Blocks } from './blocking.js';
import { clusterLinks, DEFAULT_MAX_CLUSTER_SIZE } from './clusters.js';
import { DIFFERENT_DATE, DIFFERENT_SEX, PATTERN_COUNT, describeAttributePattern, describePattern, unpackPattern } from './comparison-levels.js';
import type { LinkageModel } from './linkage-model.js';
import type { LinkageRecord } from './linkage-record.js';
import { DEFAULT_THRESHOLD } from './match-threshold.js';
import { estimateFromTable } from './model-estimation.js';
import { compareAttributes, comparePattern } from './pair-comparison.js';
import { createPairScorer } from './pair-scoring.js';
import { tableTermFrequencies, type TermFrequencies } from './term-frequencies.js';
import { buildTokenTable, isNamelessKey, type TokenTable } from './token-table.js';

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
  /**
   * Records sharing the whole key (SLK-581 token) end in one person, whatever their other
   * evidence (true unless told; `false` only to measure what it changes). After every
   * probabilistic link has been tried, the clusters holding records of one key are joined: so
   * the floor never undoes a merge the evidence made nor changes which merges it refused, it only
   * joins what the evidence left apart. (Joining the groups first instead checks every later
   * merge against the whole group: measured, it loses recall and counts more people — a million
   * records, F1 0.9791 / +0.59% people against 0.9794 / +0.48% this way, 0.9805 / +0.65% without
   * the floor, which made 990 merges there, 437 of a pair below the threshold.) Why the guards
   * above do not apply to them: the cannot-link weight, the contradiction margin and average
   * linkage are there against chaining, where records are joined through partial agreement and A and C may share
   * little; two records with the same key agree on every letter, the date and sex the key holds,
   * so the only evidence against them is the attributes, and attributes recorded inconsistently
   * between services (measured: +12.7% people with the default model, against +8.6% for exact
   * keys) are exactly what must not split a person. Nor the conflicting-dates rule: the same key
   * is the same date and sex. The size cap does apply: fifty or more records under one key are
   * a placeholder or a collision, not one person, and exact-key matching would be wrong there too.
   * Nor does the floor hold a key with neither name (999, 99: only the birth date and sex): that
   * is a key only in form, shared by every nameless record born that day; such records link on
   * their evidence as the model weighs it (strong in a small population, weak in a large one).
   * The floor is the same in the incremental and the full relink: records with one key share a
   * birth date, so they are in each other's neighbourhood.
   */
  exactKeyFloor?: boolean;
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
  /** Merges made by the exact-key floor: clusters the probabilistic links left apart that hold records of one key. */
  exactKeyMerges: number;
  /**
   * Of those, merges of a pair whose own match weight is below the threshold: records the
   * probabilistic evidence alone would have kept apart (their attributes disagree).
   */
  exactKeyBelowThreshold: number;
}

export interface MatchResult {
  /** Record id → person id, the smallest record id in its cluster. */
  personOf: Map<number, number>;
  /** The links that joined clusters (a spanning forest of each cluster), strongest first. */
  links: PairLink[];
  model: LinkageModel;
  stats: MatchStats;
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

/**
 * The matcher's result over a token table, by row (a row is a record's place in the table) and in
 * columns: a full relink of millions of records reads and writes it without an object per record
 * or per link.
 */
export interface TableMatch {
  /** Per row, its person's id: the smallest record id in its cluster. */
  personOfRow: Float64Array;
  /** How many links joined clusters (a spanning forest of each cluster). */
  linkCount: number;
  /** The n-th of them, strongest first. */
  linkAt(n: number): PairLink;
  model: LinkageModel;
  stats: MatchStats;
}

export function matchRecords(records: readonly LinkageRecord[], options: MatchOptions = {}): MatchResult {
  const table = buildTokenTable(
    records.map((r) => r.tokens),
    records.map((r) => r.attributes),
  );
  const match = matchTable(
    table,
    Float64Array.from(records, (r) => r.id),
    options,
  );
  const personOf = new Map<number, number>();
  records.forEach((r, i) => personOf.set(r.id, match.personOfRow[i]!));
  const links: PairLink[] = [];
  for (let n = 0; n < match.linkCount; n++) links.push(match.linkAt(n));
  return { personOf, links, model: match.model, stats: match.stats };
}

/**
 * Matches the records of a token table, `ids[row]` being each row's record id. Blocks may be
 * passed when the caller built them already (to estimate the model); term frequencies are the
 * table's own unless given.
 */
export function matchTable(table: TokenTable, ids: Float64Array, options: MatchOptions & { blocks?: Blocks } = {}): TableMatch {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const maxClusterSize = options.maxClusterSize ?? DEFAULT_MAX_CLUSTER_SIZE;
  const cannotLinkWeight = options.cannotLinkWeight ?? DEFAULT_CANNOT_LINK_WEIGHT;
  const contradictionMargin = options.contradictionMargin ?? DEFAULT_CONTRADICTION_MARGIN;
  const minMeanCrossWeight = options.minMeanCrossWeight ?? threshold;
  const exactKeyFloor = options.exactKeyFloor ?? true;
  const blocks = options.blocks ?? buildBlocks(table);
  const model = options.model ?? estimateFromTable(table, blocks);
  const frequencies = options.termFrequencies === false ? null : (options.termFrequencies ?? tableTermFrequencies(table));
  const { weights, attributeWeights, disagreementOf, weightOf } = createPairScorer(table, model, frequencies);
  const conflictingDates = new Uint8Array(PATTERN_COUNT);
  for (let p = 0; p < PATTERN_COUNT; p++) {
    const [, , birthDate, sex] = unpackPattern(p);
    conflictingDates[p] = birthDate === DIFFERENT_DATE && sex === DIFFERENT_SEX ? 1 : 0;
  }

  const links = new LinkBuffer();
  let candidatePairs = 0;
  forEachCandidatePair(table, blocks, (i, j) => {
    candidatePairs++;
    const pattern = comparePattern(table, i, j);
    const attributes = compareAttributes(table, i, j);
    const weight = weightOf(i, j, pattern, attributes);
    if (weight >= threshold) links.push(i, j, weight, pattern, attributes);
  });
  const linkedPairs = links.length;

  // The exact-key floor's links: each group of records with one key as a star from its smallest
  // record id, tried after every probabilistic link (see MatchOptions.exactKeyFloor). Most join
  // nothing: the group's own pairs, the strongest links there are, joined it already.
  const low = (k: number) => Math.min(ids[links.a[k]!]!, ids[links.b[k]!]!);
  const high = (k: number) => Math.max(ids[links.a[k]!]!, ids[links.b[k]!]!);
  if (exactKeyFloor) {
    const byKey = new Int32Array(table.size);
    for (let i = 0; i < table.size; i++) byKey[i] = i;
    byKey.sort((x, y) => table.key[x]! - table.key[y]! || ids[x]! - ids[y]!);
    let first = 0;
    for (let x = 1; x < byKey.length; x++) {
      const j = byKey[x]!;
      if (table.key[byKey[first]!] !== table.key[j]) {
        first = x;
        continue;
      }
      const i = byKey[first]!;
      if (isNamelessKey(table, i)) continue;
      const pattern = comparePattern(table, i, j);
      const attributes = compareAttributes(table, i, j);
      links.push(i, j, weightOf(i, j, pattern, attributes), pattern, attributes);
    }
  }

  // Strongest first; equal weights in record-id order, so the result does not depend on the
  // order records were passed in. The floor's links after all of them, in key order.
  const order = new Int32Array(links.length);
  for (let k = 0; k < links.length; k++) order[k] = k;
  order.subarray(0, linkedPairs).sort((x, y) => links.weight[y]! - links.weight[x]! || low(x) - low(y) || high(x) - high(y));

  const clustering = clusterLinks({
    size: table.size,
    linkA: links.a.subarray(0, links.length),
    linkB: links.b.subarray(0, links.length),
    order,
    maxClusterSize,
    maxCrossPairs: maxClusterSize * maxClusterSize,
    forcedFrom: linkedPairs,
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

  // Per root row, the smallest record id of its cluster; a typed array, not a map, so ten million
  // records cost 80 MB here.
  const smallest = new Float64Array(table.size).fill(Infinity);
  const rootOf = new Int32Array(table.size);
  let clusters = 0;
  for (let i = 0; i < table.size; i++) {
    const root = clustering.find(i);
    rootOf[i] = root;
    if (root === i) clusters++;
    if (ids[i]! < smallest[root]!) smallest[root] = ids[i]!;
  }
  const personOfRow = new Float64Array(table.size);
  for (let i = 0; i < table.size; i++) personOfRow[i] = smallest[rootOf[i]!]!;

  let joinedCount = 0;
  let exactKeyBelowThreshold = 0;
  for (const k of order) {
    if (!clustering.accepted[k]) continue;
    joinedCount++;
    if (k >= linkedPairs && links.weight[k]! < threshold) exactKeyBelowThreshold++;
  }
  // Strongest first, as documented, the floor's links among the others.
  const joined = new Int32Array(joinedCount);
  let n = 0;
  for (const k of order) if (clustering.accepted[k]) joined[n++] = k;
  joined.sort((x, y) => links.weight[y]! - links.weight[x]! || low(x) - low(y) || high(x) - high(y));
  return {
    personOfRow,
    linkCount: joinedCount,
    linkAt: (n) => {
      const k = joined[n]!;
      const levels = describePattern(links.pattern[k]!);
      if (table.hasAttributes) Object.assign(levels, describeAttributePattern(links.attributes[k]!));
      return { a: low(k), b: high(k), weight: links.weight[k]!, levels };
    },
    model,
    stats: {
      candidatePairs,
      linkedPairs,
      clusters,
      refusedMerges: clustering.refusedMerges,
      exactKeyMerges: clustering.forcedMerges,
      exactKeyBelowThreshold,
    },
  };
}
