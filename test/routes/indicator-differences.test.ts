/**
 * Every indicator whose figure is a difference of published figures is protected, found without
 * trusting what the indicators declare.
 *
 * 1. Each record of a varied fixture is submitted in a scope of its own, and the indicators of each
 *    scope are read through the API: every published count (a numerator, a rate's denominator) is then
 *    a vector over the records, and a count over any set of records is that vector summed.
 * 2. Every count that is another less one, two or three others, for every set of records (b ≤ a, or
 *    b + c (+ d) ≤ a, record by record), is a figure published by subtraction: a part of the referrals, a
 *    complement, an unknown share. These are found from the vectors alone.
 * 3. For each, a query set (records in multiples) makes that difference small while every term of it is
 *    at or above the threshold. With primary suppression only, the small count follows from the
 *    published figures; with the indicators' protection (`findSuppressedIndicators`), it does not:
 *    it is outside the span of the published vectors, whatever combination an attacker tries.
 *
 * An indicator added without declaring its relation (a count of part of the referrals declared as a
 * sum of units, a rate not naming its unknowns) is found in step 2 and fails step 3. Suppression is
 * tested here; the cell key noise on top is another layer (differencing-attacks.test.ts).
 */
import t from 'tap';
import { codeLists } from '../../src/schema/dataset/code-lists.js';
import {
  deriveDifferences,
  draftIndicators,
  findSuppressedIndicators,
  measureNames,
  type IndicatorDraft,
  type MeasureName,
} from '../../src/services/analytics/indicators.js';
import { codedPersonVictimFields } from '../../src/services/analytics/completeness.js';
import { makeRecord } from '../support/records.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

// The measures are typed: a misspelt name is a compile error (npm run typecheck checks this file).
// @ts-expect-error 'referal' is not a measure
const misspelt: MeasureName = 'referal';
// @ts-expect-error nor is a not-known count without the prefix
const unprefixed: MeasureName = 'ethnicity';
const spelt: MeasureName[] = ['referrals', 'maracCases', 'notKnown.ethnicity'];

const THRESHOLD = 5;
const PRIME = 1_000_003;

/** A deterministic stream of numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const UNKNOWN = ['not_known', 'prefer_not_to_say'] as const;
const listed = (id: keyof typeof codeLists, ...except: string[]) => codeLists[id].codes.map((c) => c.code).filter((c) => !except.includes(c));

/**
 * What an indicator can tell apart in a record, factor by factor, each level a choice of values.
 * Every pair of levels of every two factors occurs together in some record (a covering array), so
 * no two counts nest or exclude each other by chance: only true identities survive step 2.
 */
const factors: Record<string, ReadonlyArray<readonly unknown[]>> = {
  service: [['marac'], ['vva']],
  ethnicity: [['white_british'], listed('ethnicity', 'white_british'), ...UNKNOWN.map((u) => [u])],
  sex: [['female'], ['male'], ...UNKNOWN.map((u) => [u])],
  disability: [['yes'], ['no'], ...UNKNOWN.map((u) => [u])],
  relationshipToArea: [['resident'], ['worker', 'visitor', 'other'], ...UNKNOWN.map((u) => [u])],
  sexualOrientation: [['heterosexual'], ['gay_lesbian', 'bisexual', 'other'], ...UNKNOWN.map((u) => [u])],
  genderIdentitySameAsSex: [['yes'], ['no'], ...UNKNOWN.map((u) => [u])],
  religion: [listed('religion'), ...UNKNOWN.map((u) => [u])],
  residence: [listed('residence'), ...UNKNOWN.map((u) => [u])],
  pregnancy: [[undefined], listed('pregnancy'), ...UNKNOWN.map((u) => [u])],
  maritalStatus: [[undefined], listed('maritalStatus'), ...UNKNOWN.map((u) => [u])],
  interpreterRequired: [[true], [false], [null]],
  riskLevel: [['high'], ['standard', 'medium'], ['not_assessed']],
  referralSource: [['other'], listed('referralSource', 'other')],
  category: [['vawg'], ['non_vawg']],
  repeatReferral: [[true], [false]],
  childrenInHousehold: [[0], [1], [2, 3]],
  age: [[16], [17], [15, 30, 70], [null]],
  youngPerpetrators: [[0], [1], [2]],
  // Dataset 1.1: every record is closed in its quarter (closures are then the referrals), with each outcome a factor.
  status: [[undefined, 'accepted'], ['duplicate'], ['inappropriate'], ['declined', 'no_contact']],
  riskReduced: [[true], [false], [null]],
  feelsSafer: [[true], [false], [null]],
  abuseReduced: [[true], [false], [null]],
  qualityOfLifeImproved: [[true], [false], [null]],
  childrenSafer: [[true], [false], [null]],
  relationshipAtClosure: [['ended'], ['continuing'], ['not_applicable', 'not_known', undefined]],
  propertySecured: [[undefined], [true], [false]],
  housing: [[undefined], ['approach'], ['approach+ta'], ['moved'], ['approach+moved']],
  court: [
    [undefined],
    ['ongoing+support'],
    ['acquitted'],
    ['convicted+egp+psr+support'],
    ['convicted+egp+psr'],
    ['convicted'],
    ['convicted+egp'],
    ['convicted+psr'],
  ],
  childProtectionPlan: [[true], [false]],
  childInNeed: [[true], [false]],
  adultSafeguardingConcern: [[true], [false]],
  noServiceAvailable: [[0], [1], [2]],
  refuge: [[undefined], ['admitted'], ['admitted+departed'], ['resident'], ['departed']],
};

