import t from 'tap';
import { parseSlk581, SLK581_PATTERN } from '../../src/lib/slk581.js';
import {
  ATTRIBUTE_DISTRIBUTIONS,
  createRandom,
  FAMILY_NAMES,
  FEMALE_GIVEN_NAMES,
  generatePopulation,
  MALE_GIVEN_NAMES,
  FAMILY_NAME_TAIL,
  FEMALE_GIVEN_NAME_TAIL,
  MALE_GIVEN_NAME_TAIL,
  type SyntheticRecord,
} from '../support/synthetic.js';

/** Over pairs of one person's records where both have a value, the share that agree on it. */
function shareOfPersonPairsAgreeing(records: readonly SyntheticRecord[], valueOf: (r: SyntheticRecord) => string | null): number {
  const byPerson = new Map<number, string[]>();
  for (const r of records) {
    const value = valueOf(r);
    if (value !== null) byPerson.set(r.personId, [...(byPerson.get(r.personId) ?? []), value]);
  }
  let pairs = 0;
  let agreeing = 0;
  for (const values of byPerson.values())
    for (let x = 0; x < values.length; x++)
      for (let y = x + 1; y < values.length; y++) {
        pairs++;
        if (values[x] === values[y]) agreeing++;
      }
  return agreeing / pairs;
}

t.test('the same seed gives the same population, another seed a different one', async (t) => {
  const a = generatePopulation({ people: 500, seed: 42 });
  const b = generatePopulation({ people: 500, seed: 42 });
  const c = generatePopulation({ people: 500, seed: 43 });
  t.same(a, b);
  t.not(JSON.stringify(a.records), JSON.stringify(c.records));
});

t.test('every key is a valid SLK-581 and ids are 1..n', async (t) => {
  const { records, people } = generatePopulation({ people: 2000, seed: 7 });
  const pattern = new RegExp(SLK581_PATTERN);
  t.ok(records.every((r) => pattern.test(r.slk581) && parseSlk581(r.slk581) !== null));
  t.same(
    records.map((r) => r.id).sort((x, y) => x - y),
    records.map((_, i) => i + 1),
  );
  t.equal(new Set(records.map((r) => r.personId)).size, people, 'everyone has at least one record');
});

t.test('shape of the population: records per person, services, sex, ages', async (t) => {
  const { records, people } = generatePopulation({ people: 5000, seed: 11 });
  const mean = records.length / people;
  t.ok(mean > 1.6 && mean < 1.8, `mean records per person ${mean.toFixed(2)} is about 1.7`);
  const byPerson = new Map<number, string[]>();
  for (const r of records) byPerson.set(r.personId, [...(byPerson.get(r.personId) ?? []), r.service]);
  t.ok(
    [...byPerson.values()].every((services) => services.length <= 4 && new Set(services).size === services.length),
    'one record per service, at most 4',
  );
  const female = records.filter((r) => r.slk581.endsWith('2')).length / records.length;
  t.ok(female > 0.88 && female < 0.95, `female share ${female.toFixed(3)}`);
  const years = records.map((r) => Number(r.slk581.slice(9, 13)));
  t.ok(Math.min(...years) >= 1942 && Math.max(...years) <= 2009, 'born 1942–2009 (aged 16–80 in 2024), give or take a recorded year');
});

t.test('errors reach the keys at about the configured rates', async (t) => {
  const clean = generatePopulation({
    people: 3000,
    seed: 5,
    errorRates: { familyTypo: 0, givenTypo: 0, dayMonthSwap: 0, birthDateOff: 0, givenMissing: 0, familyChanged: 0, sexMissing: 0 },
    twinRate: 0,
  });
  const byPerson = new Map<number, Set<string>>();
  for (const r of clean.records) byPerson.set(r.personId, (byPerson.get(r.personId) ?? new Set()).add(r.slk581));
  t.ok(
    [...byPerson.values()].every((keys) => keys.size === 1),
    'without errors, a person has one key',
  );

  const noisy = generatePopulation({ people: 20000, seed: 5 });
  const missingGiven = noisy.records.filter((r) => r.slk581.slice(3, 5) === '99').length / noisy.records.length;
  t.ok(missingGiven > 0.02 && missingGiven < 0.04, `given name missing in ${(missingGiven * 100).toFixed(1)}% (3% configured)`);
  const sexMissing = noisy.records.filter((r) => r.slk581.endsWith('9')).length / noisy.records.length;
  t.ok(sexMissing > 0.005 && sexMissing < 0.015, `sex not stated in ${(sexMissing * 100).toFixed(1)}% (1% configured)`);
});

