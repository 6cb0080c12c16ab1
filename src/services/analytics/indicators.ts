/**
 * Headline indicators over the current records in scope: counts, rates (fractions 0–1), rates per
 * population, the SafeLives Marac set and data-quality shares. Every count comes from one query;
 * derived definitions (ethnic groups, LGBT+, age bands, persons) come from the dataset helpers.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { roundHalfUp } from '../../lib/round.js';
import type { Indicator, IndicatorList } from '../../schema/api/indicators.js';
import { codeLists, listCodes } from '../../schema/dataset/code-lists.js';
import { ageBandSets, isMinoritisedEthnicity } from '../../schema/dataset/derived.js';
import { fieldSql } from '../../schema/dataset/columns.js';
import { acceptedCodes, victimField, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { Role } from '../api-keys.js';
import { codedPersonVictimFields, victimColumnSql } from './completeness.js';
import { ageBandSql, lgbtPlusSql, literal } from './dimensions.js';
import { textArray } from '../../db/arrays.js';
import { countPeople } from './people.js';
import { cellKeyOf, describePerturbation, perturb } from './cell-key.js';
import { describeDisclosureRule, isSmall } from './disclosure.js';
import { populationsInScope } from './population.js';
import { currentRecordsIn, queryRows, readInOneSnapshot, resolveScope, type Scope, type ScopeQuery } from './scope.js';

export interface IndicatorParams extends ScopeQuery {
  role: Role;
  /** Counts from 1 to threshold − 1 are suppressed for analysts. */
  threshold: number;
}

type Kind = 'count' | 'rate' | 'perPopulation';

/** An indicator before disclosure control. */
export interface IndicatorDraft {
  id: string;
  label: string;
  definition: string;
  unit: string;
  kind: Kind;
  /** The count itself for `count`. */
  numerator: number;
  /** Null for counts, and for rates per population when no population is known. */
  denominator: number | null;
  /** For `perPopulation`: per 1,000 or per 10,000. */
  per?: number;
  /** The count indicator that publishes this rate's numerator on its own. */
  numeratorIndicator?: string;
  /** Cell keys of the numerator and denominator counts, for the analysts' noise (cell-key.ts). */
  numeratorKey?: number;
  denominatorKey?: number;
}

/** A count and its cell key. */
interface Counted {
  n: number;
  k: number;
}

/**
 * A count that publishing every term would reveal by subtraction: total − Σ parts. When it is small,
 * `withhold` is suppressed (chosen so the headline counts stay published).
 */
export interface Difference {
  total: Term;
  parts: Term[];
  withhold: string;
}

interface Term {
  id: string;
  term: 'numerator' | 'denominator';
}

const numeratorOf = (id: string): Term => ({ id, term: 'numerator' });
const denominatorOf = (id: string): Term => ({ id, term: 'denominator' });

const ETHNICITY_CODES = acceptedCodes(victimField('ethnicity'));
const MINORITISED_CODES = ETHNICITY_CODES.filter((c) => isMinoritisedEthnicity(c) === true);
const KNOWN_ETHNICITY_CODES = ETHNICITY_CODES.filter((c) => isMinoritisedEthnicity(c) !== null);
const MARAC_16_TO_17 = ageBandSets.marac.bands.find((b) => b.min === 16 && b.max === 17)!.code;
/** SafeLives counts perpetrators aged 17 or under: the top of the Marac bands below 18+. */
const MAX_YOUNG_PERPETRATOR_AGE = Math.max(...ageBandSets.marac.bands.flatMap((b) => (b.max !== null && b.max < 18 ? [b.max] : [])));

function inCodes(column: SQL, codes: readonly string[]): SQL {
  return sql`${column} in (${sql.join(codes.map(literal), sql`, `)})`;
}

/**
 * A count and the sum of the record keys behind it (its cell key, cell-key.ts). A sum of units per
 * record (children, perpetrators) counts each unit with its record's key.
 */
interface Measure {
  count: SQL;
  key: SQL;
}

function countWhere(condition: SQL): Measure {
  return { count: sql`(count(*) filter (where ${condition}))::int`, key: sql`sum(r.record_key) filter (where ${condition})` };
}

