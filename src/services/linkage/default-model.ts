/** The model linkage uses until one is estimated from the data (EM), and the data size its prior assumes. */
import type { LinkageModel } from './linkage-model.js';

/**
 * Defaults for data too small to estimate from (EM needs thousands of candidate pairs). m values
 * are those EM finds on the synthetic population with realistic recording errors; u values are
 * those of its earlier, short name lists (family letters agreeing for 0.72% of pairs, against
 * 0.46% with the long-tailed lists now generated), so name agreement is, if anything,
 * undervalued. The date levels' u are those of its birth dates (ages 16–80). λ assumes about
 * 100,000 records with 1.7 records per person.
 */
/** The data size DEFAULT_MODEL's prior assumes (about 1.7 records a person). */
export const DEFAULT_MODEL_RECORDS = 100_000;

export const DEFAULT_MODEL: LinkageModel = {
  version: 'default-2026-11-dates',
  priorMatchProbability: 1.2e-5,
  comparisons: {
    family: {
      exact: { m: 0.9, u: 0.0072 },
      one_letter: { m: 0.025, u: 0.03 },
      different: { m: 0.075, u: 0.9628 },
    },
    given: {
      exact: { m: 0.97, u: 0.022 },
      one_letter: { m: 0.017, u: 0.185 },
      different: { m: 0.013, u: 0.793 },
    },
    // m of the four levels EM's session cannot see is fixed (2% in all, as before the partial
    // levels existed): most dates that differ differ in one part only, the day or the year.
    birthDate: {
      exact: { m: 0.966, u: 6.8e-5 },
      transposed: { m: 0.014, u: 2.4e-5 },
      same_month_year: { m: 0.008, u: 0.0019 },
      same_day_month: { m: 0.008, u: 0.0027 },
      same_year: { m: 0.002, u: 0.0228 },
      different: { m: 0.002, u: 0.9723 },
    },
    sex: {
      exact: { m: 0.999, u: 0.85 },
      different: { m: 0.001, u: 0.15 },
    },
    // Attributes: what EM finds on the synthetic population (London-like shares, 15% not known,
    // 3% recorded wrongly): u is Σ p² over the recorded values, m about 0.97².
    ethnicity: {
      exact: { m: 0.94, u: 0.19 },
      different: { m: 0.06, u: 0.81 },
    },
    religion: {
      exact: { m: 0.94, u: 0.3 },
      different: { m: 0.06, u: 0.7 },
    },
    sexualOrientation: {
      exact: { m: 0.94, u: 0.83 },
      different: { m: 0.06, u: 0.17 },
    },
    disability: {
      exact: { m: 0.94, u: 0.69 },
      different: { m: 0.06, u: 0.31 },
    },
  },
};
