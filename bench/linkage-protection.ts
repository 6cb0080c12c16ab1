/**
 * Linkage that protects itself: people error and F1 when person attributes are recorded
 * consistently, noisily or at random across a person's records (test/support/attribute-consistency.ts),
 * for exact-key matching, the default model (with and without the exact-key floor) and the model
 * estimated from the records (EM, or on data too small for EM the default's key m with λ and the
 * attributes from the data). No database.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_MODEL } from '../src/services/linkage/default-model.js';
import { matchRecords } from '../src/services/linkage/matcher.js';
import { estimateModel } from '../src/services/linkage/model-estimation.js';
import { ATTRIBUTE_CONSISTENCIES, buildAttributePopulation, type AttributeConsistency } from '../test/support/attribute-consistency.js';
import { measureAccuracy, type Accuracy } from '../test/support/linkage-accuracy.js';

export interface ProtectionRow {
  attributes: AttributeConsistency;
  recordsPerPersonMean: number;
  records: number;
  method: string;
  accuracy: Accuracy;
  seconds: number;
  /** Largest |log2(m / u)| over the attribute levels of the model used (0 for exact keys). */
  maxAttributeWeight: number;
}

export interface ProtectionBenchOptions {
  people?: number;
  recordsPerPersonMeans?: readonly number[];
  seed?: number;
}

export function benchLinkageProtection({ people = 1500, recordsPerPersonMeans = [1.7, 2.5], seed = 7 }: ProtectionBenchOptions = {}): ProtectionRow[] {
  const rows: ProtectionRow[] = [];
  for (const recordsPerPersonMean of recordsPerPersonMeans) {
    for (const kind of ATTRIBUTE_CONSISTENCIES) {
      const population = buildAttributePopulation(kind, { people, recordsPerPersonMean, seed });
      const { records, truth } = population;
      const row = (method: string, accuracy: Accuracy, seconds: number, maxAttributeWeight: number) =>
        rows.push({ attributes: kind, recordsPerPersonMean, records: records.length, method, accuracy, seconds, maxAttributeWeight });
      row('exact key', measureAccuracy(truth, population.exactKey), 0, 0);
      const run = (method: string, estimate: boolean, exactKeyFloor: boolean) => {
        const start = performance.now();
        const model = estimate ? estimateModel(records) : DEFAULT_MODEL;
        const result = matchRecords(records, { model, exactKeyFloor });
        const seconds = (performance.now() - start) / 1000;
        const weights = Object.entries(model.comparisons)
          .filter(([name]) => ['ethnicity', 'religion', 'sexualOrientation', 'disability', 'serviceArea'].includes(name))
          .flatMap(([, levels]) => Object.values(levels).map((l) => Math.abs(Math.log2(l.m / l.u))));
        row(
          method,
          measureAccuracy(
            truth,
            Int32Array.from(records, (r) => result.personOf.get(r.id)!),
          ),
          seconds,
          Math.max(0, ...weights),
        );
      };
      run('default model, no exact-key floor', false, false);
      run('default model', false, true);
      run('estimated model (EM)', true, true);
    }
  }
  return rows;
}