function sumOf(units: SQL): Measure {
  return { count: sql`(coalesce(sum(${units}), 0))::int`, key: sql`sum(r.record_key::bigint * ${units})` };
}

const victimColumn = (name: string) => fieldSql(['victim', name]);
const lgbtPlus = lgbtPlusSql(victimColumn('sexualOrientation'), victimColumn('genderIdentitySameAsSex'));

/** Every count the indicators need, by name; all computed in one pass over the records in scope. */
const measures: Record<string, Measure> = {
  referrals: { count: sql`count(*)::int`, key: sql`sum(r.record_key)` },
  repeatReferrals: countWhere(fieldSql('repeatReferral')),
  children: sumOf(fieldSql('childrenInHousehold')),
  families: countWhere(sql`${fieldSql('childrenInHousehold')} > 0`),
  highRisk: countWhere(sql`${fieldSql('riskLevel')} = ${literal('high')}`),
  riskAssessed: countWhere(sql`${fieldSql('riskLevel')} <> ${literal('not_assessed')}`),
  minoritised: countWhere(inCodes(victimColumn('ethnicity'), MINORITISED_CODES)),
  ethnicityKnown: countWhere(inCodes(victimColumn('ethnicity'), KNOWN_ETHNICITY_CODES)),
  lgbtPlus: countWhere(sql`${lgbtPlus} = ${literal('yes')}`),
  lgbtPlusKnown: countWhere(inCodes(lgbtPlus, ['yes', 'no'])),
  disabled: countWhere(sql`${victimColumn('disability')} = ${literal('yes')}`),
  disabilityKnown: countWhere(inCodes(victimColumn('disability'), listCodes(codeLists.yesNo))),
  male: countWhere(sql`${victimColumn('sex')} = ${literal('male')}`),
  sexKnown: countWhere(inCodes(victimColumn('sex'), listCodes(codeLists.sex))),
  vawg: countWhere(sql`${fieldSql('category')} = ${literal('vawg')}`),
  resident: countWhere(sql`${victimColumn('relationshipToArea')} = ${literal('resident')}`),
  relationshipToAreaKnown: countWhere(inCodes(victimColumn('relationshipToArea'), listCodes(codeLists.relationshipToArea))),
  interpreter: countWhere(sql`${victimColumn('interpreterRequired')}`),
  interpreterKnown: countWhere(sql`${victimColumn('interpreterRequired')} is not null`),
  otherSource: countWhere(sql`${fieldSql('referralSource')} = ${literal('other')}`),
  victims16To17: countWhere(sql`${ageBandSql(victimColumn('age'), 'marac')} = ${literal(MARAC_16_TO_17)}`),
  // jsonpath filters the perpetrator list in place: twice as fast as a lateral join at 1M records.
  youngPerpetrators: sumOf(
    sql`jsonb_array_length(jsonb_path_query_array(${fieldSql('perpetrators')}, ${sql.raw(`'$[*] ? (@.age <= ${MAX_YOUNG_PERPETRATOR_AGE})'`)}))`,
  ),
  ...Object.fromEntries(codedPersonVictimFields.map((f) => [`notKnown.${f.name}`, countWhere(sql`${victimColumnSql(f)} = ${literal('not_known')}`)])),
};

/**
 * Referrals of a person the same service had referred in the 12 months before: one pass with a
 * window over each person's referrals to each service (the earlier referral may fall outside the
 * period asked about), instead of an index probe per record.
 */
async function countLinkedRepeats(db: Database, scope: Scope): Promise<Counted> {
  const services = scope.services.map((s) => s.id);
  const quarters = scope.quarters.map((q) => q.id);
  if (services.length === 0) return { n: 0, k: 0 };
  const referralDate = fieldSql('referralDate');
  const [row] = await queryRows<{ n: number | string; k: number | string | null }>(
    db,
    sql`select count(*) as n, sum(x.record_key) as k from (
      select ret.period, ${referralDate}, r.record_key,
        lag(${referralDate}) over (partition by r.person_id, ret.service_id order by ${referralDate}, r.id) as previous
      from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null
      where r.person_id is not null and ret.service_id = any(${textArray(services)})
    ) x where x.period = any(${textArray(quarters)}) and x.previous >= ${fieldSql('referralDate', 'x')} - interval '12 months'`,
  );
  return { n: Number(row?.n ?? 0), k: cellKeyOf(row?.k) };
}

