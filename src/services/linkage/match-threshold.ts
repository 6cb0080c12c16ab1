/** The default match threshold: the one number both the configuration and the matcher default to. */

/**
 * A pair links when its match weight (log2 odds that the two records are the same person, prior
 * included: see match-weights.ts) is at least this. 0 is "more likely than not"; −1.5 (about one chance
 * in four) is the default because persons here are only ever counted, never acted on one by one,
 * and clusters must also pass average linkage at the same weight (MatchOptions.minMeanCrossWeight):
 * with both, F1 is at least as good as at −1 without average linkage at every size measured, with
 * and without the service area, and the people count too but for one case (bench/README.md).
 */
export const DEFAULT_THRESHOLD = -1.5;
