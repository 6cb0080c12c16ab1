/**
 * Synthetic populations whose person attributes (ethnicity, religion, sexual orientation,
 * disability, service area) are recorded consistently, noisily or at random across a person's
 * records, tokenised, with the truth and the exact-key persons: for the linkage-protection tests
 * and `npm run bench -- --only linkage-protection`, so both measure the same thing.
 */
import type { LinkageRecord } from '../../src/services/linkage/linkage-record.js';
import { deriveLinkageTokens } from '../../src/services/linkage/tokens.js';
import { ATTRIBUTE_DISTRIBUTIONS, createRandom, drawValue, generatePopulation, type SyntheticAttributes } from './synthetic.js';

/**
 * - `consistent`: synthetic.ts's defaults (15% not known, 3% recorded wrongly per record);
 * - `noisy`: 25% of values recorded wrongly per record (a person's two records disagree on about
 *   four in ten attributes they both have);
 * - `random`: every record's attributes and service area drawn afresh from the population shares,
 *   as if services recorded them with no relation to the person: agreement is pure chance (m = u).
 */
export type AttributeConsistency = 'consistent' | 'noisy' | 'random';
export const ATTRIBUTE_CONSISTENCIES: readonly AttributeConsistency[] = ['consistent', 'noisy', 'random'];

export const NOISY_ATTRIBUTE_WRONG = 0.25;

export interface AttributePopulation {
  records: LinkageRecord[];
  /** The true person of each record, in `records` order. */
  truth: Int32Array;
  /** The exact-key person of each record (the id of the first record with its key), in `records` order. */
  exactKey: Int32Array;
  people: number;
}

export interface AttributePopulationOptions {
  people: number;
  recordsPerPersonMean: number;
  seed: number;
  areas?: number;
  secret?: string;
}

export function buildAttributePopulation(kind: AttributeConsistency, options: AttributePopulationOptions): AttributePopulation {
  const areas = options.areas ?? 3;
  const population = generatePopulation({
    people: options.people,
    recordsPerPersonMean: options.recordsPerPersonMean,
    seed: options.seed,
    areas,
    ...(kind === 'noisy' ? { errorRates: { attributeWrong: NOISY_ATTRIBUTE_WRONG } } : {}),
  });
  const secret = options.secret ?? 'attribute-consistency-secret-0123456789';
  const random = createRandom(options.seed * 7919 + 17);
  const areaCodes = [...new Set(population.records.map((r) => r.area))].sort();
  const records: LinkageRecord[] = population.records.map((r) => {
    const attributes: SyntheticAttributes =
      kind === 'random'
        ? {
            ethnicity: drawValue(ATTRIBUTE_DISTRIBUTIONS.ethnicity, random),
            religion: drawValue(ATTRIBUTE_DISTRIBUTIONS.religion, random),
            sexualOrientation: drawValue(ATTRIBUTE_DISTRIBUTIONS.sexualOrientation, random),
            disability: drawValue(ATTRIBUTE_DISTRIBUTIONS.disability, random),
          }
        : r.attributes;
    const serviceArea = kind === 'random' ? areaCodes[Math.floor(random() * areaCodes.length)]! : r.area;
    return { id: r.id, tokens: deriveLinkageTokens(r.slk581, secret)!, attributes: { ...attributes, serviceArea } };
  });
  const byKey = new Map<string, number>();
  const exactKey = Int32Array.from(records, (r) => {
    let person = byKey.get(r.tokens.key);
    if (person === undefined) byKey.set(r.tokens.key, (person = r.id));
    return person;
  });
  return { records, truth: Int32Array.from(population.records, (r) => r.personId), exactKey, people: population.people };
}
