import { createHash } from 'node:crypto';
import t from 'tap';
import { computeSlk581, type Slk581Input } from '../../src/lib/slk581.js';
import { ATTRIBUTE_NAMES, BIRTH_DATE_LEVELS, packPattern, PATTERN_COUNT, unpackPattern } from '../../src/services/linkage/comparison-levels.js';
import { DEFAULT_MODEL } from '../../src/services/linkage/default-model.js';
import { withoutUnavailableLevels, type LinkageModel } from '../../src/services/linkage/linkage-model.js';
import type { LinkageRecord } from '../../src/services/linkage/linkage-record.js';
import { DEFAULT_THRESHOLD } from '../../src/services/linkage/match-threshold.js';
import { scorePair } from '../../src/services/linkage/match-weights.js';
import { matchRecords, type MatchResult } from '../../src/services/linkage/matcher.js';
import { estimateModel } from '../../src/services/linkage/model-estimation.js';
import { countPairLevels } from '../../src/services/linkage/pair-level-counts.js';
import { computeTermFrequencies } from '../../src/services/linkage/term-frequencies.js';
import { buildTokenTable } from '../../src/services/linkage/token-table.js';
import { generatePopulation } from '../support/synthetic.js';

const PERSON_ATTRIBUTES = ATTRIBUTE_NAMES.filter((name) => name !== 'serviceArea');
import { deriveLinkageTokens, type LinkageTokens } from '../../src/services/linkage/tokens.js';
import { measureAccuracy } from '../support/linkage-accuracy.js';

const SECRET = 'test-linkage-secret-0123456789abcdef';

const base: Slk581Input = { familyName: 'Smith', givenName: 'Mary', birthDate: '1980-02-01', sex: 'female' };

function tokensOf(overrides: Partial<Slk581Input> = {}): LinkageTokens {
  return deriveLinkageTokens(computeSlk581({ ...base, ...overrides }), SECRET)!;
}

function levelsOf(overrides: Partial<Slk581Input>, other: Partial<Slk581Input> = {}): Record<string, string> {
  return scorePair(tokensOf(other), tokensOf(overrides), DEFAULT_MODEL).levels;
}

function tokenise(records: Array<{ id: number; slk581: string }>): LinkageRecord[] {
  return records.map((r) => ({ id: r.id, tokens: deriveLinkageTokens(r.slk581, SECRET)! }));
}

/** Tokens as stored before the month-and-year and day-and-month tokens existed. */
function withoutDateParts(tokens: LinkageTokens): LinkageTokens {
  const { birthMonthYear: _monthYear, birthDayMonth: _dayMonth, ...rest } = tokens;
  return rest;
}

t.test('scorePair: family levels', async (t) => {
  t.equal(levelsOf({}).family, 'exact');
  t.equal(levelsOf({ familyName: 'Smyth' }).family, 'one_letter', 'MIH against MYH: one letter differs');
  t.equal(levelsOf({ familyName: 'Smithers' }).family, 'exact', 'letters the key does not use do not count');
  t.equal(levelsOf({ familyName: 'Jones' }).family, 'different');
  t.equal(levelsOf({ familyName: null }).family, 'missing');
});

t.test('scorePair: given levels', async (t) => {
  t.equal(levelsOf({ givenName: 'Maria' }).given, 'exact', 'AR and AR');
  t.equal(levelsOf({ givenName: 'Jane' }).given, 'one_letter', 'AR against AN');
  t.equal(levelsOf({ givenName: 'Emma' }).given, 'different', 'AR against MM');
  t.equal(levelsOf({ givenName: null }).given, 'missing');
});

t.test('scorePair: birth date levels', async (t) => {
  t.equal(levelsOf({}).birthDate, 'exact');
  t.equal(levelsOf({ birthDate: '1980-01-02' }).birthDate, 'transposed', '1 February against 2 January');
  t.equal(levelsOf({ birthDate: '1980-01-02' }, { birthDate: '1980-02-01' }).birthDate, 'transposed', 'either way round');
  t.equal(levelsOf({ birthDate: '1980-02-02' }).birthDate, 'same_month_year', 'a day out');
  t.equal(levelsOf({ birthDate: '1980-02-28' }).birthDate, 'same_month_year', 'any day of the same month and year');
  t.equal(levelsOf({ birthDate: '1981-02-01' }).birthDate, 'same_day_month', 'a year out');
  t.equal(levelsOf({ birthDate: '1958-02-01' }).birthDate, 'same_day_month', 'any other year');
  t.equal(levelsOf({ birthDate: '1980-03-05' }).birthDate, 'same_year');
  t.equal(levelsOf({ birthDate: '1980-01-31' }).birthDate, 'same_year', 'a day out across a month end keeps only the year');
  t.equal(levelsOf({ birthDate: '1981-03-05' }).birthDate, 'different');
  t.equal(levelsOf({ birthDate: '1980-02-13' }, { birthDate: '1980-02-13' }).birthDate, 'exact', 'day over 12: no swapped form');

  // Tokens stored before the month-and-year and day-and-month tokens: the earlier levels.
  const old = (birthDate: string) => withoutDateParts(tokensOf({ birthDate }));
  t.equal(scorePair(old('1980-02-01'), old('1980-02-02'), DEFAULT_MODEL).levels.birthDate, 'same_year');
  t.equal(scorePair(old('1980-02-01'), old('1981-02-01'), DEFAULT_MODEL).levels.birthDate, 'different');
  t.equal(scorePair(tokensOf(), old('1980-02-02'), DEFAULT_MODEL).levels.birthDate, 'same_year', 'one old record is enough');
  t.equal(scorePair(old('1980-02-01'), old('1980-01-02'), DEFAULT_MODEL).levels.birthDate, 'transposed', 'transposition needs no new token');
  t.equal(
    scorePair(tokensOf({ birthDate: '1980-02-01' }), { ...tokensOf({ birthDate: '1980-02-02' }), birthMonthYear: null }, DEFAULT_MODEL).levels.birthDate,
    'same_year',
    'null as absent',
  );
});

