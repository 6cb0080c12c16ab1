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
 */
import { buildBlocks, forEachCandidatePair } from './blocking.js';
import { clusterLinks } from './clusters.js';
import { DIFFERENT_DATE, DIFFERENT_SEX, PATTERN_COUNT, describeAttributePattern, describePattern, unpackPattern } from './comparison-levels.js';
import type { LinkageModel } from './linkage-model.js';
import type { LinkageRecord } from './linkage-record.js';
import { DEFAULT_THRESHOLD } from './match-threshold.js';
import { estimateFromTable } from './model-estimation.js';
import { compareAttributes, comparePattern } from './pair-comparison.js';
import { createPairScorer } from './pair-scoring.js';
import { computeTermFrequencies, type TermFrequencies } from './term-frequencies.js';
import { buildTokenTable } from './token-table.js';

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
  const frequencies = options.termFrequencies === false ? null : (options.termFrequencies ?? computeTermFrequencies(records));
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
