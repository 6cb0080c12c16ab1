/**
 * Linkage that protects itself: the exact-key floor (the people counted are never further from
 * the truth than exact-key matching), attributes recorded at random learnt as uninformative, and
 * the automatic re-estimation policy. Pure: no database.
 */
import t from 'tap';
import { computeSlk581 } from '../../src/lib/slk581.js';
import { ATTRIBUTE_NAMES } from '../../src/services/linkage/comparison-levels.js';
import { DEFAULT_MODEL } from '../../src/services/linkage/default-model.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import type { LinkageModel } from '../../src/services/linkage/linkage-model.js';
import type { LinkageRecord } from '../../src/services/linkage/linkage-record.js';
import { scorePair } from '../../src/services/linkage/match-weights.js';
import { matchRecords, type MatchResult } from '../../src/services/linkage/matcher.js';
import { estimateModel } from '../../src/services/linkage/model-estimation.js';
import { decideReestimation, DEFAULT_GROWTH_RATIO, DEFAULT_MAX_AGE_DAYS } from '../../src/services/linkage/reestimation-policy.js';
import { MIN_RECORDS_FOR_ESTIMATION } from '../../src/services/linkage/relink.js';
import { deriveLinkageTokens } from '../../src/services/linkage/tokens.js';
import { ATTRIBUTE_CONSISTENCIES, buildAttributePopulation, type AttributeConsistency } from '../support/attribute-consistency.js';
import { measureAccuracy } from '../support/linkage-accuracy.js';

const SECRET = 'test-linkage-protection-secret-0123456789';
const tokensOf = (overrides: Partial<Parameters<typeof computeSlk581>[0]> = {}) =>
  deriveLinkageTokens(computeSlk581({ familyName: 'Smith', givenName: 'Mary', birthDate: '1980-02-01', sex: 'female', ...overrides }), SECRET)!;

const predicted = (records: readonly LinkageRecord[], result: MatchResult) => Int32Array.from(records, (r) => result.personOf.get(r.id)!);
const attributeWeights = (model: LinkageModel, name: string) => {
  const levels = model.comparisons[name];
  return levels ? { exact: Math.log2(levels.exact!.m / levels.exact!.u), different: Math.log2(levels.different!.m / levels.different!.u) } : null;
};

t.test('the exact-key floor: records with one key are one person, whatever their attributes say', async (t) => {
  const key = tokensOf();
  const pair: LinkageRecord[] = [
    { id: 1, tokens: key, attributes: { ethnicity: 'white_british', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' } },
    { id: 2, tokens: key, attributes: { ethnicity: 'black_african', religion: 'muslim', sexualOrientation: 'bisexual', disability: 'yes' } },
  ];
  // At a threshold of 0 (a 50% match probability): four disagreements outweigh the key's agreement.
  const threshold = 0;
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const, threshold };
  const weight = scorePair(pair[0]!.tokens, pair[1]!.tokens, DEFAULT_MODEL, pair[0]!.attributes, pair[1]!.attributes).weight;
  t.ok(weight < threshold, `the pair alone weighs ${weight.toFixed(2)}, below the threshold`);
  const without = matchRecords(pair, { ...options, exactKeyFloor: false });
  t.equal(without.stats.clusters, 2, 'without the floor: two people');
  const result = matchRecords(pair, options);
  t.same([result.personOf.get(1), result.personOf.get(2)], [1, 1], 'with it: one');
  t.equal(result.stats.exactKeyMerges, 1);
  t.equal(result.stats.exactKeyBelowThreshold, 1);
  t.equal(result.stats.linkedPairs, 0, 'no candidate link: the floor alone joined them');
  t.same(
    result.links.map((l) => [l.a, l.b]),
    [[1, 2]],
    'and the link is reported like any other',
  );

  // Probabilistic links may merge more: a record with a typo in the key (and no attributes to
  // contradict either record) joins the group.
  const typo: LinkageRecord = { id: 3, tokens: tokensOf({ familyName: 'Smyth' }) };
  const more = matchRecords([...pair, typo], options);
  t.equal(more.personOf.get(3), 1, 'a typo still joins the exact-key group');
  t.equal(more.stats.exactKeyMerges, 1);

  // The conflicting-dates rule cannot split a group (one key is one date and sex), and the size
  // cap still bounds it (see the size-cap test in linkage-matcher.test.ts).
  const many: LinkageRecord[] = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, tokens: key, attributes: { ethnicity: i % 2 ? 'arab' : 'white_irish' } }));
  const capped = matchRecords(many, { ...options, maxClusterSize: 3 });
  t.ok(
    [...new Set(capped.personOf.values())].every((person) => [...capped.personOf.values()].filter((p) => p === person).length <= 3),
    'the size cap applies to the floor too',
  );
  t.equal(new Set(matchRecords(many, options).personOf.values()).size, 1, 'uncapped: one person');
});

