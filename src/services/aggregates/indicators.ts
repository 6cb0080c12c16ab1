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
import { acceptedCodes, victimField, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { Role } from '../api-keys.js';
import { codedPersonVictimFields, victimColumnSql } from './completeness.js';
import { ageBandSql, lgbtPlusSql, literal } from './dimensions.js';
import { textArray } from '../../db/arrays.js';
import { countPeople } from './people.js';
import { describeDisclosureRule, isSmall } from './disclosure.js';
import { populationsInScope } from './population.js';
import { currentRecordsIn, queryRows, resolveScope, type Scope, type ScopeQuery } from './scope.js';

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

function countWhere(condition: SQL): SQL {
  return sql`(count(*) filter (where ${condition}))::int`;
}

const victimColumn = (name: string) => victimColumnSql(victimField(name));
const lgbtPlus = lgbtPlusSql(victimColumn('sexualOrientation'), victimColumn('genderIdentitySameAsSex'));

/** Every count the indicators need, by name; all computed in one pass over the records in scope. */
const measures: Record<string, SQL> = {
  referrals: sql`count(*)::int`,
  repeatReferrals: countWhere(sql`r.repeat_referral`),
  children: sql`(coalesce(sum(r.children_in_household), 0))::int`,
  families: countWhere(sql`r.children_in_household > 0`),
  highRisk: countWhere(sql`r.risk_level = ${literal('high')}`),
  riskAssessed: countWhere(sql`r.risk_level <> ${literal('not_assessed')}`),
  minoritised: countWhere(inCodes(victimColumn('ethnicity'), MINORITISED_CODES)),
  ethnicityKnown: countWhere(inCodes(victimColumn('ethnicity'), KNOWN_ETHNICITY_CODES)),
  lgbtPlus: countWhere(sql`${lgbtPlus} = ${literal('yes')}`),
  lgbtPlusKnown: countWhere(inCodes(lgbtPlus, ['yes', 'no'])),
  disabled: countWhere(sql`${victimColumn('disability')} = ${literal('yes')}`),
  disabilityKnown: countWhere(inCodes(victimColumn('disability'), listCodes(codeLists.yesNo))),
  male: countWhere(sql`${victimColumn('sex')} = ${literal('male')}`),
  sexKnown: countWhere(inCodes(victimColumn('sex'), listCodes(codeLists.sex))),
  vawg: countWhere(sql`r.category = ${literal('vawg')}`),
  resident: countWhere(sql`${victimColumn('relationshipToArea')} = ${literal('resident')}`),
  relationshipToAreaKnown: countWhere(inCodes(victimColumn('relationshipToArea'), listCodes(codeLists.relationshipToArea))),
  interpreter: countWhere(sql`${victimColumn('interpreterRequired')}`),
  interpreterKnown: countWhere(sql`${victimColumn('interpreterRequired')} is not null`),
  otherSource: countWhere(sql`r.referral_source = ${literal('other')}`),
  victims16To17: countWhere(sql`${ageBandSql(victimColumn('age'), 'marac')} = ${literal(MARAC_16_TO_17)}`),
  // jsonpath filters the perpetrator list in place: twice as fast as a lateral join at 1M records.
  youngPerpetrators: sql`(coalesce(sum(jsonb_array_length(jsonb_path_query_array(r.perpetrators, ${sql.raw(`'$[*] ? (@.age <= ${MAX_YOUNG_PERPETRATOR_AGE})'`)}))), 0))::int`,
  ...Object.fromEntries(codedPersonVictimFields.map((f) => [`notKnown.${f.name}`, countWhere(sql`${victimColumnSql(f)} = ${literal('not_known')}`)])),
};

/**
 * Referrals of a person the same service had referred in the 12 months before: one pass with a
 * window over each person's referrals to each service (the earlier referral may fall outside the
 * period asked about), instead of an index probe per record.
 */
async function countLinkedRepeats(db: Database, scope: Scope): Promise<number> {
  const services = scope.services.map((s) => s.id);
  const quarters = scope.quarters.map((q) => q.id);
  if (services.length === 0) return 0;
  const [row] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*) as n from (
      select ret.period, r.referral_date,
        lag(r.referral_date) over (partition by r.person_id, ret.service_id order by r.referral_date, r.id) as previous
      from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null
      where r.person_id is not null and ret.service_id = any(${textArray(services)})
    ) x where x.period = any(${textArray(quarters)}) and x.previous >= x.referral_date - interval '12 months'`,
  );
  return Number(row?.n ?? 0);
}

async function countMeasures(db: Database, scope: Scope): Promise<Record<string, number>> {
  const select = sql.join(
    Object.entries(measures).map(([name, expression]) => sql`${expression} as ${sql.identifier(name)}`),
    sql`, `,
  );
  const [row] = await queryRows<Record<string, number | string>>(db, sql`select ${select} ${currentRecordsIn(scope)}`);
  return Object.fromEntries(Object.keys(measures).map((name) => [name, Number(row?.[name] ?? 0)]));
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
export function draftIndicators(m: Record<string, number>, population: Population): { drafts: IndicatorDraft[]; differences: Difference[] } {
  const count = (id: string, label: string, unit: string, numerator: number, definition: string): IndicatorDraft => ({
    id,
    label,
    definition,
    unit,
    kind: 'count',
    numerator,
    denominator: null,
  });
  const rate = (id: string, label: string, numerator: number, denominator: number, definition: string, numeratorIndicator?: string): IndicatorDraft => ({
    id,
    label,
    definition,
    unit: 'rate',
    kind: 'rate',
    numerator,
    denominator,
    ...(numeratorIndicator ? { numeratorIndicator } : {}),
  });
  const referrals = m.referrals!;
  const drafts: IndicatorDraft[] = [
    count('referrals', 'Referrals', 'referrals', referrals, 'Referrals received by the services in scope (one record per referral).'),
    count(
      'people',
      'People referred',
      'people',
      m.people!,
      'Distinct people across the services in scope, as record linkage joined them (probabilistic matching on the linkage key and person attributes); records without a key count once each.',
    ),
    count('duplicateReferrals', 'Referrals of people already counted', 'referrals', referrals - m.people!, 'Referrals minus people.'),
    count(
      'repeatReferrals',
      'Repeat referrals',
      'referrals',
      m.repeatReferrals!,
      'Referrals the service reported as repeats (referred in the previous 12 months).',
    ),
    rate('repeatReferralRate', 'Repeat referral rate', m.repeatReferrals!, referrals, 'Repeat referrals ÷ referrals.', 'repeatReferrals'),
    count(
      'repeatReferralsLinked',
      'Repeat referrals found by linkage',
      'referrals',
      m.repeatLinked!,
      'Referrals of a person the same service had referred in the previous 12 months, found by record linkage across all current returns (not only those in scope); compare with the provider-reported repeatReferrals.',
    ),
    rate(
      'repeatReferralRateLinked',
      'Repeat referral rate (linkage)',
      m.repeatLinked!,
      referrals,
      'Repeat referrals found by linkage ÷ referrals.',
      'repeatReferralsLinked',
    ),
    count(
      'childrenInHousehold',
      'Children in the households of referred victims (victims of domestic abuse in their own right)',
      'children',
      m.children!,
      'Sum of children in household over the referrals; children are victims of domestic abuse in their own right (Domestic Abuse Act 2021 s.3).',
    ),
    count('familiesWithChildren', 'Referrals with children in the household', 'referrals', m.families!, 'Referrals with at least one child in the household.'),
    rate('highRiskRate', 'High-risk referrals', m.highRisk!, m.riskAssessed!, 'Referrals at high risk ÷ referrals with a risk level other than not_assessed.'),
    rate(
      'minoritisedEthnicityRate',
      'Black, Asian or racially minoritised victims',
      m.minoritised!,
      m.ethnicityKnown!,
      'Victims of any ethnicity other than White British ÷ victims with a known ethnicity (not_known and prefer_not_to_say excluded).',
    ),
    rate('lgbtRate', 'LGBT+ victims', m.lgbtPlus!, m.lgbtPlusKnown!, 'LGBT+ victims ÷ victims whose LGBT+ status is known (yes or no).'),
    rate('disabilityRate', 'Disabled victims', m.disabled!, m.disabilityKnown!, 'Victims with a disability ÷ victims answering yes or no.'),
    rate('maleVictimRate', 'Male victims', m.male!, m.sexKnown!, 'Male victims ÷ female and male victims.'),
    rate('vawgShare', 'VAWG referrals', m.vawg!, referrals, 'Referrals of category vawg ÷ referrals.'),
    rate(
      'residentShare',
      'Victims resident in the area',
      m.resident!,
      m.relationshipToAreaKnown!,
      'Residents ÷ victims with a known relationship to the area (resident, worker, visitor or other).',
    ),
    rate('interpreterRate', 'Victims needing an interpreter', m.interpreter!, m.interpreterKnown!, 'Interpreter required ÷ victims where it is known.'),
    rate(
      'otherReferralSourceShare',
      "Referrals from an 'other' source (data quality)",
      m.otherSource!,
      referrals,
      "Referrals whose source is 'other' ÷ referrals; named sources should replace 'other'.",
    ),
    {
      id: 'referralsPer1000Population',
      label: 'Referrals per 1,000 population, for the period (not annualised)',
      definition: `Referrals ÷ the population of the areas of the services in scope × 1,000. Population year used: ${population.used}.`,
      unit: 'per 1,000 population',
      kind: 'perPopulation',
      numerator: referrals,
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
      numerator: referrals,
      denominator: population.adultFemale,
      per: 10000,
      numeratorIndicator: 'referrals',
    },
    count(
      'victimsAged16To17',
      'Victims aged 16 to 17',
      'referrals',
      m.victims16To17!,
      'Referrals of victims aged 16 or 17 at the referral date (SafeLives Marac).',
    ),
    count(
      'perpetratorsAged17OrUnder',
      'Alleged perpetrators aged 17 or under',
      'perpetrators',
      m.youngPerpetrators!,
      'Alleged perpetrators aged 17 or under, counted once per referral they appear in (SafeLives Marac).',
    ),
    ...codedPersonVictimFields.map((f) =>
      rate(
        `notKnownShare.${f.name}`,
        `Victim ${fieldLabel(f)} not known (data quality)`,
        m[`notKnown.${f.name}`]!,
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
  };
}

export async function computeIndicators(db: Database, params: IndicatorParams): Promise<IndicatorList> {
  const scope = await resolveScope(db, params);
  // Distinct people is the costly count: it runs beside the others (concurrently on PostgreSQL).
  const [counts, people, repeatLinked, population] = await Promise.all([
    countMeasures(db, scope),
    countPeople(db, scope),
    countLinkedRepeats(db, scope),
    findPopulation(db, scope),
  ]);
  const { drafts, differences } = draftIndicators({ ...counts, people, repeatLinked }, population);
  const applied = params.role === 'analyst';
  const suppressed = applied ? findSuppressedIndicators(drafts, differences, params.threshold) : new Set<string>();
  return {
    period: scope.description,
    indicators: drafts.map((d) => publishIndicator(d, suppressed.has(d.id))),
    disclosure: describeIndicatorDisclosure(params.threshold, applied),
  };
}