/** Every measure's count and, when `keyed` (exact figures need none), its cell key under `key:<name>`. */
async function countMeasures(db: Database, scope: Scope, keyed: boolean): Promise<{ counts: Record<string, number>; keys: Record<string, number> }> {
  const select = sql.join(
    Object.entries(measures).flatMap(([name, m]) => [
      sql`${m.count} as ${sql.identifier(name)}`,
      ...(keyed ? [sql`${m.key} as ${sql.identifier(`key:${name}`)}`] : []),
    ]),
    sql`, `,
  );
  const [row] = await queryRows<Record<string, number | string | null>>(db, sql`select ${select} ${currentRecordsIn(scope)}`);
  const names = Object.keys(measures);
  return {
    counts: Object.fromEntries(names.map((name) => [name, Number(row?.[name] ?? 0)])),
    keys: Object.fromEntries(names.map((name) => [name, cellKeyOf(row?.[`key:${name}`])])),
  };
}

interface Population {
  total: number | null;
  adultFemale: number | null;
  /** Which year's figure was used for each area, for the definition text. */
  used: string;
}

/** Sums the areas' populations; unknown (null) when any area in scope has no figure. */
async function findPopulation(db: Database, scope: Scope): Promise<Population> {
  const found = await populationsInScope(db, scope);
  if (found.length === 0) return { total: null, adultFemale: null, used: 'no area in scope' };
  const known = found.every((f) => f.population);
  return {
    total: known ? found.reduce((n, f) => n + f.population!.total, 0) : null,
    adultFemale: known && found.every((f) => f.population!.adultFemale !== null) ? found.reduce((n, f) => n + f.population!.adultFemale!, 0) : null,
    used: found.map((f) => `${f.area}: ${f.population ? f.population.year : 'none'}`).join(', '),
  };
}

function fieldLabel(field: FieldDefinition): string {
  return field.label.charAt(0).toLowerCase() + field.label.slice(1);
}

