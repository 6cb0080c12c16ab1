/**
 * Headline indicators over the current records in scope: counts, rates (fractions 0–1), rates per
 * population, the SafeLives Marac set and data-quality shares, and (indicators-services.ts) the
 * dataset 1.1 families: intake, outcomes at closure, caseload, the service modules, programmes and
 * unmet need. This file is the one registry (`defineIndicators`, in the order published) and the
 * disclosure control over all of them. The counts over the records in scope come from one query;
 * the 1.1 groups over records of their own (closures, activity, programmes) from one query each;
 * derived definitions (ethnic groups, LGBT+, age bands, persons) come from the dataset helpers.
 *
 * Each indicator is declared once with what its disclosure depends on (indicator-kit.ts): what it
 * counts (a measure, by a typed name), which count it is a part of, and which unknown answers a
 * rate's denominator leaves out. The subtraction relations between published figures are derived
 * from those declarations (`deriveDifferences`), never listed beside them.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { readLinkageCurrency } from '../linkage/linkage-queue.js';
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
import {
  countIndicator,
  countWhere,
  inCodes,
  rateIndicator,
  sumOf,
  type IndicatorDefinition as Declared,
  type Measure,
  type NotAvailableReason,
} from './indicator-kit.js';
import { defineServiceIndicators, scopedServiceMeasures, serviceMeasureGroups, serviceMeasureNames, type ServiceMeasureName } from './indicators-services.js';
import { currentRecordsIn, queryRows, readInOneSnapshot, resolveScope, type Scope, type ScopeQuery, type Subject } from './scope.js';

export type { NotAvailableReason } from './indicator-kit.js';

export interface IndicatorParams extends ScopeQuery {
  role: Role;
  /** Counts from 1 to threshold − 1 are suppressed for analysts. */
  threshold: number;
}

type Kind = 'count' | 'rate' | 'perPopulation';

/** Which service type `casesPer10000AdultFemales` counts: SafeLives' measure is of cases heard at a Marac. */
const MARAC_SERVICE_TYPE = 'marac';

const ETHNICITY_CODES = acceptedCodes(victimField('ethnicity'));
const MINORITISED_CODES = ETHNICITY_CODES.filter((c) => isMinoritisedEthnicity(c) === true);
const KNOWN_ETHNICITY_CODES = ETHNICITY_CODES.filter((c) => isMinoritisedEthnicity(c) !== null);
const MARAC_16_TO_17 = ageBandSets.marac.bands.find((b) => b.min === 16 && b.max === 17)!.code;
/** SafeLives counts perpetrators aged 17 or under: the top of the Marac bands below 18+. */
const MAX_YOUNG_PERPETRATOR_AGE = Math.max(...ageBandSets.marac.bands.flatMap((b) => (b.max !== null && b.max < 18 ? [b.max] : [])));

const victimColumn = (name: string) => fieldSql(['victim', name]);
const lgbtPlus = lgbtPlusSql(victimColumn('sexualOrientation'), victimColumn('genderIdentitySameAsSex'));

/** Every count over the records in scope the indicators need, computed in one pass; named by `MeasureName`. */
const recordMeasures = {
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
  maracCases: countWhere(sql`s.service_type = ${literal(MARAC_SERVICE_TYPE)}`),
} satisfies Record<string, Measure>;

/** The not-known answers of a coded person field: one measure per field, named after it. */
export type NotKnownMeasure = `notKnown.${string}`;

/**
 * The name of a count the indicators are built from. A misspelt name does not compile; the
 * not-known counts are only ever named through `notKnownOf(field)`.
 */
export type MeasureName = keyof typeof recordMeasures | 'people' | 'repeatLinked' | 'duplicates' | NotKnownMeasure | ServiceMeasureName;

export function notKnownOf(field: FieldDefinition): NotKnownMeasure {
  return `notKnown.${field.name}`;
}