t.test('the floor does not hold a key with neither name: the birth date and sex alone', async (t) => {
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const };
  const nameless = tokensOf({ familyName: null, givenName: null });
  t.equal(nameless.family, null);
  const two: LinkageRecord[] = [
    { id: 1, tokens: nameless },
    { id: 2, tokens: nameless },
  ];
  t.ok(scorePair(nameless, nameless, DEFAULT_MODEL).weight < DEFAULT_THRESHOLD, 'a shared date and sex alone does not link at the default prior');
  const result = matchRecords(two, options);
  t.equal(result.stats.clusters, 2, 'two people, as their evidence says');
  t.equal(result.stats.exactKeyMerges, 0);
  const familyOnly = tokensOf({ givenName: null });
  const held = matchRecords(
    [
      { id: 1, tokens: familyOnly, attributes: { ethnicity: 'arab', religion: 'muslim' } },
      { id: 2, tokens: familyOnly, attributes: { ethnicity: 'white_irish', religion: 'christian' } },
    ],
    { ...options, threshold: 10 },
  );
  t.equal(held.stats.clusters, 1, 'a key with the family letters is held, even far below the threshold');
  t.equal(held.stats.exactKeyBelowThreshold, 1);
});

// Two populations of 1,500 people: 1.7 records a person (too few pairs for EM: the estimated
// model is the default's m for the keys, λ and the attributes from the data) and 2.5 (EM runs).
const SIZES = [
  { recordsPerPersonMean: 1.7, seed: 7 },
  { recordsPerPersonMean: 2.5, seed: 11 },
] as const;

// F1 floors, about 0.01 under what was measured (seeds 7 and 11): the default model on random
// attributes is held back by its m of 0.94 (every chance disagreement counts against a link),
// which only estimation from the data cures.
const DEFAULT_F1_FLOOR: Record<AttributeConsistency, number> = { consistent: 0.96, noisy: 0.93, random: 0.9 };
const ESTIMATED_F1_FLOOR = 0.97;

for (const kind of ATTRIBUTE_CONSISTENCIES) {
  t.test(`${kind} attributes: never further from the truth than exact keys`, async (t) => {
    for (const size of SIZES) {
      const population = buildAttributePopulation(kind, { people: 1500, ...size });
      const { records, truth } = population;
      const label = `${records.length} records, ${size.recordsPerPersonMean} a person`;
      const exact = measureAccuracy(truth, population.exactKey);
      t.ok(exact.peopleError > 0.05, `${label}: exact keys count ${(exact.peopleError * 100).toFixed(2)}% too many (typos split people)`);

      const model = estimateModel(records);
      for (const [name, options] of [
        ['default model', { model: DEFAULT_MODEL }],
        ['estimated model', { model }],
      ] as const) {
        const result = matchRecords(records, options);
        const accuracy = measureAccuracy(truth, predicted(records, result));
        const error = Math.abs(accuracy.estimatedPeople - accuracy.truePeople);
        const exactError = Math.abs(exact.estimatedPeople - exact.truePeople);
        t.ok(
          error <= exactError,
          `${label}, ${name}: ${accuracy.estimatedPeople} people for ${accuracy.truePeople} (${(accuracy.peopleError * 100).toFixed(2)}%), exact keys ${exact.estimatedPeople}`,
        );
        t.ok(accuracy.estimatedPeople <= exact.estimatedPeople, `${label}, ${name}: no more people than distinct keys`);
        const byKey = new Map<number, number>();
        const split = records.filter((r, i) => {
          const person = byKey.get(population.exactKey[i]!);
          if (person === undefined) byKey.set(population.exactKey[i]!, result.personOf.get(r.id)!);
          return person !== undefined && person !== result.personOf.get(r.id);
        });
        t.equal(split.length, 0, `${label}, ${name}: no exact-key group is split`);
        const floor = name === 'default model' ? DEFAULT_F1_FLOOR[kind] : ESTIMATED_F1_FLOOR;
        t.ok(accuracy.f1 >= floor, `${label}, ${name}: F1 ${accuracy.f1.toFixed(4)} ≥ ${floor} (exact keys ${exact.f1.toFixed(4)})`);
        t.ok(accuracy.f1 > exact.f1, `${label}, ${name}: F1 better than exact keys`);
        if (name === 'estimated model') {
          t.ok(Math.abs(accuracy.peopleError) <= 0.03, `${label}, ${name}: people ${(accuracy.peopleError * 100).toFixed(2)}% out`);
        }
      }

      if (kind === 'random') {
        // What the floor is for: without it, the default model splits people on chance disagreements.
        const unfloored = measureAccuracy(truth, predicted(records, matchRecords(records, { model: DEFAULT_MODEL, exactKeyFloor: false })));
        const floored = measureAccuracy(truth, predicted(records, matchRecords(records, { model: DEFAULT_MODEL })));
        t.ok(
          unfloored.estimatedPeople > floored.estimatedPeople,
          `${label}: without the floor the default model counts ${unfloored.estimatedPeople} (${(unfloored.peopleError * 100).toFixed(2)}%), with it ${floored.estimatedPeople}`,
        );
      }

      for (const name of ATTRIBUTE_NAMES) {
        const weights = attributeWeights(model, name);
        if (!weights) continue;
        if (kind === 'random') {
          t.ok(
            Math.abs(weights.exact) < 0.3 && Math.abs(weights.different) < 0.3,
            `${label}: ${name} recorded at random weighs ${weights.exact.toFixed(3)} agreeing, ${weights.different.toFixed(3)} disagreeing`,
          );
        }
        if (kind === 'consistent' && name !== 'serviceArea') {
          const m = model.comparisons[name]!.exact!.m;
          const defaultM = DEFAULT_MODEL.comparisons[name]!.exact!.m;
          t.ok(Math.abs(m - defaultM) < 0.03, `${label}: ${name} recorded consistently keeps m ${m.toFixed(3)}, about the default ${defaultM}`);
          t.ok(weights.different < -1, `${label}: and a disagreement is evidence against (${weights.different.toFixed(2)})`);
        }
      }
    }
  });
}