t.test('name lists: mixed origins, short names, no duplicates', async (t) => {
  t.ok(FAMILY_NAMES.length >= 300 && new Set(FAMILY_NAMES).size === FAMILY_NAMES.length);
  t.ok(FEMALE_GIVEN_NAMES.length >= 200 && new Set(FEMALE_GIVEN_NAMES).size === FEMALE_GIVEN_NAMES.length);
  t.ok(MALE_GIVEN_NAMES.length > 0);
  for (const name of ['Ng', 'Li', 'Ali', 'Patel', 'Okafor', 'Nowak', "O'Brien"]) t.ok(FAMILY_NAMES.includes(name), name);
  t.ok(FEMALE_GIVEN_NAMES.includes('Jo'));
});

t.test('the random generator is seeded and uniform enough', async (t) => {
  const a = createRandom(1);
  const b = createRandom(1);
  const draws = Array.from({ length: 10000 }, () => a());
  t.same(
    draws.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  t.ok(
    draws.every((x) => x >= 0 && x < 1),
    'in [0, 1)',
  );
  const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
  t.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean.toFixed(3)}`);
});

t.test('attributes: London-like shares, not known and wrongly recorded at the configured rates', async (t) => {
  const { records } = generatePopulation({ people: 20000, seed: 8 });
  const share = (key: 'ethnicity' | 'religion' | 'sexualOrientation' | 'disability', value: string) =>
    records.filter((r) => r.attributes[key] === value).length / records.filter((r) => r.attributes[key] !== null).length;
  const near = (actual: number, expected: number, label: string) =>
    t.ok(Math.abs(actual - expected) < expected * 0.1 + 0.005, `${label}: ${(actual * 100).toFixed(1)}% (about ${(expected * 100).toFixed(1)}%)`);
  near(share('ethnicity', 'white_british'), 0.37, 'white British');
  near(share('religion', 'christian'), 0.4 / 0.926, 'Christian, of those stated');
  near(share('sexualOrientation', 'heterosexual'), 0.89 / 0.95, 'heterosexual, of those stated');
  near(share('disability', 'yes'), 0.17, 'disabled');
  const ethnicityUnknown = records.filter((r) => r.attributes.ethnicity === null).length / records.length;
  near(ethnicityUnknown, 0.15, 'ethnicity not known');
  for (const [key, values] of Object.entries(ATTRIBUTE_DISTRIBUTIONS)) {
    const total = values.reduce((sum, [, p]) => sum + p, 0);
    t.ok(total <= 1 + 1e-9, `${key} shares sum to ${total.toFixed(3)}`);
  }

  // Pairs of one person's records, both known: they disagree when either was recorded wrongly.
  near(1 - shareOfPersonPairsAgreeing(records, (r) => r.attributes.ethnicity), 1 - 0.97 ** 2, "one person's records disagreeing on ethnicity");

  const clean = generatePopulation({ people: 3000, seed: 8, errorRates: { attributeNotKnown: 0, attributeWrong: 0 } });
  const attributesOf = new Map<number, string>();
  t.ok(
    clean.records.every((r) => {
      const text = JSON.stringify(r.attributes);
      return (attributesOf.get(r.personId) ?? attributesOf.set(r.personId, text).get(r.personId)) === text;
    }),
    "without errors, a person's records agree",
  );
});

t.test('attributes do not change the keys a seed gives', async (t) => {
  const a = generatePopulation({ people: 2000, seed: 12 });
  const b = generatePopulation({ people: 2000, seed: 12, errorRates: { attributeNotKnown: 0.5, attributeWrong: 0.2 } });
  t.same(
    a.records.map((r) => [r.id, r.personId, r.slk581]),
    b.records.map((r) => [r.id, r.personId, r.slk581]),
  );
});

t.test('long-tailed names: many plausible names, the same every run, about 1% for the commonest', async (t) => {
  t.ok(FAMILY_NAME_TAIL.length > 20_000, `${FAMILY_NAME_TAIL.length} family names in the tail`);
  t.equal(FEMALE_GIVEN_NAME_TAIL.length, 5000);
  t.equal(MALE_GIVEN_NAME_TAIL.length, 2000);
  for (const [tail, head] of [
    [FAMILY_NAME_TAIL, FAMILY_NAMES],
    [FEMALE_GIVEN_NAME_TAIL, FEMALE_GIVEN_NAMES],
    [MALE_GIVEN_NAME_TAIL, MALE_GIVEN_NAMES],
  ] as const) {
    const lower = new Set(head.map((n) => n.toLowerCase()));
    t.equal(new Set(tail.map((n) => n.toLowerCase())).size, tail.length, 'no duplicates');
    t.ok(
      tail.every((n) => !lower.has(n.toLowerCase()) && /^[A-Z][a-z]{2,}$/.test(n)),
      'none repeats a head name; letters only, three at least',
    );
  }
  t.ok(FAMILY_NAME_TAIL.includes('Pickmore'), 'deterministic: the same lists every run');

  const clean = { familyTypo: 0, givenTypo: 0, dayMonthSwap: 0, birthDateOff: 0, givenMissing: 0, familyChanged: 0, sexMissing: 0 };
  const shares = (names: 'long-tail' | 'short') => {
    const { records } = generatePopulation({ people: 40000, seed: 13, names, errorRates: clean, twinRate: 0 });
    const first = new Map<number, string>();
    for (const r of records) if (!first.has(r.personId)) first.set(r.personId, r.slk581.slice(0, 3));
    const counts = new Map<string, number>();
    for (const letters of first.values()) counts.set(letters, (counts.get(letters) ?? 0) + 1);
    const n = first.size;
    let agreeing = 0;
    for (const c of counts.values()) agreeing += c * (c - 1);
    return { distinct: counts.size, u: agreeing / (n * (n - 1)), smith: (counts.get('MIH') ?? 0) / n };
  };
  const long = shares('long-tail');
  const short = shares('short');
  t.ok(long.distinct > short.distinct * 3, `family letters: ${long.distinct} distinct against ${short.distinct}`);
  t.ok(long.u < short.u * 0.75, `two people share family letters ${(long.u * 100).toFixed(2)}% of the time against ${(short.u * 100).toFixed(2)}%`);
  t.ok(long.smith > 0.01 && long.smith < 0.03, `MIH (Smith and others) ${(long.smith * 100).toFixed(1)}%`);
});

t.test('short name lists: the generator as it was, from the head lists alone', async (t) => {
  const { records } = generatePopulation({ people: 3000, seed: 4, names: 'short', errorRates: { familyTypo: 0, familyChanged: 0 } });
  const head = new Set(
    FAMILY_NAMES.map((name) => {
      const l = name.replace(/[^A-Za-z]/g, '').toUpperCase();
      return [l[1] ?? '2', l[2] ?? '2', l[4] ?? '2'].join('');
    }),
  );
  t.ok(
    records.every((r) => head.has(r.slk581.slice(0, 3))),
    'every family part comes from a head name',
  );
  const long = generatePopulation({ people: 3000, seed: 4, errorRates: { familyTypo: 0, familyChanged: 0 } });
  t.notOk(
    long.records.every((r) => head.has(r.slk581.slice(0, 3))),
    'the default draws from the tail too',
  );
});

t.test('areas: each person lives in one, records out of area at the configured rate, keys unchanged', async (t) => {
  const one = generatePopulation({ people: 4000, seed: 11 });
  t.ok(
    one.records.every((r) => r.area === 'A001'),
    'one area unless told',
  );
  const spread = generatePopulation({ people: 4000, seed: 11, areas: 20 });
  t.same(
    spread.records.map((r) => [r.slk581, r.attributes]),
    one.records.map((r) => [r.slk581, r.attributes]),
    'areas come from a stream of their own: the same keys and attributes',
  );
  const used = new Map<string, number>();
  for (const r of spread.records) used.set(r.area, (used.get(r.area) ?? 0) + 1);
  t.equal(used.size, 20);
  const sizes = [...used.values()].sort((a, b) => a - b);
  t.ok(sizes[19]! / sizes[0]! > 1.5 && sizes[19]! / sizes[0]! < 8, `areas differ in size (${sizes[0]} to ${sizes[19]} records)`);

  // Pairs of one person's records share an area about 0.8² + 0.2² / 19 of the time.
  const same = shareOfPersonPairsAgreeing(spread.records, (r) => r.area);
  t.ok(Math.abs(same - 0.64) < 0.05, `${(100 * same).toFixed(1)}% of a person's pairs of records share an area`);
  const none = generatePopulation({ people: 2000, seed: 11, areas: 20, outOfAreaRate: 0 });
  const homes = new Map<number, Set<string>>();
  for (const r of none.records) homes.set(r.personId, (homes.get(r.personId) ?? new Set()).add(r.area));
  t.ok(
    [...homes.values()].every((s) => s.size === 1),
    'with no out-of-area rate, every record is in the home area',
  );
});
