/**
 * Pairwise linkage accuracy against known identities: shared by the linkage benches and by the
 * matcher tests that hold it to a floor, so both measure the same thing.
 */

export interface Accuracy {
  precision: number;
  recall: number;
  f1: number;
  truePeople: number;
  estimatedPeople: number;
  /** (estimated − true) / true. */
  peopleError: number;
}

const pairsOf = (n: number) => (n * (n - 1)) / 2;

/** Pairwise precision and recall from the contingency of true person × predicted cluster. */
export function measureAccuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): Accuracy {
  const trueSizes = new Map<number, number>();
  const predictedSizes = new Map<number, number>();
  const cells = new Map<string, number>();
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    trueSizes.set(t, (trueSizes.get(t) ?? 0) + 1);
    predictedSizes.set(p, (predictedSizes.get(p) ?? 0) + 1);
    const cell = `${t}:${p}`;
    cells.set(cell, (cells.get(cell) ?? 0) + 1);
  }
  let truePairs = 0;
  let predictedPairs = 0;
  let bothPairs = 0;
  for (const n of trueSizes.values()) truePairs += pairsOf(n);
  for (const n of predictedSizes.values()) predictedPairs += pairsOf(n);
  for (const n of cells.values()) bothPairs += pairsOf(n);
  const precision = predictedPairs === 0 ? 1 : bothPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : bothPairs / truePairs;
  return {
    precision,
    recall,
    f1: (2 * precision * recall) / (precision + recall),
    truePeople: trueSizes.size,
    estimatedPeople: predictedSizes.size,
    peopleError: (predictedSizes.size - trueSizes.size) / trueSizes.size,
  };
}