/** The indicators and the subtraction relations between them, from the counts. */
export function draftIndicators(
  m: Record<string, number>,
  population: Population,
  keys: Record<string, number> = {},
): { drafts: IndicatorDraft[]; differences: Difference[] } {
  // A measure with its cell key (cell-key.ts); duplicates are the referrals less the people.
  const measure = (name: string): Counted => ({ n: m[name]!, k: keys[name] ?? 0 });
  const duplicates: Counted = { n: m.referrals! - m.people!, k: cellKeyOf((keys.referrals ?? 0) - (keys.people ?? 0)) };
  const count = (id: string, label: string, unit: string, numerator: Counted, definition: string): IndicatorDraft => ({
    id,
    label,
    definition,
    unit,
    kind: 'count',
    numerator: numerator.n,
    numeratorKey: numerator.k,
    denominator: null,
  });
  const rate = (id: string, label: string, numerator: Counted, denominator: Counted, definition: string, numeratorIndicator?: string): IndicatorDraft => ({
    id,
    label,
    definition,
    unit: 'rate',
    kind: 'rate',
    numerator: numerator.n,
    numeratorKey: numerator.k,
    denominator: denominator.n,
    denominatorKey: denominator.k,
    ...(numeratorIndicator ? { numeratorIndicator } : {}),
  });
  const referrals = measure('referrals');
  const drafts: IndicatorDraft[] = [
    count('referrals', 'Referrals', 'referrals', referrals, 'Referrals received by the services in scope (one record per referral).'),
    count(
      'people',
      'People referred',
      'people',
      measure('people'),
      'Distinct people across the services in scope, as record linkage joined them (probabilistic matching on the linkage key and person attributes); records without a key count once each.',
    ),
    count('duplicateReferrals', 'Referrals of people already counted', 'referrals', duplicates, 'Referrals minus people.'),
    count(
      'repeatReferrals',
      'Repeat referrals',
      'referrals',
      measure('repeatReferrals'),
      'Referrals the service reported as repeats (referred in the previous 12 months).',
    ),
    rate('repeatReferralRate', 'Repeat referral rate', measure('repeatReferrals'), referrals, 'Repeat referrals ÷ referrals.', 'repeatReferrals'),
    count(
      'repeatReferralsLinked',
      'Repeat referrals found by linkage',
      'referrals',
      measure('repeatLinked'),
      'Referrals of a person the same service had referred in the previous 12 months, found by record linkage across all current returns (not only those in scope); compare with the provider-reported repeatReferrals.',
    ),
    rate(
      'repeatReferralRateLinked',
      'Repeat referral rate (linkage)',
      measure('repeatLinked'),
      referrals,
      'Repeat referrals found by linkage ÷ referrals.',
      'repeatReferralsLinked',
    ),
    count(
      'childrenInHousehold',
      'Children in the households of referred victims (victims of domestic abuse in their own right)',
      'children',
      measure('children'),
      'Sum of children in household over the referrals; children are victims of domestic abuse in their own right (Domestic Abuse Act 2021 s.3).',
    ),
    count(
      'familiesWithChildren',
      'Referrals with children in the household',
      'referrals',
      measure('families'),
      'Referrals with at least one child in the household.',
    ),
    rate(
      'highRiskRate',
      'High-risk referrals',
      measure('highRisk'),
      measure('riskAssessed'),
      'Referrals at high risk ÷ referrals with a risk level other than not_assessed.',
    ),
    rate(
      'minoritisedEthnicityRate',
      'Black, Asian or racially minoritised victims',
      measure('minoritised'),
      measure('ethnicityKnown'),
      'Victims of any ethnicity other than White British ÷ victims with a known ethnicity (not_known and prefer_not_to_say excluded).',
    ),
    rate('lgbtRate', 'LGBT+ victims', measure('lgbtPlus'), measure('lgbtPlusKnown'), 'LGBT+ victims ÷ victims whose LGBT+ status is known (yes or no).'),
    rate('disabilityRate', 'Disabled victims', measure('disabled'), measure('disabilityKnown'), 'Victims with a disability ÷ victims answering yes or no.'),
    rate('maleVictimRate', 'Male victims', measure('male'), measure('sexKnown'), 'Male victims ÷ female and male victims.'),
    rate('vawgShare', 'VAWG referrals', measure('vawg'), referrals, 'Referrals of category vawg ÷ referrals.'),
    rate(
      'residentShare',
      'Victims resident in the area',
      measure('resident'),
      measure('relationshipToAreaKnown'),
      'Residents ÷ victims with a known relationship to the area (resident, worker, visitor or other).',
    ),
    rate(
      'interpreterRate',
      'Victims needing an interpreter',
      measure('interpreter'),
      measure('interpreterKnown'),
      'Interpreter required ÷ victims where it is known.',
    ),
    rate(
      'otherReferralSourceShare',
      "Referrals from an 'other' source (data quality)",
      measure('otherSource'),
      referrals,
      "Referrals whose source is 'other' ÷ referrals; named sources should replace 'other'.",
    ),
    {
      id: 'referralsPer1000Population',
      label: 'Referrals per 1,000 population, for the period (not annualised)',
      definition: `Referrals ÷ the population of the areas of the services in scope × 1,000. Population year used: ${population.used}.`,
      unit: 'per 1,000 population',
      kind: 'perPopulation',
      numerator: referrals.n,
      numeratorKey: referrals.k,
      denominator: population.total,
      per: 1000,
      numeratorIndicator: 'referrals',
    },
    {
      id: 'casesPer10000AdultFemales',
      label: 'Cases per 10,000 adult females, for the period (not annualised)',
      definition: `SafeLives Marac measure: referrals ÷ females aged 16 and over in the areas of the services in scope × 10,000. Population year used: ${population.used}.`,
      unit: 'per 10,000 adult females',
      kind: 'perPopulation',
      numerator: referrals.n,
      numeratorKey: referrals.k,
      denominator: population.adultFemale,
      per: 10000,
      numeratorIndicator: 'referrals',
    },
    count(
      'victimsAged16To17',
      'Victims aged 16 to 17',
      'referrals',
      measure('victims16To17'),
      'Referrals of victims aged 16 or 17 at the referral date (SafeLives Marac).',
    ),
    count(
      'perpetratorsAged17OrUnder',
      'Alleged perpetrators aged 17 or under',
      'perpetrators',
      measure('youngPerpetrators'),
      'Alleged perpetrators aged 17 or under, counted once per referral they appear in (SafeLives Marac).',
    ),
    ...codedPersonVictimFields.map((f) =>
      rate(
        `notKnownShare.${f.name}`,
        `Victim ${fieldLabel(f)} not known (data quality)`,
        measure(`notKnown.${f.name}`),
        referrals,
        `Referrals with victim.${f.name} = not_known ÷ referrals.`,
      ),
    ),
  ];

  const partOfReferrals = (id: string): Difference => ({ total: numeratorOf('referrals'), parts: [numeratorOf(id)], withhold: id });
  // Rates whose denominator leaves out the unknown answers of a field with its own not-known share.
  const unknownsOf: Array<[string, string | null]> = [
    ['highRiskRate', null],
    ['minoritisedEthnicityRate', 'ethnicity'],
    ['lgbtRate', null],
    ['disabilityRate', 'disability'],
    ['maleVictimRate', 'sex'],
    ['residentShare', 'relationshipToArea'],
    ['interpreterRate', null],
  ];
  const differences: Difference[] = [
    // referrals = people + duplicates: either small part would follow from the other two.
    partOfReferrals('people'),
    partOfReferrals('duplicateReferrals'),
    partOfReferrals('repeatReferrals'),
    partOfReferrals('familiesWithChildren'),
    partOfReferrals('victimsAged16To17'),
    ...drafts.filter((d) => d.kind === 'rate').map((d) => ({ total: denominatorOf(d.id), parts: [numeratorOf(d.id)], withhold: d.id })),
    // The referrals left out of a denominator (its unknowns) …
    ...unknownsOf.map(([id]) => ({ total: numeratorOf('referrals'), parts: [denominatorOf(id)], withhold: id })),
    // … less the published not_known count leaves prefer_not_to_say.
    ...unknownsOf.flatMap(([id, field]) =>
      field ? [{ total: numeratorOf('referrals'), parts: [denominatorOf(id), numeratorOf(`notKnownShare.${field}`)], withhold: `notKnownShare.${field}` }] : [],
    ),
  ];
  return { drafts, differences };
}