t.test('date-part tokens: keyed, with their own purpose', async (t) => {
  const a = tokensOf({ birthDate: '1980-02-01' });
  const sameMonth = tokensOf({ birthDate: '1980-02-20' });
  const nextYear = tokensOf({ birthDate: '1981-02-01' });
  t.equal(a.birthMonthYear, sameMonth.birthMonthYear);
  t.not(a.birthMonthYear, nextYear.birthMonthYear);
  t.equal(a.birthDayMonth, nextYear.birthDayMonth);
  t.not(a.birthDayMonth, sameMonth.birthDayMonth);
  const all = [a.key, a.family, a.given, a.birthDate, a.birthYear, a.sex, a.birthMonthYear, a.birthDayMonth, ...a.familyPartial, ...a.givenPartial];
  t.equal(new Set(all).size, all.length, 'no token repeats another');
  t.not(deriveLinkageTokens(computeSlk581(base), 'another-secret-0123456789abcdef')!.birthMonthYear, a.birthMonthYear, 'depends on the secret');
  // 01/02 and 02/01 of different years: DDMM 0102 and MMYY… never collide across purposes.
  t.not(tokensOf({ birthDate: '2001-02-01' }).birthDayMonth, tokensOf({ birthDate: '1980-01-02' }).birthMonthYear);
  t.notOk(JSON.stringify(a).includes('1980'), 'no clear date part');
});

t.test('comparison patterns pack and unpack', async (t) => {
  t.equal(PATTERN_COUNT, 4 * 4 * BIRTH_DATE_LEVELS.length * 3);
  const seen = new Set<number>();
  for (let f = 0; f < 4; f++)
    for (let g = 0; g < 4; g++)
      for (let d = 0; d < BIRTH_DATE_LEVELS.length; d++)
        for (let x = 0; x < 3; x++) {
          const p = packPattern(f, g, d, x);
          t.ok(p >= 0 && p < PATTERN_COUNT);
          seen.add(p);
          if (unpackPattern(p).join() !== [f, g, d, x].join()) t.fail(`${f}/${g}/${d}/${x} round-trips`);
        }
  t.equal(seen.size, PATTERN_COUNT, 'every pattern is distinct');
});

t.test('u counts of the date levels match a count over every pair', async (t) => {
  const generated = generatePopulation({ people: 400, seed: 21 });
  // Every fifth record as stored before the date-part tokens.
  const tokens = tokenise(generated.records).map((r, i) => (i % 5 === 0 ? withoutDateParts(r.tokens) : r.tokens));
  const counts = countPairLevels(buildTokenTable(tokens));
  const brute: Record<string, number> = {};
  for (let i = 0; i < tokens.length; i++)
    for (let j = i + 1; j < tokens.length; j++) {
      const level = scorePair(tokens[i]!, tokens[j]!, DEFAULT_MODEL).levels.birthDate!;
      brute[level] = (brute[level] ?? 0) + 1;
    }
  for (const level of BIRTH_DATE_LEVELS) t.equal(counts.levels.birthDate![level], brute[level] ?? 0, level);
  t.ok(brute.same_month_year! > 0 && brute.same_day_month! > 0);

  const old = countPairLevels(buildTokenTable(tokens.map(withoutDateParts)));
  t.same(Object.keys(old.levels.birthDate!), ['exact', 'transposed', 'same_year', 'different'], 'no record has them: the levels are left out');
});