/** 365 days before an ISO date. */
const yearBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);

/** The 1.1 modules and closure of a record, from its factors' levels (dates in its quarter). */
function modulesOf(chosen: Record<string, unknown>, referralDate: string): Json {
  const flags = (level: unknown) => new Set(typeof level === 'string' ? level.split('+') : []);
  const housing = flags(chosen.housing);
  const court = flags(chosen.court);
  const refuge = chosen.refuge as string | undefined;
  const outcome = court.has('ongoing') ? 'ongoing' : court.has('acquitted') ? 'acquitted' : 'convicted';
  return {
    ...(chosen.status === undefined ? {} : { status: chosen.status }),
    closure: {
      closedDate: referralDate,
      reason: 'support_completed',
      riskReduced: chosen.riskReduced,
      feelsSafer: chosen.feelsSafer,
      abuseReduced: chosen.abuseReduced,
      qualityOfLifeImproved: chosen.qualityOfLifeImproved,
      childrenSafer: chosen.childrenSafer,
      ...(chosen.relationshipAtClosure === undefined ? {} : { relationshipAtClosure: chosen.relationshipAtClosure }),
    },
    ...(chosen.propertySecured === undefined ? {} : { sanctuary: { securityMeasures: ['lock_change'], propertySecured: chosen.propertySecured } }),
    ...(housing.size
      ? { housing: { homelessnessApproach: housing.has('approach'), temporaryAccommodation: housing.has('ta'), movedDueToAbuse: housing.has('moved') } }
      : {}),
    ...(court.size
      ? {
          court: {
            caseHeard: true,
            attendedCourt: true,
            supportAtCourt: court.has('support'),
            outcome,
            earlyGuiltyPlea: outcome === 'convicted' ? court.has('egp') : null,
            preSentenceReport: outcome === 'convicted' ? court.has('psr') : null,
          },
        }
      : {}),
    safeguarding: {
      childInNeed: chosen.childInNeed,
      childProtectionPlan: chosen.childProtectionPlan,
      adultSafeguardingConcern: chosen.adultSafeguardingConcern,
      section42Enquiry: false,
    },
    onwardReferrals: Array.from({ length: chosen.noServiceAvailable as number }, () => ({ serviceType: 'housing', outcome: 'no_service_available' })),
    ...(refuge
      ? {
          refuge: {
            // Resident from the year before, or admitted in the quarter; leaving in it or not.
            admissionDate: refuge.startsWith('admitted') ? referralDate : yearBefore(referralDate),
            ...(refuge.endsWith('departed') ? { departureDate: referralDate } : {}),
            childrenAccommodated: { admitted: 0, 'admitted+departed': 2, resident: 1, departed: 0 }[refuge]!,
          },
        }
      : {}),
  };
}
const factorNames = Object.keys(factors);

/** Level choices for the records: pairwise coverage first (greedy over random candidates), then random rows. */
function coveringRows(next: () => number, extra: number): number[][] {
  const levels = factorNames.map((f) => factors[f]!.length);
  const uncovered = new Set<string>();
  for (let a = 0; a < levels.length; a++)
    for (let b = a + 1; b < levels.length; b++) for (let x = 0; x < levels[a]!; x++) for (let y = 0; y < levels[b]!; y++) uncovered.add(`${a}:${x}|${b}:${y}`);
  const pairsOf = (row: number[]) => row.flatMap((x, a) => row.slice(a + 1).map((y, k) => `${a}:${x}|${a + 1 + k}:${y}`));
  const randomRow = () => levels.map((n) => Math.floor(next() * n));
  const rows: number[][] = [];
  while (uncovered.size > 0) {
    let best = randomRow();
    let gain = -1;
    for (let c = 0; c < 60; c++) {
      const candidate = randomRow();
      const covers = pairsOf(candidate).filter((p) => uncovered.has(p)).length;
      if (covers > gain) [best, gain] = [candidate, covers];
    }
    for (const p of pairsOf(best)) uncovered.delete(p);
    rows.push(best);
  }
  for (let i = 0; i < extra; i++) rows.push(randomRow());
  return rows;
}