/**
 * Which indicators an analyst may not see. Primary: small counts, and rates with a small numerator
 * or denominator. Then, to a fixed point: rates whose numerator is a withheld indicator, numerator
 * indicators of rates withheld for their numerator, and every small difference of published terms.
 */
export function findSuppressedIndicators(drafts: IndicatorDraft[], differences: Difference[], threshold: number): Set<string> {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const suppressed = new Set<string>();
  for (const d of drafts) {
    const smallNumerator = isSmall(d.numerator, threshold);
    if (d.kind === 'count' && smallNumerator) suppressed.add(d.id);
    if (d.kind === 'rate' && (smallNumerator || isSmall(d.denominator ?? 0, threshold))) suppressed.add(d.id);
    if (d.kind === 'perPopulation' && smallNumerator) suppressed.add(d.id);
    if (smallNumerator && d.kind !== 'count' && d.numeratorIndicator) suppressed.add(d.numeratorIndicator);
  }
  const valueOf = (t: Term): number | null => {
    const d = byId.get(t.id);
    if (!d || suppressed.has(t.id)) return null;
    return t.term === 'numerator' ? d.numerator : d.denominator;
  };
  for (let changed = true; changed;) {
    changed = false;
    const withhold = (id: string) => {
      if (byId.has(id) && !suppressed.has(id)) {
        suppressed.add(id);
        changed = true;
      }
    };
    for (const d of drafts) if (d.numeratorIndicator && suppressed.has(d.numeratorIndicator)) withhold(d.id);
    for (const difference of differences) {
      const terms = [difference.total, ...difference.parts].map(valueOf);
      if (terms.some((v) => v === null)) continue;
      const [total, ...parts] = terms as number[];
      const remainder = total! - parts.reduce((s, v) => s + v, 0);
      if (!isSmall(remainder, threshold)) continue;
      withhold(difference.withhold);
      // A rate withheld for its complement still has its numerator published on its own.
      const rate = byId.get(difference.withhold);
      if (rate?.numeratorIndicator && difference.total.id === rate.id) withhold(rate.numeratorIndicator);
    }
  }
  return suppressed;
}