t.test('a stored model or data without the date-part levels weighs dates as before', async (t) => {
  const folded = withoutUnavailableLevels(DEFAULT_MODEL, { monthYear: false, dayMonth: false }).comparisons.birthDate!;
  t.same(Object.keys(folded), ['exact', 'transposed', 'same_year', 'different']);
  t.ok(Math.abs(folded.same_year!.m - 0.01) < 1e-12 && Math.abs(folded.same_year!.u - 0.0247) < 1e-12, 'same year: the earlier default');
  t.ok(Math.abs(folded.different!.m - 0.01) < 1e-12 && Math.abs(folded.different!.u - 0.975) < 1e-12, 'different: the earlier default');
  t.equal(withoutUnavailableLevels(DEFAULT_MODEL, { monthYear: true, dayMonth: true }), DEFAULT_MODEL);

  const stored: LinkageModel = { ...DEFAULT_MODEL, comparisons: { ...DEFAULT_MODEL.comparisons, birthDate: folded } };
  const dayOut = scorePair(tokensOf(), tokensOf({ birthDate: '1980-02-02' }), stored);
  t.equal(dayOut.levels.birthDate, 'same_month_year');
  t.equal(dayOut.partialWeights.birthDate, Math.log2(0.01 / 0.0247), 'a model stored before the level weighs it as same year');
  const yearOut = scorePair(tokensOf(), tokensOf({ birthDate: '1981-02-01' }), stored);
  t.equal(yearOut.partialWeights.birthDate, Math.log2(0.01 / 0.975), 'and a year out as different');
});

t.test('a date a year out is blocked on names and day and month, a day out on names and year', async (t) => {
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const, threshold: -100 };
  const yearOut: LinkageRecord[] = [
    { id: 1, tokens: tokensOf() },
    { id: 2, tokens: tokensOf({ birthDate: '1979-02-01' }) },
  ];
  const found = matchRecords(yearOut, options);
  t.equal(found.stats.candidatePairs, 1);
  t.equal(found.links[0]!.levels.birthDate, 'same_day_month');
  t.equal(
    matchRecords(
      yearOut.map((r) => ({ ...r, tokens: withoutDateParts(r.tokens) })),
      options,
    ).stats.candidatePairs,
    0,
    'without the day-and-month token there is no such block',
  );
  t.equal(
    matchRecords([yearOut[0]!, { id: 2, tokens: tokensOf({ birthDate: '1979-02-01', givenName: 'Jane' }) }], options).stats.candidatePairs,
    0,
    'a name wrong as well is beyond blocking',
  );
  const dayOut = matchRecords([yearOut[0]!, { id: 3, tokens: tokensOf({ birthDate: '1980-02-02' }) }], options);
  t.equal(dayOut.links[0]!.levels.birthDate, 'same_month_year');
  // With the default prior (100,000 records), same names and sex: a day out links, a year out
  // is weaker evidence (a birthday shared by chance is likelier than a month and year).
  const atDefault = (other: Partial<Slk581Input>) => scorePair(tokensOf(), tokensOf(other), DEFAULT_MODEL).weight;
  t.ok(atDefault({ birthDate: '1980-02-02' }) > atDefault({ birthDate: '1979-02-01' }));
  t.ok(atDefault({ birthDate: '1979-02-01' }) > atDefault({ birthDate: '1980-03-05' }), 'a year out beats only the year agreeing');
  t.ok(atDefault({ birthDate: '1980-03-05' }) > atDefault({ birthDate: '1975-03-05' }));
});

t.test('scorePair: sex levels, and the weight adds up', async (t) => {
  t.equal(levelsOf({ sex: 'female' }).sex, 'exact');
  t.equal(levelsOf({ sex: 'male' }).sex, 'different');
  t.equal(levelsOf({ sex: 'not_known' }).sex, 'missing');

  const same = scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL);
  const sum = Object.values(same.partialWeights).reduce((s, w) => s + w, same.priorWeight);
  t.ok(Math.abs(same.weight - sum) < 1e-9, 'weight = prior + partial weights');
  t.ok(same.weight > 5, `identical keys weigh ${same.weight.toFixed(1)}`);
  t.equal(scorePair(tokensOf(), tokensOf({ givenName: null }), DEFAULT_MODEL).partialWeights.given, 0, 'a missing value weighs 0');

  const ordered = [
    scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL).weight,
    scorePair(tokensOf(), tokensOf({ familyName: 'Smyth' }), DEFAULT_MODEL).weight,
    scorePair(tokensOf(), tokensOf({ familyName: 'Jones' }), DEFAULT_MODEL).weight,
    scorePair(tokensOf(), tokensOf({ familyName: 'Jones', birthDate: '1981-02-01' }), DEFAULT_MODEL).weight,
  ];
  t.same(
    [...ordered].sort((a, b) => b - a),
    ordered,
    'exact > one letter > different name > different name and date',
  );
  t.ok(scorePair(tokensOf(), tokensOf({ birthDate: '1980-01-02' }), DEFAULT_MODEL).weight > DEFAULT_THRESHOLD, 'a transposed date alone still links');
});