/** The records of the fixture, each with the service it goes to. */
function variedRecords(): Array<{ service: string; serviceType: string; record: (period: string) => Json }> {
  const next = random(12);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  return coveringRows(next, 16).map((row, i) => {
    const chosen = Object.fromEntries(factorNames.map((f, k) => [f, pick(factors[f]![row[k]!]!)]));
    const vawg = chosen.category === 'vawg';
    const perpetrators = [
      ...Array.from({ length: chosen.youngPerpetrators as number }, () => ({ relationshipToVictim: 'sibling', sex: 'male', age: pick([14, 16, 17]) })),
      ...Array.from({ length: Math.floor(next() * 2) }, () => ({ relationshipToVictim: 'ex_partner', sex: 'male', age: pick([25, 40, null]) })),
    ];
    return {
      // A service per record: activity figures (open cases, refuge residents) read every quarter of a service.
      service: `diff-${chosen.service as string}-${i}`,
      serviceType: chosen.service as string,
      record: (period: string) => {
        const { vawgTypes: _v, nonVawgCrimeType: _n, ...base } = makeRecord(i, period);
        const victim: Json = { ...(base.victim as Json) };
        for (const f of [
          'ethnicity',
          'sex',
          'disability',
          'relationshipToArea',
          'sexualOrientation',
          'genderIdentitySameAsSex',
          'religion',
          'residence',
          'interpreterRequired',
          'age',
        ])
          victim[f] = chosen[f];
        for (const f of ['pregnancy', 'maritalStatus']) {
          if (chosen[f] === undefined) delete victim[f];
          else victim[f] = chosen[f];
        }
        return {
          ...base,
          category: chosen.category,
          ...(vawg ? { vawgTypes: ['domestic_abuse'] } : { nonVawgCrimeType: 'violence' }),
          referralSource: chosen.referralSource,
          riskLevel: chosen.riskLevel,
          repeatReferral: chosen.repeatReferral,
          childrenInHousehold: chosen.childrenInHousehold,
          perpetrators,
          victim,
          ...modulesOf(chosen, base.referralDate as string),
        };
      },
    };
  });
}

type Vector = number[];

const add = (a: Vector, b: Vector, k = 1) => a.map((x, i) => x + k * b[i]!);
const isZero = (v: Vector) => v.every((x) => x === 0);
const same = (a: Vector, b: Vector) => a.every((x, i) => x === b[i]);
const dot = (a: Vector, w: Vector) => a.reduce((s, x, i) => s + x * w[i]!, 0);

/** Row-reduced vectors modulo a prime: whether a vector is a combination of some others. */
class Span {
  private rows: Array<{ pivot: number; row: number[] }> = [];
  private reduce(v: Vector): number[] {
    const row = v.map((x) => ((x % PRIME) + PRIME) % PRIME);
    for (const { pivot, row: basis } of this.rows) {
      const f = row[pivot]!;
      if (f !== 0) for (let i = 0; i < row.length; i++) row[i] = (((row[i]! - f * basis[i]!) % PRIME) + PRIME) % PRIME;
    }
    return row;
  }
  add(v: Vector): void {
    const row = this.reduce(v);
    const pivot = row.findIndex((x) => x !== 0);
    if (pivot < 0) return;
    const inverse = modInverse(row[pivot]!);
    this.rows.push({ pivot, row: row.map((x) => (x * inverse) % PRIME) });
  }
  contains(v: Vector): boolean {
    return this.reduce(v).every((x) => x === 0);
  }
}

function modInverse(a: number): number {
  let [r0, r1, s0, s1] = [a, PRIME, 1, 0];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % PRIME) + PRIME) % PRIME;
}

interface Term {
  id: string;
  term: 'numerator' | 'denominator';
  vector: Vector;
}

/** A figure that publishing `plus` and `minus` gives by subtraction. */
interface Relation {
  plus: Term;
  minus: Term[];
  remainder: Vector;
}

const named = (r: Relation) => `${r.plus.id}.${r.plus.term} − ${r.minus.map((m) => `${m.id}.${m.term}`).join(' − ')}`;