/** Every measure counted (duplicates follow from two of them). */
export const measureNames: readonly MeasureName[] = [
  ...(Object.keys(recordMeasures) as Array<keyof typeof recordMeasures>),
  'people',
  'repeatLinked',
  ...codedPersonVictimFields.map(notKnownOf),
  ...serviceMeasureNames,
];

/** A count and its cell key. */
export interface Counted {
  n: number;
  k: number;
}

/** The measures' counts, by name, and what else an indicator's availability depends on. */
export interface Measured {
  counts: ReadonlyMap<MeasureName, Counted>;
  /** Per coded person victim field: the records in scope carrying it at all (an optional field may be left out). */
  recorded: ReadonlyMap<string, number>;
  population: Population;
  /** The service types in scope. */
  serviceTypes: ReadonlySet<string>;
  /** The scope's subject (victim when not given): programme referrals are a part of the referrals only of perpetrators. */
  subject?: Subject;
}

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
      select r.period, ${referralDate}, r.record_key,
        lag(${referralDate}) over (partition by r.person_id, r.service_id order by ${referralDate}, r.id) as previous
      from analytic_records r
      where r.person_id is not null and r.service_id = any(${textArray(services)})
    ) x where x.period = any(${textArray(quarters)}) and x.previous >= ${fieldSql('referralDate', 'x')} - interval '12 months'`,
  );
  return { n: Number(row?.n ?? 0), k: cellKeyOf(row?.k) };
}

/** Every record measure's count and cell key (exact figures need no keys: 0 unless `keyed`), and which person fields were recorded. */
async function countMeasures(db: Database, scope: Scope, keyed: boolean): Promise<Pick<Measured, 'counts' | 'recorded'>> {
  const measures: Array<[MeasureName, Measure]> = [
    ...(Object.entries(recordMeasures) as Array<[keyof typeof recordMeasures, Measure]>),
    ...codedPersonVictimFields.map((f): [MeasureName, Measure] => [notKnownOf(f), countWhere(sql`${victimColumnSql(f)} = ${literal('not_known')}`)]),
    ...scopedServiceMeasures,
  ];
  // Each group of the 1.1 measures reads records of its own (closures, activity, programmes): a query each.
  const groups = serviceMeasureGroups.map((g) => ({ from: g.from(scope), measures: g.measures(scope) }));
  // Computed by their own queries, not over the records at once.
  const own = new Set<MeasureName>(['people', 'repeatLinked']);
  const counted = [...measures, ...groups.flatMap((g) => g.measures)];
  if (measureNames.some((name) => !own.has(name) && !counted.some(([m]) => m === name))) throw new Error('a measure has no SQL');
  const select = (list: Array<[MeasureName, Measure]>) =>
    list.flatMap(([name, m]) => [sql`${m.count} as ${sql.identifier(name)}`, ...(keyed ? [sql`${m.key} as ${sql.identifier(`key:${name}`)}`] : [])]);
  type Row = Record<string, number | string | null>;
  const read = (row: Row | undefined, list: Array<[MeasureName, Measure]>) =>
    list.map(([name]): [MeasureName, Counted] => [name, { n: Number(row?.[name] ?? 0), k: cellKeyOf(row?.[`key:${name}`]) }]);
  const [row] = await queryRows<Row>(
    db,
    sql`select ${sql.join(
      [...select(measures), ...codedPersonVictimFields.map((f) => sql`(count(${victimColumnSql(f)}))::int as ${sql.identifier(`recorded:${f.name}`)}`)],
      sql`, `,
    )} ${currentRecordsIn(scope)}`,
  );
  const counts = new Map(read(row, measures));
  for (const group of groups) {
    const [groupRow] = await queryRows<Row>(db, sql`select ${sql.join(select(group.measures), sql`, `)} ${group.from}`);
    for (const [name, value] of read(groupRow, group.measures)) counts.set(name, value);
  }
  return {
    counts,
    recorded: new Map(codedPersonVictimFields.map((f) => [f.name, Number(row?.[`recorded:${f.name}`] ?? 0)])),
  };
}

export interface Population {
  total: number | null;
  adultFemale: number | null;
  /** Adult females in the areas of the Marac services in scope (the SafeLives denominator). */
  maracAdultFemale: number | null;
  /** Which year's figure was used for each area, for the definition text. */
  used: string;
}

/** Sums the areas' populations; unknown (null) when any area summed has no figure. */
async function findPopulation(db: Database, scope: Scope): Promise<Population> {
  const found = await populationsInScope(db, scope);
  const maracAreas = new Set(scope.services.filter((s) => s.serviceType === MARAC_SERVICE_TYPE).map((s) => s.area));
  const adultFemales = (areas: typeof found) =>
    areas.length > 0 && areas.every((f) => f.population?.adultFemale != null) ? areas.reduce((n, f) => n + f.population!.adultFemale!, 0) : null;
  if (found.length === 0) return { total: null, adultFemale: null, maracAdultFemale: null, used: 'no area in scope' };
  return {
    total: found.every((f) => f.population) ? found.reduce((n, f) => n + f.population!.total, 0) : null,
    adultFemale: adultFemales(found),
    maracAdultFemale: adultFemales(found.filter((f) => maracAreas.has(f.area))),
    used: found.map((f) => `${f.area}: ${f.population ? f.population.year : 'none'}`).join(', '),
  };
}

function fieldLabel(field: FieldDefinition): string {
  return field.label.charAt(0).toLowerCase() + field.label.slice(1);
}

/** One indicator as declared over the measures (the relations it declares: indicator-kit.ts). */
type IndicatorDefinition = Declared<MeasureName>;

/** An indicator before disclosure control: its counts and where they come from. */
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
  /** The measures counted: two indicators with the same measure publish the same count. */
  numeratorMeasure: MeasureName;
  denominatorMeasure?: MeasureName;
  /** The declared relations (see `IndicatorDefinition`): the count a count is part of, the count a rate's denominator is within. */
  partOf: MeasureName | null;
  within?: MeasureName;
  disjointGroup?: string;
  noFewerThan?: MeasureName;
  knownAnswersOf?: FieldDefinition | null;
  /** Why there is no value whatever the counts. */
  notAvailable?: NotAvailableReason;
  /** Cell keys of the numerator and denominator counts, for the analysts' noise (cell-key.ts). */
  numeratorKey?: number;
  denominatorKey?: number;
}

/** The indicators, declared over the measures (see `IndicatorDefinition`). */
export function defineIndicators(measured: Measured): IndicatorDefinition[] {
  const { population } = measured;
  const anyReferrals = (measured.counts.get('referrals')?.n ?? 0) > 0;
  // The 1.0 indicators are all over the records in scope: a count is a part of the referrals or of nothing.
  const count = (
    id: string,
    label: string,
    unit: 'referrals' | 'people' | 'children' | 'perpetrators',
    numerator: MeasureName,
    partOfReferrals: boolean,
    definition: string,
    noFewerThan?: MeasureName,
  ): IndicatorDefinition => countIndicator(id, label, unit, numerator, partOfReferrals ? 'referrals' : null, definition, noFewerThan ? { noFewerThan } : {});
  const rate = (
    id: string,
    label: string,
    numerator: MeasureName,
    denominator: MeasureName,
    knownAnswersOf: FieldDefinition | null,
    definition: string,
    notAvailable?: NotAvailableReason,
  ): IndicatorDefinition => rateIndicator(id, label, numerator, denominator, definition, { knownAnswersOf, ...(notAvailable ? { notAvailable } : {}) });
  const maracInScope = measured.serviceTypes.has(MARAC_SERVICE_TYPE);
  return [
    count('referrals', 'Referrals', 'referrals', 'referrals', true, 'Referrals received by the services in scope (one record per referral).'),
    count(
      'people',
      'People referred',
      'people',
      'people',
      true,
      'Distinct people across the services in scope, as record linkage joined them (probabilistic matching on the linkage key and person attributes); records without a key count once each.',
    ),
    // Duplicates are the referrals less the people (see measureDuplicates).
    count('duplicateReferrals', 'Referrals of people already counted', 'referrals', 'duplicates', true, 'Referrals minus people.'),
    count(
      'repeatReferrals',
      'Repeat referrals',
      'referrals',
      'repeatReferrals',
      true,
      'Referrals the service reported as repeats (referred in the previous 12 months).',
    ),
    rate('repeatReferralRate', 'Repeat referral rate', 'repeatReferrals', 'referrals', null, 'Repeat referrals ÷ referrals.'),
    count(
      'repeatReferralsLinked',
      'Repeat referrals found by linkage',
      'referrals',
      'repeatLinked',
      true,
      'Referrals of a person the same service had referred in the previous 12 months, found by record linkage across all current returns (not only those in scope); compare with the provider-reported repeatReferrals.',
    ),
    rate('repeatReferralRateLinked', 'Repeat referral rate (linkage)', 'repeatLinked', 'referrals', null, 'Repeat referrals found by linkage ÷ referrals.'),
    count(
      'childrenInHousehold',
      'Children in the households of referred victims (victims of domestic abuse in their own right)',
      'children',
      'children',
      false,
      'Sum of children in household over the referrals; children are victims of domestic abuse in their own right (Domestic Abuse Act 2021 s.3).',
      'families',
    ),
    count(
      'familiesWithChildren',
      'Referrals with children in the household',
      'referrals',
      'families',
      true,
      'Referrals with at least one child in the household.',
    ),
    rate(
      'highRiskRate',
      'High-risk referrals',
      'highRisk',
      'riskAssessed',
      null,
      'Referrals at high risk ÷ referrals with a risk level other than not_assessed.',
    ),
    rate(
      'minoritisedEthnicityRate',
      'Victims of any ethnic group other than White British (Black, Asian and racially minoritised, White minorities included)',
      'minoritised',
      'ethnicityKnown',
      victimField('ethnicity'),
      `Victims whose victim.ethnicity is one of ${MINORITISED_CODES.join(', ')} (every code but white_british) ÷ victims with a known ethnicity ` +
        `(${KNOWN_ETHNICITY_CODES.length} codes: not_known and prefer_not_to_say excluded). White Irish, Gypsy or Irish Traveller, Roma and other ` +
        'White backgrounds count, as in SafeLives\' "Black, Asian or racially minoritised" measure; the five GSS groups (ethnicityGroup) put them with ' +
        'White British, so compare with the population through groupBy=minoritisedEthnicity, which has this definition and its own population share.',
    ),
    rate('lgbtRate', 'LGBT+ victims', 'lgbtPlus', 'lgbtPlusKnown', null, 'LGBT+ victims ÷ victims whose LGBT+ status is known (yes or no).'),
    rate(
      'disabilityRate',
      'Disabled victims',
      'disabled',
      'disabilityKnown',
      victimField('disability'),
      'Victims with a disability ÷ victims answering yes or no.',
    ),
    rate('maleVictimRate', 'Male victims', 'male', 'sexKnown', victimField('sex'), 'Male victims ÷ female and male victims.'),
    rate('vawgShare', 'VAWG referrals', 'vawg', 'referrals', null, 'Referrals of category vawg ÷ referrals.'),
    rate(
      'residentShare',
      'Victims resident in the area',
      'resident',
      'relationshipToAreaKnown',
      victimField('relationshipToArea'),
      'Residents ÷ victims with a known relationship to the area (resident, worker, visitor or other).',
    ),
    rate('interpreterRate', 'Victims needing an interpreter', 'interpreter', 'interpreterKnown', null, 'Interpreter required ÷ victims where it is known.'),
    rate(
      'otherReferralSourceShare',
      "Referrals from an 'other' source (data quality)",
      'otherSource',
      'referrals',
      null,
      "Referrals whose source is 'other' ÷ referrals; named sources should replace 'other'.",
    ),
    {
      kind: 'perPopulation',
      id: 'referralsPer1000Population',
      label: 'Referrals per 1,000 population, for the period (not annualised)',
      definition: `Referrals ÷ the population of the areas of the services in scope × 1,000. Population year used: ${population.used}.`,
      unit: 'per 1,000 population',
      numerator: 'referrals',
      population: population.total,
      per: 1000,
      partOf: 'referrals',
    },
    {
      kind: 'perPopulation',
      id: 'casesPer10000AdultFemales',
      label: 'Marac cases per 10,000 adult females, for the period (not annualised)',
      definition:
        `SafeLives Marac measure: cases heard at the Maracs in scope (referrals to services of type ${MARAC_SERVICE_TYPE}; other services' referrals are ` +
        'not Marac cases and are not counted, whatever serviceType asks for) ÷ females aged 16 and over in the areas of those Maracs × 10,000. ' +
        `Not available when no ${MARAC_SERVICE_TYPE} service is in scope. Population year used: ${population.used}.`,
      unit: 'per 10,000 adult females',
      numerator: 'maracCases',
      population: population.maracAdultFemale,
      per: 10000,
      partOf: 'referrals',
      ...(maracInScope ? {} : { notAvailable: 'service_type_not_in_scope' as const }),
    },
    count(
      'victimsAged16To17',
      'Victims aged 16 to 17',
      'referrals',
      'victims16To17',
      true,
      'Referrals of victims aged 16 or 17 at the referral date (SafeLives Marac).',
    ),
    count(
      'perpetratorsAged17OrUnder',
      'Alleged perpetrators aged 17 or under',
      'perpetrators',
      'youngPerpetrators',
      false,
      'Alleged perpetrators aged 17 or under, counted once per referral they appear in (SafeLives Marac).',
    ),
    ...defineServiceIndicators({ subject: measured.subject ?? 'victim' }),
    ...codedPersonVictimFields.map((f) => {
      const optional = f.required ? '' : ' The field is optional: records leaving it out are not counted as not_known.';
      // A field no record in scope carries was not collected: its share of unknowns is not 0%.
      const collected = !anyReferrals || (measured.recorded.get(f.name) ?? 0) > 0;
      return rate(
        `notKnownShare.${f.name}`,
        `Victim ${fieldLabel(f)} not known (data quality)`,
        notKnownOf(f),
        'referrals',
        null,
        `Referrals with victim.${f.name} = not_known ÷ referrals.${optional} Null, with reason not_collected, when no record in scope carries the field.`,
        collected ? undefined : 'not_collected',
      );
    }),
  ];
}