t.test('scorePair: attribute levels', async (t) => {
  const mary = { ethnicity: 'white_british', religion: 'christian', sexualOrientation: 'heterosexual', disability: 'no' };
  const other = { ethnicity: 'black_african', religion: null, sexualOrientation: 'heterosexual' };
  const scored = scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL, mary, other);
  t.same(
    ATTRIBUTE_NAMES.map((name) => scored.levels[name]),
    ['different', 'missing', 'exact', 'missing', 'missing'],
    'null and absent are missing',
  );
  const { exact, different } = DEFAULT_MODEL.comparisons.ethnicity!;
  t.ok(Math.abs(scored.partialWeights.ethnicity! - Math.log2(different!.m / different!.u)) < 1e-12, 'different ethnicity: log2(m / u) < 0');
  t.ok(scored.partialWeights.ethnicity! < 0);
  t.equal(scored.partialWeights.religion, 0, 'a missing attribute weighs 0');
  t.equal(scored.partialWeights.disability, 0);
  t.ok(scored.partialWeights.sexualOrientation! > 0, 'agreement on a common value is weak evidence for');
  const agreeing = scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL, mary, mary);
  t.ok(Math.abs(agreeing.partialWeights.ethnicity! - Math.log2(exact!.m / exact!.u)) < 1e-12);
  const sum = Object.values(agreeing.partialWeights).reduce((s, w) => s + w, agreeing.priorWeight);
  t.ok(Math.abs(agreeing.weight - sum) < 1e-9, 'weight = prior + partial weights, attributes included');

  const plain = scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL);
  t.notOk('ethnicity' in plain.levels, 'without attributes, no attribute comparisons are reported');
  t.same(scorePair(tokensOf(), tokensOf(), DEFAULT_MODEL, {}, {}).weight, plain.weight, 'empty attributes weigh nothing');
  const stored: LinkageModel = { ...DEFAULT_MODEL, comparisons: { ...DEFAULT_MODEL.comparisons } };
  for (const name of ATTRIBUTE_NAMES) delete stored.comparisons[name];
  t.equal(
    scorePair(tokensOf(), tokensOf(), stored, mary, other).weight,
    scorePair(tokensOf(), tokensOf(), stored).weight,
    'a model stored before attributes gives them weight 0',
  );
});

const population = generatePopulation({ people: 1500, seed: 99 });
const records = tokenise(population.records);
const truth = population.records.map((r) => r.personId);

t.test('EM on synthetic data gives sensible m and u', async (t) => {
  const big = generatePopulation({ people: 6000, seed: 3 });
  const model = estimateModel(tokenise(big.records));
  t.match(model.version, /^em-/, 'estimated, not the defaults');
  for (const comparison of ['family', 'given', 'birthDate', 'sex']) {
    const { exact, different } = model.comparisons[comparison]!;
    t.ok(exact!.m > exact!.u * (comparison === 'sex' ? 1 : 10), `${comparison}: exact m ${exact!.m.toFixed(3)} > u ${exact!.u.toExponential(1)}`);
    t.ok(different!.m < different!.u, `${comparison}: different m ${different!.m.toFixed(3)} < u ${different!.u.toFixed(3)}`);
  }
  t.ok(model.comparisons.family!.exact!.m > 0.85 && model.comparisons.family!.exact!.m < 0.97, 'about 1 in 10 pairs has a family-name difference');
  t.ok(model.comparisons.birthDate!.transposed!.m > 0.005 && model.comparisons.birthDate!.transposed!.m < 0.03, 'transpositions found');
  t.ok(model.comparisons.birthDate!.transposed!.m > model.comparisons.birthDate!.transposed!.u * 100, 'a transposed date is strong evidence');
  const dates = model.comparisons.birthDate!;
  t.same(Object.keys(dates), [...BIRTH_DATE_LEVELS], 'every date level');
  t.ok(dates.same_month_year!.m > dates.same_month_year!.u && dates.same_day_month!.m > dates.same_day_month!.u, 'a date with one part wrong is evidence for');
  t.ok(
    dates.same_month_year!.u < dates.same_year!.u && dates.same_day_month!.u < 0.005,
    `u of a day out ${dates.same_month_year!.u.toFixed(4)}, of a year out ${dates.same_day_month!.u.toFixed(4)}`,
  );
  const total = (side: 'm' | 'u') => Object.values(dates).reduce((sum, level) => sum + level[side], 0);
  t.ok(Math.abs(total('m') - 1) < 1e-9 && Math.abs(total('u') - 1) < 1e-9, 'm and u each sum to 1');
  // True λ: pairs of records of the same person over all pairs.
  const sizes = new Map<number, number>();
  for (const r of big.records) sizes.set(r.personId, (sizes.get(r.personId) ?? 0) + 1);
  const truePairs = [...sizes.values()].reduce((s, n) => s + (n * (n - 1)) / 2, 0);
  const lambda = truePairs / ((big.records.length * (big.records.length - 1)) / 2);
  const ratio = model.priorMatchProbability / lambda;
  t.ok(ratio > 0.8 && ratio < 1.25, `λ ${model.priorMatchProbability.toExponential(2)} against true ${lambda.toExponential(2)}`);
});