t.test('decideReestimation', async (t) => {
  const now = new Date('2026-12-02T12:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
  const trained = { trainedOnRecords: 10_000, trainedAt: daysAgo(1) };
  const grownBy = (share: number) => Math.ceil(10_000 * (1 + share));

  t.same(decideReestimation(trained, { linkableRecords: MIN_RECORDS_FOR_ESTIMATION - 1, now }), { estimate: false, reason: 'too_few' });
  t.same(decideReestimation({ trainedOnRecords: 100_000, trainedAt: null }, { linkableRecords: MIN_RECORDS_FOR_ESTIMATION - 1, now }), {
    estimate: false,
    reason: 'too_few',
  });
  t.same(
    decideReestimation({ trainedOnRecords: 100_000, trainedAt: null }, { linkableRecords: MIN_RECORDS_FOR_ESTIMATION, now }),
    { estimate: true, reason: 'untrained' },
    'the default model in force and enough data: estimate, whatever the default assumes of the data size',
  );
  t.same(decideReestimation({ trainedOnRecords: 0, trainedAt: daysAgo(1) }, { linkableRecords: 5_000, now }), { estimate: true, reason: 'untrained' });

  t.same(decideReestimation(trained, { linkableRecords: grownBy(DEFAULT_GROWTH_RATIO), now }), { estimate: true, reason: 'grown' }, 'grown by a quarter');
  t.same(decideReestimation(trained, { linkableRecords: grownBy(DEFAULT_GROWTH_RATIO) - 1, now }), { estimate: false, reason: 'current' }, 'just under');
  t.same(decideReestimation(trained, { linkableRecords: 6_000, now }), { estimate: false, reason: 'current' }, 'shrinking is not growth');
  t.same(
    decideReestimation(trained, { linkableRecords: grownBy(0.1), now }, { growthRatio: 0.1 }),
    { estimate: true, reason: 'grown' },
    'the ratio is a setting',
  );

  const old = { trainedOnRecords: 10_000, trainedAt: daysAgo(DEFAULT_MAX_AGE_DAYS) };
  t.same(decideReestimation(old, { linkableRecords: 10_500, now }), { estimate: true, reason: 'scheduled' }, 'old, and the count changed');
  t.same(decideReestimation(old, { linkableRecords: 10_000, now }), { estimate: false, reason: 'current' }, 'old, the same count: unchanged');
  t.same(
    decideReestimation(old, { linkableRecords: 10_000, now, changedSinceTraining: true }),
    { estimate: true, reason: 'scheduled' },
    'a resubmission of as many records',
  );
  t.same(
    decideReestimation(old, { linkableRecords: 10_500, now, changedSinceTraining: false }),
    { estimate: false, reason: 'current' },
    'told nothing changed',
  );
  t.same(
    decideReestimation({ ...old, trainedAt: daysAgo(DEFAULT_MAX_AGE_DAYS - 0.01) }, { linkableRecords: 10_500, now, changedSinceTraining: true }),
    { estimate: false, reason: 'current' },
    'changed, but not yet due',
  );
  t.same(decideReestimation(old, { linkableRecords: 10_500, now }, { maxAgeDays: 60 }), { estimate: false, reason: 'current' }, 'the schedule is a setting');
  t.same(
    decideReestimation(
      { trainedOnRecords: 10_000, trainedAt: new Date(now.getTime() + 86_400_000) },
      { linkableRecords: 10_500, now, changedSinceTraining: true },
    ),
    { estimate: false, reason: 'current' },
    'a training time in the future counts as now',
  );
  t.same(decideReestimation(old, { linkableRecords: 500, now }, { minRecords: 100 }), { estimate: true, reason: 'scheduled' }, 'the minimum is a setting');
  t.same(decideReestimation(trained, { linkableRecords: Number.NaN, now }), { estimate: false, reason: 'too_few' }, 'a count that is not a number: never');

  // After a re-estimation the model is trained on the data at hand: the decision is then current.
  const grown = grownBy(0.5);
  t.same(decideReestimation({ trainedOnRecords: grown, trainedAt: now }, { linkableRecords: grown, now }), { estimate: false, reason: 'current' });
});
