/**
 * The shape of a linkage model (m and u per comparison level, and λ), and stored models read across levels added since.
 *
 * A Fellegi–Sunter model, as Splink uses it, over linkage tokens instead of names: each comparison (family letters, given letters, birth date, sex, and the person attributes
 * ethnicity, religion, sexual orientation and disability when records carry them) puts a pair of
 * records at one level, and each level carries m (how often the same person's records are at that level) and
 * u (how often two different people's records are).
 */
export interface LevelParameters {
  m: number;
  u: number;
}

export interface LinkageModel {
  version: string;
  /** λ: the probability that two records drawn at random belong to the same person. */
  priorMatchProbability: number;
  /** comparison → level → m and u. Missing values have no level here: they weigh 0. */
  comparisons: Record<string, Record<string, LevelParameters>>;
}

/**
 * Levels added after models were first stored: a stored model without them weighs them as the
 * level they used to fall into, so it links exactly as it did.
 */
export const LEVEL_FALLBACKS: Partial<Record<string, Record<string, string>>> = {
  birthDate: { same_month_year: 'same_year', same_day_month: 'different' },
};

/**
 * The model for data where no record has the month-and-year (or day-and-month) token, all stored
 * before the tokens existed: each unavailable level is folded into the level its pairs fall into
 * instead (m and u added), which is the model as it was before the level existed. DEFAULT_MODEL
 * folded this way is exactly the earlier default (same year m 0.01, u 0.0247; different m 0.01,
 * u 0.975). Data where only some records have the tokens keeps every level: a pair with an older
 * record then weighs a date that differs a little more strongly against than it used to, but such
 * pairs did not link before either.
 */
export function withoutUnavailableLevels(model: LinkageModel, available: { monthYear: boolean; dayMonth: boolean }): LinkageModel {
  const levels = model.comparisons.birthDate;
  if (!levels) return model;
  const fold: Array<[string, string]> = [];
  if (!available.monthYear) fold.push(['same_month_year', 'same_year']);
  if (!available.dayMonth) fold.push(['same_day_month', 'different']);
  const folded = { ...levels };
  let changed = false;
  for (const [level, into] of fold) {
    const from = folded[level];
    const target = folded[into];
    if (!from || !target) continue;
    folded[into] = { m: target.m + from.m, u: target.u + from.u };
    delete folded[level];
    changed = true;
  }
  return changed ? { ...model, comparisons: { ...model.comparisons, birthDate: folded } } : model;
}