t.test('a small population links accurately', async (t) => {
  const result = matchRecords(records, {});
  const accuracy = measureAccuracy(
    truth,
    records.map((r) => result.personOf.get(r.id)!),
  );
  t.ok(accuracy.f1 >= 0.98, `pairwise F1 ${accuracy.f1.toFixed(4)} (precision ${accuracy.precision.toFixed(4)}, recall ${accuracy.recall.toFixed(4)})`);
  t.ok(
    Math.abs(accuracy.peopleError) <= 0.01,
    `people ${accuracy.estimatedPeople} against ${accuracy.truePeople} (${(accuracy.peopleError * 100).toFixed(2)}%)`,
  );
  const exact = new Map<string, number>();
  const exactAccuracy = measureAccuracy(
    truth,
    records.map((r) => exact.get(r.tokens.key) ?? (exact.set(r.tokens.key, r.id), r.id)),
  );
  t.ok(accuracy.f1 > exactAccuracy.f1 + 0.05, `better than exact keys (F1 ${exactAccuracy.f1.toFixed(4)})`);
  t.equal(result.stats.clusters, accuracy.estimatedPeople);
  t.ok(result.links.every((l) => l.a < l.b && l.weight >= DEFAULT_THRESHOLD));
  t.equal(result.links.length, records.length - result.stats.clusters, 'links form a spanning forest');
});

function fingerprint(result: MatchResult): string[] {
  const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  return [
    hash(
      [...result.personOf]
        .sort((a, b) => a[0] - b[0])
        .map(([a, b]) => `${a}:${b}`)
        .join(','),
    ),
    hash(result.links.map((l) => `${l.a}-${l.b}:${l.weight.toFixed(9)}`).join(',')),
  ];
}

t.test('records stored before attributes and date-part tokens link exactly as before', async (t) => {
  // Fingerprints of personOf and of the links' weights taken with the matcher before attributes
  // and the date-part levels were added, at the threshold of the time (0): the default model
  // (1,500 people) and an EM model (6,000 people), both with the short name lists of the time.
  const old = (people: number, seed: number) =>
    tokenise(generatePopulation({ people, seed, names: 'short' }).records).map((r) => ({ ...r, tokens: withoutDateParts(r.tokens) }));
  // Average linkage (added later) is a clustering rule, not a model change: off here.
  const before = { threshold: 0, minMeanCrossWeight: false } as const;
  t.same(fingerprint(matchRecords(old(1500, 99), before)), ['3e865554ea5cf234', '31787de4e8689ef2'], 'default model');
  const result = matchRecords(old(6000, 3), before);
  // Re-taken when blocking was bounded (every rule pairs a date part with a name part, blocking.ts):
  // the EM model is the same, but pairs sharing only a birth date are no longer compared.
  t.same(fingerprint(result), ['a29d50a524d68faf', 'c9b552c898e96ad1'], 'EM model');
  t.notOk('same_month_year' in result.model.comparisons.birthDate!, 'no date-part levels are estimated from data without them');
  t.notOk('ethnicity' in result.model.comparisons, 'no attribute comparisons are estimated from data without them');
  t.ok(
    result.links.every((l) => !('ethnicity' in l.levels)),
    'nor reported on links',
  );

  const allNull = records.map((r) => ({ ...r, attributes: { ethnicity: null, religion: null, sexualOrientation: null, disability: null } }));
  t.same(fingerprint(matchRecords(allNull, {})), fingerprint(matchRecords(records, {})), 'attributes all not known: the same as none');
  const withAttributes = records.map((r, i) => ({ ...r, attributes: population.records[i]!.attributes }));
  const stored: LinkageModel = { ...DEFAULT_MODEL, comparisons: { ...DEFAULT_MODEL.comparisons } };
  for (const name of ATTRIBUTE_NAMES) delete stored.comparisons[name];
  t.same(
    [...matchRecords(withAttributes, { model: stored }).personOf],
    [...matchRecords(records, { model: stored }).personOf],
    'a stored model without attribute comparisons ignores attributes',
  );
});