/**
 * The counts an analyst is shown: numerator and denominator each with their cell key's noise, so a
 * rate is the published numerator over the published denominator. A population is not a count of
 * records and stays as it is.
 */
function perturbDraft(d: IndicatorDraft, threshold: number): IndicatorDraft {
  const numerator = perturb(d.numerator, d.numeratorKey ?? 0, threshold);
  if (d.kind !== 'rate' || d.denominator === null) return { ...d, numerator };
  return { ...d, numerator, denominator: perturb(d.denominator, d.denominatorKey ?? 0, threshold) };
}

function publishIndicator(d: IndicatorDraft, suppressed: boolean): Indicator {
  const base = { id: d.id, label: d.label, definition: d.definition, unit: d.unit };
  const percent = d.kind === 'rate' ? { percent: null } : {};
  if (suppressed) return { ...base, numerator: null, denominator: null, value: null, ...percent, status: 'suppressed' };
  if (d.kind === 'count') return { ...base, numerator: d.numerator, denominator: null, value: d.numerator, status: 'ok' };
  if (d.denominator === null || d.denominator === 0) {
    return { ...base, numerator: d.numerator, denominator: d.denominator, value: null, ...percent, status: 'not_available' };
  }
  if (d.kind === 'perPopulation') {
    return { ...base, numerator: d.numerator, denominator: d.denominator, value: (d.numerator * d.per!) / d.denominator, status: 'ok' };
  }
  return {
    ...base,
    numerator: d.numerator,
    denominator: d.denominator,
    value: d.numerator / d.denominator,
    // From the counts, not from value × 100, whose binary error can cross a rounding boundary.
    percent: roundHalfUp((d.numerator * 100) / d.denominator, 1),
    status: 'ok',
  };
}

export function describeIndicatorDisclosure(threshold: number, applied: boolean): IndicatorList['disclosure'] {
  const small = `1 to ${threshold - 1}`;
  return {
    applied,
    ...describeDisclosureRule(threshold),
    secondary:
      `An indicator is also suppressed when a count from ${small} would follow from the published figures by subtraction: ` +
      'people and duplicate referrals (referrals = people + duplicates), counts that are part of the referrals (repeat referrals, ' +
      'referrals with children, victims aged 16 to 17) when the rest of the referrals is small, rates whose denominator leaves out ' +
      'a small number of referrals (the unknowns), and not-known shares that would reveal a small prefer-not-to-say group.',
    rates:
      `A rate is suppressed when its numerator, its denominator or its denominator − numerator is from ${small}, or when its ` +
      'numerator is a suppressed indicator; the count indicator publishing its numerator is then suppressed too. A suppressed ' +
      'indicator publishes no numerator, denominator or value. Rates per population are suppressed with the referrals.',
    ...(applied ? { perturbation: describePerturbation(threshold) } : {}),
  };
}

export async function computeIndicators(db: Database, params: IndicatorParams): Promise<IndicatorList> {
  return readInOneSnapshot(db, (snapshot) => indicatorsInSnapshot(snapshot, params));
}

async function indicatorsInSnapshot(db: Database, params: IndicatorParams): Promise<IndicatorList> {
  const scope = await resolveScope(db, params);
  const counts = await countMeasures(db, scope, params.role === 'analyst');
  const people = await countPeople(db, scope, params.role === 'analyst');
  const repeatLinked = await countLinkedRepeats(db, scope);
  const population = await findPopulation(db, scope);
  const { drafts, differences } = draftIndicators({ ...counts.counts, people: people.n, repeatLinked: repeatLinked.n }, population, {
    ...counts.keys,
    people: people.k,
    repeatLinked: repeatLinked.k,
  });
  const applied = params.role === 'analyst';
  // Suppression decides on the true counts; analysts then see the published ones with their noise.
  const suppressed = applied ? findSuppressedIndicators(drafts, differences, params.threshold) : new Set<string>();
  return {
    period: scope.description,
    indicators: drafts.map((d) => publishIndicator(applied ? perturbDraft(d, params.threshold) : d, suppressed.has(d.id))),
    disclosure: describeIndicatorDisclosure(params.threshold, applied),
  };
}