/** Duplicates are the referrals less the people; their cell key is the difference of the keys. */
function measureDuplicates(counts: ReadonlyMap<MeasureName, Counted>): Counted {
  const referrals = counts.get('referrals') ?? { n: 0, k: 0 };
  const people = counts.get('people') ?? { n: 0, k: 0 };
  return { n: referrals.n - people.n, k: cellKeyOf(referrals.k - people.k) };
}

/** The drafts of every indicator from the counts: each definition's measures looked up by name. */
export function draftIndicators(measured: Measured): IndicatorDraft[] {
  const counts = new Map(measured.counts);
  counts.set('duplicates', measureDuplicates(counts));
  const measure = (name: MeasureName): Counted => {
    const counted = counts.get(name);
    if (!counted) throw new Error(`no measure ${name}`);
    return counted;
  };
  return defineIndicators(measured).map((d): IndicatorDraft => {
    const numerator = measure(d.numerator);
    const base = {
      id: d.id,
      label: d.label,
      definition: d.definition,
      numerator: numerator.n,
      numeratorKey: numerator.k,
      numeratorMeasure: d.numerator,
    };
    if (d.kind === 'count') {
      return {
        ...base,
        kind: 'count',
        unit: d.unit,
        denominator: null,
        partOf: d.partOf,
        ...(d.disjointGroup ? { disjointGroup: d.disjointGroup } : {}),
        ...(d.noFewerThan ? { noFewerThan: d.noFewerThan } : {}),
      };
    }
    if (d.kind === 'perPopulation') {
      return {
        ...base,
        kind: 'perPopulation',
        unit: d.unit,
        denominator: d.population,
        per: d.per,
        partOf: d.partOf,
        ...(d.notAvailable ? { notAvailable: d.notAvailable } : {}),
      };
    }
    const denominator = measure(d.denominator);
    return {
      ...base,
      kind: 'rate',
      unit: 'rate',
      denominator: denominator.n,
      denominatorKey: denominator.k,
      denominatorMeasure: d.denominator,
      // A rate's numerator is a part of its denominator, and the denominator a part of `within`.
      partOf: d.denominator,
      within: d.within,
      knownAnswersOf: d.knownAnswersOf,
      ...(d.notAvailable ? { notAvailable: d.notAvailable } : {}),
    };
  });
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

export interface Term {
  id: string;
  term: 'numerator' | 'denominator';
}

const numeratorOf = (id: string): Term => ({ id, term: 'numerator' });
const denominatorOf = (id: string): Term => ({ id, term: 'denominator' });

/**
 * The subtraction relations between published figures, from the relations declared on each
 * indicator (indicator-kit.ts):
 * - for every count that is a part of another, directly or through others (a part of the referrals,
 *   a rate's numerator of its denominator, a denominator of what it is `within`, convictions of
 *   finalised cases of referrals): total − part, read through every indicator that publishes either
 *   count (the referrals are also every referral-based rate's denominator, the programme stages
 *   each a numerator and the next rate's denominator), withholding the part's indicator;
 * - the total − any two or three counts of a disjoint group (the intake statuses);
 * - where the not-known share of the same field is published, the total − the known − the not known
 *   (prefer not to say);
 * - a sum of units − the referrals with at least one (children beyond the first of each family).
 */
export function deriveDifferences(drafts: readonly IndicatorDraft[]): Difference[] {
  if (!drafts.some((d) => d.kind === 'count' && d.numeratorMeasure === 'referrals')) throw new Error('the referrals count is not an indicator');
  const published = new Map<MeasureName, Term[]>();
  const publish = (measure: MeasureName, term: Term) => published.set(measure, [...(published.get(measure) ?? []), term]);
  for (const d of drafts) {
    publish(d.numeratorMeasure, numeratorOf(d.id));
    if (d.kind === 'rate' && d.denominatorMeasure) publish(d.denominatorMeasure, denominatorOf(d.id));
  }
  const termsOf = (measure: MeasureName) => published.get(measure) ?? [];
  const totalsOf = new Map<MeasureName, Set<MeasureName>>();
  const contain = (part: MeasureName, total: MeasureName | null | undefined) => {
    if (total && total !== part) totalsOf.set(part, (totalsOf.get(part) ?? new Set()).add(total));
  };
  for (const d of drafts) {
    contain(d.numeratorMeasure, d.partOf);
    if (d.kind === 'rate' && d.denominatorMeasure) contain(d.denominatorMeasure, d.within);
  }
  const containing = (part: MeasureName): Set<MeasureName> => {
    const found = new Set<MeasureName>();
    const visit = (m: MeasureName) => {
      for (const total of totalsOf.get(m) ?? []) {
        if (total === part || found.has(total)) continue;
        found.add(total);
        visit(total);
      }
    };
    visit(part);
    return found;
  };
  /** Every way of reading total − parts through the published terms, one Difference each. */
  const readings = (total: MeasureName, parts: MeasureName[], withhold: (parts: Term[]) => string): Difference[] =>
    termsOf(total).flatMap((t) =>
      parts
        .reduce<Term[][]>((ways, part) => ways.flatMap((way) => termsOf(part).map((term) => [...way, term])), [[]])
        .map((partTerms) => ({ total: t, parts: partTerms, withhold: withhold(partTerms) })),
    );
  const last = (parts: Term[]) => parts.at(-1)!.id;

  const differences: Difference[] = [];
  for (const part of published.keys()) for (const total of containing(part)) differences.push(...readings(total, [part], last));

  const groups = new Map<string, { total: MeasureName; members: MeasureName[] }>();
  for (const d of drafts) {
    if (!d.disjointGroup || !d.partOf) continue;
    const group = groups.get(d.disjointGroup) ?? { total: d.partOf, members: [] };
    if (group.total !== d.partOf) throw new Error(`disjoint group ${d.disjointGroup} has parts of two totals`);
    group.members.push(d.numeratorMeasure);
    groups.set(d.disjointGroup, group);
  }
  for (const { total, members } of groups.values()) {
    // Every subset of two or more members (one member alone is a part, above).
    for (let mask = 1; mask < 1 << members.length; mask++) {
      const subset = members.filter((_, i) => mask & (1 << i));
      if (subset.length >= 2) differences.push(...readings(total, subset, last));
    }
  }

  for (const d of drafts) {
    if (d.kind === 'rate' && d.knownAnswersOf) {
      const share = drafts.find((s) => s.kind === 'rate' && s.numeratorMeasure === notKnownOf(d.knownAnswersOf!));
      if (!share) throw new Error(`no not-known share of ${d.knownAnswersOf.name}`);
      for (const t of termsOf(d.within ?? 'referrals')) differences.push({ total: t, parts: [denominatorOf(d.id), numeratorOf(share.id)], withhold: share.id });
    }
    if (d.noFewerThan) {
      const count = drafts.find((c) => c.kind === 'count' && c.numeratorMeasure === d.noFewerThan);
      if (!count) throw new Error(`no count of ${d.noFewerThan}`);
      differences.push({ total: numeratorOf(d.id), parts: [numeratorOf(count.id)], withhold: d.id });
    }
  }
  return differences;
}

/** The count indicator publishing the same measure as a rate's numerator on its own, by id. */
function findNumeratorIndicators(drafts: readonly IndicatorDraft[]): Map<string, string> {
  const counts = new Map(drafts.filter((d) => d.kind === 'count').map((d) => [d.numeratorMeasure, d.id]));
  const found = new Map<string, string>();
  for (const d of drafts) {
    const own = counts.get(d.numeratorMeasure);
    if (d.kind !== 'count' && own) found.set(d.id, own);
  }
  return found;
}

export type SuppressionKind = 'primary' | 'complementary';

/**
 * Which indicators an analyst may not see, and why. Primary: small counts, and rates with a small
 * numerator or denominator. Then, to a fixed point, complementary: rates whose numerator is a
 * withheld indicator, numerator indicators of rates withheld for their numerator, and every small
 * difference of published terms. `differences` defaults to those the indicators declare.
 */
export function findSuppressedIndicators(
  drafts: readonly IndicatorDraft[],
  threshold: number,
  differences: readonly Difference[] = deriveDifferences(drafts),
): Map<string, SuppressionKind> {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const numeratorIndicators = findNumeratorIndicators(drafts);
  const suppressed = new Map<string, SuppressionKind>();
  for (const d of drafts) {
    const smallNumerator = isSmall(d.numerator, threshold);
    if (d.kind === 'count' && smallNumerator) suppressed.set(d.id, 'primary');
    if (d.kind === 'rate' && (smallNumerator || isSmall(d.denominator ?? 0, threshold))) suppressed.set(d.id, 'primary');
    if (d.kind === 'perPopulation' && smallNumerator) suppressed.set(d.id, 'primary');
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
        suppressed.set(id, 'complementary');
        changed = true;
      }
    };
    for (const d of drafts) {
      const own = numeratorIndicators.get(d.id);
      if (!own) continue;
      // A rate over a withheld count would publish it (a small numerator withholds the count itself: the same measure).
      if (suppressed.has(own)) withhold(d.id);
    }
    for (const difference of differences) {
      const terms = [difference.total, ...difference.parts].map(valueOf);
      if (terms.some((v) => v === null)) continue;
      const [total, ...parts] = terms as number[];
      const remainder = total! - parts.reduce((s, v) => s + v, 0);
      if (!isSmall(remainder, threshold)) continue;
      withhold(difference.withhold);
      // A rate withheld for its complement still has its numerator published on its own.
      const own = numeratorIndicators.get(difference.withhold);
      if (own && difference.total.id === difference.withhold) withhold(own);
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

function publishIndicator(d: IndicatorDraft, suppression: SuppressionKind | undefined): Indicator {
  const base = { id: d.id, label: d.label, definition: d.definition, unit: d.unit };
  const percent = d.kind === 'rate' ? { percent: null } : {};
  if (suppression) return { ...base, numerator: null, denominator: null, value: null, ...percent, status: 'suppressed', suppression };
  if (d.notAvailable === 'not_collected') {
    return { ...base, numerator: null, denominator: null, value: null, ...percent, status: 'not_available', reason: d.notAvailable };
  }
  if (d.kind === 'count') return { ...base, numerator: d.numerator, denominator: null, value: d.numerator, status: 'ok' };
  if (d.notAvailable || d.denominator === null || d.denominator === 0) {
    const reason = d.notAvailable ?? (d.denominator === null ? 'no_population' : 'no_denominator');
    return { ...base, numerator: d.numerator, denominator: d.denominator, value: null, ...percent, status: 'not_available', reason };
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
      'referrals with children, victims aged 16 to 17, Marac cases) when the rest of the referrals is small, rates whose denominator leaves out ' +
      'a small number of referrals (the unknowns), not-known shares that would reveal a small prefer-not-to-say group, and children in ' +
      'the household when the children beyond the first of each family are few. ' +
      'The same holds for every part of a published count, directly or through others (accepted, duplicate and inappropriate ' +
      'referrals, alone or together; closures and each closure outcome answered; properties secured of sanctuary referrals; ' +
      'convictions of finalised court cases and early guilty pleas of convictions; refuge admissions and departures of residents; ' +
      'each programme stage of the one before), whichever published indicator carries each count. ' +
      '`suppression` says which: `primary` (its own count is small) or `complementary` (withheld so another cannot be derived).',
    rates:
      `A rate is suppressed when its numerator, its denominator or its denominator − numerator is from ${small}, or when its ` +
      'numerator is a suppressed indicator; the count indicator publishing its numerator is then suppressed too. A suppressed ' +
      'indicator publishes no numerator, denominator or value. Rates per population are suppressed with their numerator.',
    ...(applied ? { perturbation: describePerturbation(threshold) } : {}),
  };
}

export async function computeIndicators(db: Database, params: IndicatorParams): Promise<IndicatorList> {
  return readInOneSnapshot(db, (snapshot) => indicatorsInSnapshot(snapshot, params));
}

async function indicatorsInSnapshot(db: Database, params: IndicatorParams): Promise<IndicatorList> {
  const scope = await resolveScope(db, params);
  const applied = params.role === 'analyst';
  const { counts, recorded } = await countMeasures(db, scope, applied);
  const people = await countPeople(db, scope, applied);
  const repeatLinked = await countLinkedRepeats(db, scope);
  const population = await findPopulation(db, scope);
  const drafts = draftIndicators({
    counts: new Map([...counts, ['people', people], ['repeatLinked', repeatLinked]]),
    recorded,
    population,
    serviceTypes: new Set(scope.services.map((s) => s.serviceType)),
    subject: scope.subject,
  });
  // Suppression decides on the true counts; analysts then see the published ones with their noise.
  const suppressed = applied ? findSuppressedIndicators(drafts, params.threshold) : new Map<string, SuppressionKind>();
  return {
    period: scope.description,
    indicators: drafts.map((d) => publishIndicator(applied ? perturbDraft(d, params.threshold) : d, suppressed.get(d.id))),
    linkage: await readLinkageCurrency(db),
    disclosure: describeIndicatorDisclosure(params.threshold, applied),
  };
}