t.test('attributes improve linkage of a small population', async (t) => {
  for (const [people, seed] of [
    [1500, 99],
    [6000, 3],
  ] as const) {
    const generated = generatePopulation({ people, seed });
    const plain = tokenise(generated.records);
    const withAttributes = plain.map((r, i) => ({ ...r, attributes: generated.records[i]!.attributes }));
    const groundTruth = generated.records.map((r) => r.personId);
    const accuracyOf = (input: LinkageRecord[]) => {
      const result = matchRecords(input, {});
      return measureAccuracy(
        groundTruth,
        input.map((r) => result.personOf.get(r.id)!),
      );
    };
    const without = accuracyOf(plain);
    const withThem = accuracyOf(withAttributes);
    const label = `${generated.records.length} records`;
    t.ok(withThem.f1 >= without.f1, `${label}: F1 ${withThem.f1.toFixed(4)} with attributes, ${without.f1.toFixed(4)} without`);
    t.ok(withThem.f1 >= 0.98, `${label}: F1 ${withThem.f1.toFixed(4)} (precision ${withThem.precision.toFixed(4)}, recall ${withThem.recall.toFixed(4)})`);
    t.ok(withThem.precision > without.precision, `${label}: precision ${withThem.precision.toFixed(4)} against ${without.precision.toFixed(4)}`);
    t.ok(Math.abs(withThem.peopleError) <= 0.015, `${label}: people ${(withThem.peopleError * 100).toFixed(2)}% out`);
  }
});

t.test('EM estimates attribute m and u', async (t) => {
  const generated = generatePopulation({ people: 6000, seed: 3 });
  const model = estimateModel(tokenise(generated.records).map((r, i) => ({ ...r, attributes: generated.records[i]!.attributes })));
  t.notOk('serviceArea' in model.comparisons, 'one area (none given): no area comparison');
  for (const name of PERSON_ATTRIBUTES) {
    const { exact, different } = model.comparisons[name]!;
    t.ok(exact!.m > 0.9 && exact!.m < 0.98, `${name}: exact m ${exact!.m.toFixed(3)} (3% recorded wrongly per record)`);
    t.ok(Math.abs(exact!.u - DEFAULT_MODEL.comparisons[name]!.exact!.u) < 0.05, `${name}: exact u ${exact!.u.toFixed(3)} near the default`);
    t.ok(Math.abs(exact!.m + different!.m - 1) < 1e-9 && Math.abs(exact!.u + different!.u - 1) < 1e-9);
  }
});

t.test('deterministic, whatever the input order; person id is the smallest record id', async (t) => {
  const model = estimateModel(records);
  const first = matchRecords(records, { model });
  const reversed = matchRecords([...records].reverse(), { model });
  t.same(
    [...reversed.personOf].sort((a, b) => a[0] - b[0]),
    [...first.personOf].sort((a, b) => a[0] - b[0]),
  );
  t.same(reversed.links, first.links);
  const members = new Map<number, number[]>();
  for (const [id, person] of first.personOf) members.set(person, [...(members.get(person) ?? []), id]);
  t.ok([...members].every(([person, ids]) => person === Math.min(...ids)));
});

t.test('re-matching a subset with a fixed model reproduces its clusters', async (t) => {
  // A closed neighbourhood: the records born before 1980 and everything that shares a blocking
  // key with them, transitively (a year out crosses 1980 through names, day and month).
  const model = estimateModel(records);
  const termFrequencies = computeTermFrequencies(records);
  const full = matchRecords(records, { model, termFrequencies });
  const birthYear = new Map(population.records.map((r) => [r.id, Number(r.slk581.slice(9, 13))]));
  const blockingKeys = ({ tokens: k }: LinkageRecord) => [
    `d:${k.birthDate}`,
    ...(k.birthDateSwapped ? [`d:${k.birthDateSwapped}`] : []),
    ...(k.family && k.given ? [`y:${k.family}:${k.given}:${k.birthYear}`, `m:${k.family}:${k.given}:${k.birthDayMonth}`] : []),
  ];
  const closed = new Set(records.filter((r) => birthYear.get(r.id)! < 1980));
  for (let grew = true; grew;) {
    grew = false;
    const keys = new Set([...closed].flatMap(blockingKeys));
    for (const r of records)
      if (!closed.has(r) && blockingKeys(r).some((k) => keys.has(k))) {
        closed.add(r);
        grew = true;
      }
  }
  const subset = records.filter((r) => closed.has(r));
  t.ok(subset.length > 300 && subset.length < records.length - 300);
  const partial = matchRecords(subset, { model, termFrequencies });
  const moved = subset.filter((r) => partial.personOf.get(r.id) !== full.personOf.get(r.id));
  t.equal(moved.length, 0, `all ${subset.length} records keep their person ids`);
  t.equal(partial.personOf.size, subset.length);
});

