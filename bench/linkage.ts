/**
 * Linkage accuracy and speed: generates a synthetic population with realistic recording errors
 * (test/support/synthetic.ts), tokenises it as the API does on arrival, then links it
 * three ways: exact (the same whole-key token is the same person), probabilistic on the key's
 * tokens alone (matchRecords with a model estimated by EM from the same records), and
 * probabilistic with the person attributes each record carries (ethnicity, religion, sexual
 * orientation, disability) as extra comparisons. Accuracy is pairwise: over all pairs of records,
 * those that truly belong to one person against those put in one cluster, computed from cluster
 * contingency counts rather than by enumerating pairs.
 */
import { performance } from 'node:perf_hooks';
import type { LinkageModel } from '../src/services/linkage/linkage-model.js';
import type { LinkageRecord } from '../src/services/linkage/linkage-record.js';
import { DEFAULT_THRESHOLD } from '../src/services/linkage/match-threshold.js';
import { matchRecords, type MatchStats } from '../src/services/linkage/matcher.js';
import { deriveLinkageTokens } from '../src/services/linkage/tokens.js';
import { measureAccuracy, type Accuracy } from '../test/support/linkage-accuracy.js';
import { generatePopulation, type NameLists } from '../test/support/synthetic.js';

const SECRET = 'bench-linkage-secret-0123456789abcdef';

export interface LinkageRun {
  name: string;
  accuracy: Accuracy;
  seconds: number;
  recordsPerSecond: number;
  stats?: MatchStats;
  /** The model the run estimated (EM), for reporting m and u. */
  model?: LinkageModel;
}

export interface LinkageBenchResult {
  records: number;
  people: number;
  areas: number;
  generateSeconds: number;
  tokeniseSeconds: number;
  runs: LinkageRun[];
}

export interface LinkageBenchOptions {
  records: number;
  /** Match-weight thresholds to run the probabilistic matcher at (the first is reported as the default). */
  thresholds?: readonly number[];
  seed?: number;
  /** The synthetic name lists (synthetic.ts): `long-tail` unless told; `short` for the earlier generator. */
  names?: NameLists;
  /** Areas the services are spread over: `auto` (one per PEOPLE_PER_AREA people) unless told. */
  areas?: number | 'auto';
  /** Share of records received out of the person's area (synthetic.ts's default unless told). */
  outOfAreaRate?: number;
}

/**
 * About one area per 2,000 people referred in a year: a million records are then about 290 areas,
 * roughly England's 296 local authorities, and 10,000 records three or four neighbouring ones.
 */
export const PEOPLE_PER_AREA = 2_000;

export async function benchLinkage({
  records,
  thresholds = [DEFAULT_THRESHOLD],
  seed = 20261123,
  names,
  areas = 'auto',
  outOfAreaRate,
}: LinkageBenchOptions): Promise<LinkageBenchResult> {
  const recordsPerPersonMean = 1.7;
  const people = Math.round(records / recordsPerPersonMean);
  const areaCount = areas === 'auto' ? Math.max(1, Math.round(people / PEOPLE_PER_AREA)) : areas;
  let start = performance.now();
  const population = generatePopulation({
    people,
    recordsPerPersonMean,
    seed,
    areas: areaCount,
    ...(names ? { names } : {}),
    ...(outOfAreaRate === undefined ? {} : { outOfAreaRate }),
  });
  const generateSeconds = (performance.now() - start) / 1000;

  // As on arrival in production: one deriveLinkageTokens (14 HMACs) per record.
  start = performance.now();
  const linkage: LinkageRecord[] = population.records.map((r) => ({ id: r.id, tokens: deriveLinkageTokens(r.slk581, SECRET)! }));
  const tokeniseSeconds = (performance.now() - start) / 1000;
  const withAttributes: LinkageRecord[] = linkage.map((r, i) => ({ ...r, attributes: population.records[i]!.attributes }));
  const withArea: LinkageRecord[] = withAttributes.map((r, i) => ({ ...r, attributes: { ...r.attributes, serviceArea: population.records[i]!.area } }));
  const truth = Int32Array.from(population.records, (r) => r.personId);

  const runs: LinkageRun[] = [];
  start = performance.now();
  const byKey = new Map<string, number>();
  const exact = Int32Array.from(linkage, (r) => {
    let person = byKey.get(r.tokens.key);
    if (person === undefined) byKey.set(r.tokens.key, (person = r.id));
    return person;
  });
  const exactSeconds = (performance.now() - start) / 1000;
  runs.push({ name: 'exact key', accuracy: measureAccuracy(truth, exact), seconds: exactSeconds, recordsPerSecond: linkage.length / exactSeconds });

  const methods = [
    { name: 'probabilistic, key only', input: linkage },
    { name: 'probabilistic, key + attributes', input: withAttributes },
    // With one area the comparison is left out, so this is the row above again.
    ...(areaCount > 1 ? [{ name: 'probabilistic, key + attributes + service area', input: withArea }] : []),
  ];
  for (const threshold of thresholds) {
    for (const method of methods) {
      // Each run estimates its own model (EM included in the time), as a first full run would.
      start = performance.now();
      const result = matchRecords(method.input, { threshold });
      const seconds = (performance.now() - start) / 1000;
      const predicted = Int32Array.from(method.input, (r) => result.personOf.get(r.id)!);
      runs.push({
        name: `${method.name}, threshold ${threshold}`,
        accuracy: measureAccuracy(truth, predicted),
        seconds,
        recordsPerSecond: method.input.length / seconds,
        stats: result.stats,
        model: result.model,
      });
    }
  }
  return { records: population.records.length, people: population.people, areas: areaCount, generateSeconds, tokeniseSeconds, runs };
}