t.test('every indicator that is a difference of published figures is protected', async (t) => {
  t.same(spelt.length, 3);
  void misspelt;
  void unprefixed;
  const app = await buildTestApp(t);
  // Records to a Marac (its cases are a part of the referrals) and to a VVA, each in a quarter of its own.
  const fixture = variedRecords();
  for (const { service, serviceType } of fixture) await registerService(app, service, serviceType, 'E09000201');
  const quarterOf = (i: number) => `${2001 + Math.floor(i / 4)}-${String((2002 + Math.floor(i / 4)) % 100).padStart(2, '0')}-Q${1 + (i % 4)}`;
  const scopes: string[] = [];
  for (const [i, { service, record }] of fixture.entries()) {
    // Quarters are distinct, so each (service, quarter) holds one record.
    const period = quarterOf(i);
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period, records: [record(period)] } });
    if (res.statusCode !== 201) throw new Error(`record ${i}: ${res.statusCode} ${res.body}`);
    scopes.push(`service=${service}&period=${period}`);
  }
  const RECORDS = fixture.length;
  t.ok(RECORDS < 120, `${RECORDS} records`);

  // The indicators as defined, with the relations they declare (their counts are filled in below).
  const template = draftIndicators({
    counts: new Map(measureNames.map((name) => [name, { n: 0, k: 0 }])),
    recorded: new Map(codedPersonVictimFields.map((f) => [f.name, 1])),
    population: { total: null, adultFemale: null, maracAdultFemale: null, used: '' },
    serviceTypes: new Set(['marac']),
  });

  // 1. Each published count as a vector over the records.
  const vectors = new Map<string, Vector>(template.flatMap((d) => [`${d.id}.numerator`, `${d.id}.denominator`].map((k) => [k, [] as number[]])));
  for (const scope of scopes) {
    const res = await app.inject({ method: 'GET', url: `/v1/indicators?${scope}`, headers: admin });
    const body = res.json() as { indicators: Array<{ id: string; numerator: number | null; denominator: number | null; reason?: string }> };
    t.same(
      body.indicators.map((i) => i.id),
      template.map((d) => d.id),
      `the API publishes every indicator defined, in order (${scope})`,
    );
    const referrals = body.indicators.find((i) => i.id === 'referrals')!.numerator!;
    for (const i of body.indicators) {
      // A field this record left out was not collected here; over several records it counts 0 not_known among the referrals.
      const uncollected = i.reason === 'not_collected';
      vectors.get(`${i.id}.numerator`)!.push(uncollected ? 0 : i.numerator!);
      vectors.get(`${i.id}.denominator`)!.push(uncollected ? referrals : (i.denominator ?? 0));
    }
  }
  // Populations are not counts of records: only counts (numerators, and rates' denominators) are terms.
  const terms: Term[] = template.flatMap((d) => [
    { id: d.id, term: 'numerator' as const, vector: vectors.get(`${d.id}.numerator`)! },
    ...(d.kind === 'rate' ? [{ id: d.id, term: 'denominator' as const, vector: vectors.get(`${d.id}.denominator`)! }] : []),
  ]);
  // One term per distinct vector: publishing the same count twice reveals nothing more.
  const distinct = terms.filter((term, i) => !isZero(term.vector) && terms.findIndex((o) => same(o.vector, term.vector)) === i);

  // 2. Every difference of one, two or three published counts from another that is itself a count of records.
  const relations: Relation[] = [];
  const seen = new Set<string>();
  const keep = (plus: Term, minus: Term[]) => {
    const remainder = minus.reduce((r, m) => add(r, m.vector, -1), plus.vector);
    if (isZero(remainder) || remainder.some((x) => x < 0)) return;
    const key = `${remainder.join(',')}|${[plus, ...minus]
      .map((x) => `${x.id}.${x.term}`)
      .sort()
      .join(',')}`;
    if (!seen.has(key)) {
      seen.add(key);
      relations.push({ plus, minus, remainder });
    }
  };
  for (const total of distinct) {
    const parts = distinct.filter((p) => p !== total && p.vector.every((x, i) => x <= total.vector[i]!));
    for (const [i, a] of parts.entries()) {
      keep(total, [a]);
      for (const [j, b] of parts.slice(i + 1).entries()) {
        const ab = add(a.vector, b.vector);
        if (!ab.every((x, k) => x <= total.vector[k]!)) continue;
        keep(total, [a, b]);
        // Three parts too: counts that never overlap (the intake statuses) are published three at a time.
        for (const c of parts.slice(i + j + 2)) if (add(ab, c.vector).every((x, k) => x <= total.vector[k]!)) keep(total, [a, b, c]);
      }
    }
  }
  t.ok(relations.length > 40, `${relations.length} differences found from the figures alone`);
  const vectorOf = (term: { id: string; term: 'numerator' | 'denominator' }) => vectors.get(`${term.id}.${term.term}`)!;
  const found = (total: string, ...parts: string[]) => {
    const term = (name: string) => ({ id: name.slice(0, name.lastIndexOf('.')), term: name.slice(name.lastIndexOf('.') + 1) as 'numerator' | 'denominator' });
    const remainder = parts.reduce((r, p) => add(r, vectorOf(term(p)), -1), vectorOf(term(total)));
    return relations.some((r) => same(r.remainder, remainder) && r.minus.length === parts.length);
  };
  t.ok(found('referrals.numerator', 'repeatReferrals.numerator'), 'found: a part of the referrals');
  t.ok(found('minoritisedEthnicityRate.denominator', 'minoritisedEthnicityRate.numerator'), 'found: a complement');
  t.ok(found('referrals.numerator', 'minoritisedEthnicityRate.denominator'), 'found: the unknowns of a denominator');
  t.ok(found('referrals.numerator', 'minoritisedEthnicityRate.denominator', 'notKnownShare.ethnicity.numerator'), 'found: prefer not to say');
  t.ok(found('referrals.numerator', 'casesPer10000AdultFemales.numerator'), 'found: the referrals that are not Marac cases');
  t.ok(found('childrenInHousehold.numerator', 'familiesWithChildren.numerator'), 'found: children beyond the first of each family');
  // Every relation the indicators declare is among them, except where a term is the same for every
  // record alone: people and duplicates need linkage (indicators.test.ts), and a rate over all the
  // referrals leaves none out.
  for (const d of deriveDifferences(template)) {
    const remainder = d.parts.reduce((r, p) => add(r, vectorOf(p), -1), vectorOf(d.total));
    if (isZero(remainder) || [d.total, ...d.parts].some((p) => isZero(vectorOf(p)))) continue;
    t.ok(
      relations.some((r) => same(r.remainder, remainder) && r.minus.length === d.parts.length),
      `declared and found: ${d.total.id} − ${d.parts.map((p) => p.id).join(' − ')}`,
    );
  }

  // 3. For each, a query set where it is small and every term is not; protected or not.
  const draftsFor = (w: Vector): IndicatorDraft[] =>
    template.map((d) => ({
      ...d,
      numerator: dot(vectors.get(`${d.id}.numerator`)!, w),
      denominator: d.kind === 'rate' ? dot(vectors.get(`${d.id}.denominator`)!, w) : d.denominator,
    }));
  const publishedSpan = (suppressed: ReadonlyMap<string, unknown>) => {
    const span = new Span();
    for (const term of terms) if (!suppressed.has(term.id)) span.add(term.vector);
    return span;
  };
  const members = (v: Vector) => v.flatMap((x, i) => (x > 0 ? [i] : []));
  let attacked = 0;
  const unprotected: string[] = [];
  for (const relation of relations) {
    const w: Vector = Array.from({ length: RECORDS }, () => 0);
    // Two records the difference counts, then enough of each term's own records (outside the difference) to lift it to the threshold.
    for (const i of members(relation.remainder).slice(0, 2)) w[i] = 1;
    for (const term of [relation.plus, ...relation.minus]) {
      const own = members(term.vector).filter((i) => relation.remainder[i] === 0);
      if (own.length > 0) w[own[0]!] = w[own[0]!]! + THRESHOLD;
    }
    const small = dot(relation.remainder, w);
    if (!(small >= 1 && small < THRESHOLD) || [relation.plus, ...relation.minus].some((m) => dot(m.vector, w) < THRESHOLD)) continue;
    attacked += 1;
    const drafts = draftsFor(w);
    // Without the differences, the terms are published and subtraction gives the small count …
    const primaryOnly = findSuppressedIndicators(drafts, THRESHOLD, []);
    if (!publishedSpan(primaryOnly).contains(relation.remainder)) continue;
    // … with them, no combination of what is published gives it.
    const protectedSet = findSuppressedIndicators(drafts, THRESHOLD);
    if (publishedSpan(protectedSet).contains(relation.remainder)) unprotected.push(`${named(relation)} = ${small}`);
  }
  t.ok(attacked >= relations.length * 0.9, `${attacked} of ${relations.length} differences attacked with a query set`);
  t.same(unprotected, [], 'no small difference can be recovered from the published indicators');
});