t.test('the chaining guard: a record without a given name cannot bridge two namesakes', async (t) => {
  const chain: LinkageRecord[] = [
    { id: 1, tokens: tokensOf({ givenName: 'Mary' }) },
    { id: 2, tokens: tokensOf({ givenName: null }) },
    { id: 3, tokens: tokensOf({ givenName: 'Holly' }) },
  ];
  // At −1, where A and C (twins, say) do not link on their own; without average linkage, so the
  // contradiction guard alone is tested.
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const, threshold: -1, minMeanCrossWeight: false as const };
  t.ok(scorePair(chain[0]!.tokens, chain[1]!.tokens, DEFAULT_MODEL).weight >= -1, 'A–B links');
  t.ok(scorePair(chain[1]!.tokens, chain[2]!.tokens, DEFAULT_MODEL).weight >= -1, 'B–C links');
  t.ok(scorePair(chain[0]!.tokens, chain[2]!.tokens, DEFAULT_MODEL).weight < -1, 'A–C do not');
  t.equal(scorePair(chain[0]!.tokens, chain[2]!.tokens, DEFAULT_MODEL).levels.given, 'different', 'A and C disagree');
  const result = matchRecords(chain, options);
  t.equal(result.stats.linkedPairs, 2);
  t.equal(result.stats.refusedMerges, 1);
  t.same(
    [result.personOf.get(1), result.personOf.get(2), result.personOf.get(3)],
    [1, 1, 3],
    'the first (tied, so lowest ids) link wins; the bridge is refused',
  );
  const unguarded = matchRecords(chain, { ...options, contradictionMargin: Infinity });
  t.equal(new Set(unguarded.personOf.values()).size, 1, 'without the guard, all three would be one person');
});

t.test('attributes decide which namesake a record without a given name joins', async (t) => {
  // Without attributes the two links tie and the lowest ids win (see above); here B's attributes
  // agree with C's and disagree with A's, which outweighs the tie.
  const chain: LinkageRecord[] = [
    { id: 1, tokens: tokensOf({ givenName: 'Holly' }), attributes: { ethnicity: 'black_african', religion: 'muslim' } },
    { id: 2, tokens: tokensOf({ givenName: null }), attributes: { ethnicity: 'white_british', religion: 'christian' } },
    { id: 3, tokens: tokensOf({ givenName: 'Mary' }), attributes: { ethnicity: 'white_british', religion: 'christian', disability: 'no' } },
  ];
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const, threshold: -1 };
  const plain = matchRecords(
    chain.map(({ id, tokens }) => ({ id, tokens })),
    options,
  );
  t.same([plain.personOf.get(1), plain.personOf.get(2), plain.personOf.get(3)], [1, 1, 3], 'without attributes: B joins A');
  const result = matchRecords(chain, options);
  t.same([result.personOf.get(1), result.personOf.get(2), result.personOf.get(3)], [1, 2, 2], 'with them: B joins C');
  t.ok(
    result.links.every((l) => l.levels.ethnicity === 'exact'),
    'links report attribute levels',
  );
});

t.test('the size cap', async (t) => {
  const same: LinkageRecord[] = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, tokens: tokensOf() }));
  const capped = matchRecords(same, { model: DEFAULT_MODEL, termFrequencies: false, maxClusterSize: 3 });
  const sizes = new Map<number, number>();
  for (const person of capped.personOf.values()) sizes.set(person, (sizes.get(person) ?? 0) + 1);
  t.ok(
    [...sizes.values()].every((n) => n <= 3),
    `cluster sizes ${[...sizes.values()].join(', ')}`,
  );
  t.ok(capped.stats.refusedMerges > 0);
  t.equal(new Set(matchRecords(same, { model: DEFAULT_MODEL, termFrequencies: false }).personOf.values()).size, 1, 'uncapped: one person');
});

t.test('term-frequency adjustments', async (t) => {
  const pair: LinkageRecord[] = [
    { id: 1, tokens: tokensOf() },
    { id: 2, tokens: tokensOf() },
  ];
  const options = { model: DEFAULT_MODEL, threshold: -100 };
  const plain = matchRecords(pair, { ...options, termFrequencies: false }).links[0]!.weight;
  const u = DEFAULT_MODEL.comparisons.family!.exact!.u;
  const shares = { family: new Map([[tokensOf().family!, 0.01]]), given: new Map(), birthDate: new Map() };
  const byShare = matchRecords(pair, { ...options, termFrequencies: shares }).links[0]!.weight;
  t.ok(Math.abs(byShare - plain - Math.log2(u / 0.01)) < 1e-9, 'a common family name weighs log2(u / share) less');
  const rare = { family: { counts: new Map([[tokensOf().family!, 2]]), total: 10001 }, given: new Map(), birthDate: new Map() };
  const byCount = matchRecords(pair, { ...options, termFrequencies: rare }).links[0]!.weight;
  t.ok(Math.abs(byCount - plain - Math.log2(u / (1 / 10000))) < 1e-9, 'counts leave one holder out: a name only these two hold has a share of 1 in 10,000');
});

t.test('edge cases', async (t) => {
  t.same(matchRecords([], {}).stats, { candidatePairs: 0, linkedPairs: 0, clusters: 0, refusedMerges: 0, exactKeyMerges: 0, exactKeyBelowThreshold: 0 });
  const one = matchRecords([{ id: 5, tokens: tokensOf() }], {});
  t.same([...one.personOf], [[5, 5]]);
  const small = estimateModel([{ id: 1, tokens: tokensOf() }]);
  t.same(small.comparisons, DEFAULT_MODEL.comparisons, 'too little data: default m and u');
});

