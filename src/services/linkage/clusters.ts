/**
 * Records into people: connected components over the links, joined strongest first (union–find),
 * with two guards against chaining, where A–B and B–C each look like the same person but A and C
 * plainly are not (a record with a missing given name bridging two namesakes, say):
 * - a merge is refused when any record of one cluster conflicts with any record of the other
 *   (the caller decides what a conflict is: strong evidence of two different people);
 * - a merge is refused when the result would exceed the size cap, since nobody is referred to
 *   dozens of services and such a cluster can only be a chain.
 * Processing strongest links first means a refused merge keeps the better-supported grouping.
 *
 * Links can also be forced (the exact-key floor, see matcher.ts): they skip both chaining guards,
 * keeping only the size cap.
 */

/** The size cap: more records than this under one person is a chain or a placeholder key, not a person. */
export const DEFAULT_MAX_CLUSTER_SIZE = 50;
export interface ClusterInput {
  /** Records are 0..size-1. */
  size: number;
  linkA: Int32Array;
  linkB: Int32Array;
  /** Link indices in the order to try them (strongest first). */
  order: ArrayLike<number>;
  maxClusterSize: number;
  /** Cross pairs are only checked when |A|·|B| is at most this (the size cap bounds it anyway). */
  maxCrossPairs: number;
  /** Whether records i and j may not share a cluster when joined through `link`. */
  conflicts: (i: number, j: number, link: number) => boolean;
  /**
   * Average linkage: the match weight of records i and j, and the least mean weight over all
   * cross pairs for a merge to go ahead. Absent, only conflicts and the size cap refuse merges.
   */
  crossWeight?: (i: number, j: number) => number;
  minMeanCrossWeight?: number;
  /**
   * Links at or above this index are forced: joined unless the size cap forbids it, whatever
   * `conflicts` and the mean cross weight say. Where they come in `order` is the caller's choice.
   */
  forcedFrom?: number;
}

export interface ClusterOutput {
  /** Cluster representative of each record (resolve with `find`). */
  find: (record: number) => number;
  /** 1 for each link that joined two clusters. */
  accepted: Uint8Array;
  refusedMerges: number;
  /** Forced links that joined two clusters. */
  forcedMerges: number;
}

export function clusterLinks(input: ClusterInput): ClusterOutput {
  const parent = new Int32Array(input.size);
  for (let i = 0; i < input.size; i++) parent[i] = i;
  const members = new Map<number, number[]>();
  const accepted = new Uint8Array(input.linkA.length);
  let refusedMerges = 0;
  let forcedMerges = 0;
  const forcedFrom = input.forcedFrom ?? input.linkA.length;

  const find = (record: number): number => {
    let root = record;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[record] !== root) {
      const next = parent[record]!;
      parent[record] = root;
      record = next;
    }
    return root;
  };
  const membersOf = (root: number): number[] => members.get(root) ?? [root];

  const { crossWeight, minMeanCrossWeight } = input;
  const conflictBetween = (a: number[], b: number[], link: number): boolean => {
    if (a.length * b.length > input.maxCrossPairs) return false;
    for (const i of a) for (const j of b) if (input.conflicts(i, j, link)) return true;
    if (crossWeight && minMeanCrossWeight !== undefined && a.length * b.length > 1) {
      let sum = 0;
      for (const i of a) for (const j of b) sum += crossWeight(i, j);
      if (sum / (a.length * b.length) < minMeanCrossWeight) return true;
    }
    return false;
  };

  for (let k = 0; k < input.order.length; k++) {
    const link = input.order[k]!;
    const rootA = find(input.linkA[link]!);
    const rootB = find(input.linkB[link]!);
    if (rootA === rootB) continue;
    const a = membersOf(rootA);
    const b = membersOf(rootB);
    const forced = link >= forcedFrom;
    if (a.length + b.length > input.maxClusterSize || (!forced && conflictBetween(a, b, link))) {
      refusedMerges++;
      continue;
    }
    if (forced) forcedMerges++;
    const [big, small, bigMembers, smallMembers] = a.length >= b.length ? [rootA, rootB, a, b] : [rootB, rootA, b, a];
    parent[small] = big;
    const merged = bigMembers.length === 1 ? [big] : bigMembers;
    for (const m of smallMembers) merged.push(m);
    members.set(big, merged);
    members.delete(small);
    accepted[link] = 1;
  }
  return { find, accepted, refusedMerges, forcedMerges };
}