t.test('average linkage: a record that looks like one member of a cluster but not the others stays out', async (t) => {
  // X1–R links (a new family name, or a namesake); R against X2 and X3, which have no given name,
  // has only the birth date for it. No cross pair disagrees more than the link does (family
  // different in every one), so only the mean keeps R out.
  const cluster: LinkageRecord[] = [
    { id: 1, tokens: tokensOf() },
    { id: 2, tokens: tokensOf({ givenName: null }) },
    { id: 3, tokens: tokensOf({ givenName: null }) },
    { id: 4, tokens: tokensOf({ familyName: 'Jones' }) },
  ];
  const options = { model: DEFAULT_MODEL, termFrequencies: false as const };
  const link = scorePair(cluster[0]!.tokens, cluster[3]!.tokens, DEFAULT_MODEL).weight;
  const cross = scorePair(cluster[1]!.tokens, cluster[3]!.tokens, DEFAULT_MODEL).weight;
  t.ok(link >= DEFAULT_THRESHOLD, `X1–R links (${link.toFixed(2)})`);
  t.ok((link + 2 * cross) / 3 < DEFAULT_THRESHOLD, `the mean over R's cross pairs is ${((link + 2 * cross) / 3).toFixed(2)}`);
  const result = matchRecords(cluster, options);
  t.same(
    [1, 2, 3, 4].map((id) => result.personOf.get(id)),
    [1, 1, 1, 4],
  );
  t.equal(result.stats.refusedMerges, 1);
  const single = matchRecords(cluster, { ...options, minMeanCrossWeight: false });
  t.equal(new Set(single.personOf.values()).size, 1, 'without it, R joins the cluster');
  const lenient = matchRecords(cluster, { ...options, minMeanCrossWeight: -10 });
  t.equal(new Set(lenient.personOf.values()).size, 1, 'a lower bar lets it in');
});

t.test('the service area: estimated from data with several areas, left out with one', async (t) => {
  const generated = generatePopulation({ people: 6000, seed: 3, areas: 3 });
  const plain = tokenise(generated.records);
  const withArea = plain.map((r, i) => ({ ...r, attributes: { ...generated.records[i]!.attributes, serviceArea: generated.records[i]!.area } }));
  const model = estimateModel(withArea);
  const area = model.comparisons.serviceArea!;
  t.ok(area, 'an area comparison is estimated');
  // 20% of records out of area: a person's two records share an area about 0.8² of the time.
  t.ok(area.exact!.m > 0.55 && area.exact!.m < 0.75, `exact m ${area.exact!.m.toFixed(3)}`);
  t.ok(area.exact!.u > 0.25 && area.exact!.u < 0.45, `exact u ${area.exact!.u.toFixed(3)} (three areas of unequal size)`);
  t.ok(Math.log2(area.different!.m / area.different!.u) < 0, 'a different area is evidence against');

  const oneArea = plain.map((r, i) => ({ ...r, attributes: { ...generated.records[i]!.attributes, serviceArea: 'E09000001' } }));
  t.notOk('serviceArea' in estimateModel(oneArea).comparisons, 'one area for every record says nothing');
  const withoutArea = plain.map((r, i) => ({ ...r, attributes: generated.records[i]!.attributes }));
  t.same([...matchRecords(oneArea, {}).personOf], [...matchRecords(withoutArea, {}).personOf], 'and links as if there were no area');

  // Two namesakes (their attributes tell them apart) and a record under a new family name that
  // the key links to both equally: the area decides which one she is.
  const pair = (area: string): LinkageRecord[] => [
    { id: 1, tokens: tokensOf({ familyName: 'Jones' }), attributes: { ethnicity: 'arab', religion: 'muslim', serviceArea: 'A001' } },
    { id: 2, tokens: tokensOf({ familyName: 'Brown' }), attributes: { ethnicity: 'white_irish', religion: 'christian', serviceArea: 'A002' } },
    { id: 3, tokens: tokensOf({ familyName: 'Smith' }), attributes: { serviceArea: area } },
  ];
  const scored = scorePair(tokensOf(), tokensOf(), model, { serviceArea: 'A001' }, { serviceArea: 'A001' });
  t.ok(scored.partialWeights.serviceArea! > 0, 'the same area is evidence for');
  for (const [home, person] of [
    ['A001', 1],
    ['A002', 2],
  ] as const) {
    const result = matchRecords(pair(home), { model, termFrequencies: false });
    t.same(
      [1, 2, 3].map((id) => result.personOf.get(id)),
      [1, 2, person],
      `a record in ${home} joins the namesake there`,
    );
  }
});
