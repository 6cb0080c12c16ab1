/**
 * The dataset 1.1 indicators (contract 1.1 section 4): intake, outcomes at closure, caseload, the
 * service modules (sanctuary, housing, refuge, court, safeguarding), perpetrator programmes and unmet
 * need. Their measures come in groups, each counted in one query over its own records:
 * - `scoped`: the records in scope by the scope's basis and subject (intake, modules, unmet need);
 * - `closures`: closures in the period, whatever the basis (outcomes);
 * - `activity`: every current referral of the services, each figure with its own date condition
 *   (refuge residents, admissions and departures; open cases): activity figures ignore basis;
 * - `programmes`: referrals of people who harm (subject perpetrator), whatever subject asks for.
 * The registry, disclosure control and publication are in indicators.ts.
 */
import { sql, type SQL } from 'drizzle-orm';
import { codeLists, listCodes } from '../../schema/dataset/code-lists.js';
import { fieldSql } from '../../schema/dataset/columns.js';
import { countIndicator, countWhere, inCodes, moduleGiven, rateIndicator, sumOf, type IndicatorDefinition, type Measure } from './indicator-kit.js';
import { literal } from './dimensions.js';
import { currentRecordsIn, scopeDates, type Scope, type Subject } from './scope.js';

const status = fieldSql('status');
const courtOutcome = fieldSql('court.outcome');
const convicted = sql`${courtOutcome} = ${literal('convicted')}`;
const FINALISED_OUTCOMES = listCodes(codeLists.courtOutcome).filter((c) => c !== 'ongoing');

/** Counts over the records in scope (the scope's basis and subject), beside the 1.0 measures. */
const scopedMeasures = {
  // Absent means accepted (fields.ts): a null status is an accepted referral.
  accepted: countWhere(sql`(${status} is null or ${status} = ${literal('accepted')})`),
  reportedDuplicate: countWhere(sql`${status} = ${literal('duplicate')}`),
  inappropriate: countWhere(sql`${status} = ${literal('inappropriate')}`),
  sanctuaryReferrals: countWhere(moduleGiven('sanctuary')),
  propertiesSecured: countWhere(fieldSql('sanctuary.propertySecured')),
  homelessnessApproaches: countWhere(fieldSql('housing.homelessnessApproach')),
  // Inside its denominator: a placement is counted for a household that approached.
  temporaryAccommodation: countWhere(sql`${fieldSql('housing.homelessnessApproach')} and ${fieldSql('housing.temporaryAccommodation')}`),
  householdsMoved: countWhere(fieldSql('housing.movedDueToAbuse')),
  courtFinalised: countWhere(inCodes(courtOutcome, FINALISED_OUTCOMES)),
  convicted: countWhere(convicted),
  earlyGuiltyPleas: countWhere(sql`${convicted} and ${fieldSql('court.earlyGuiltyPlea')}`),
  preSentenceReports: countWhere(sql`${convicted} and ${fieldSql('court.preSentenceReport')}`),
  supportedAtCourt: countWhere(fieldSql('court.supportAtCourt')),
  childProtection: countWhere(fieldSql('safeguarding.childProtectionPlan')),
  childInNeed: countWhere(fieldSql('safeguarding.childInNeed')),
  adultSafeguarding: countWhere(fieldSql('safeguarding.adultSafeguardingConcern')),
  // Entries, not referrals: jsonpath filters the list in place (as the young perpetrators are counted).
  onwardNoServiceAvailable: sumOf(
    sql`jsonb_array_length(jsonb_path_query_array(${fieldSql('onwardReferrals')}, ${sql.raw(`'$[*] ? (@.outcome == "no_service_available")'`)}))`,
  ),
} satisfies Record<string, Measure>;

/** The yes/no outcomes at closure, each with a true ÷ (true + false) rate. */
const CLOSURE_OUTCOMES = ['abuseReduced', 'riskReduced', 'feelsSafer', 'qualityOfLifeImproved', 'childrenSafer'] as const;
type ClosureOutcome = (typeof CLOSURE_OUTCOMES)[number];
type ClosureMeasureName = 'closures' | `${ClosureOutcome}.true` | `${ClosureOutcome}.answered` | 'relationshipEnded' | 'relationshipAnswered';

const relationshipAtClosure = fieldSql('closure.relationshipAtClosure');
const closureMeasures = {
  closures: { count: sql`count(*)::int`, key: sql`sum(r.record_key)` },
  ...(Object.fromEntries(
    CLOSURE_OUTCOMES.flatMap((name) => {
      const column = fieldSql(['closure', name]);
      return [
        [`${name}.true`, countWhere(column)],
        [`${name}.answered`, countWhere(sql`${column} is not null`)],
      ];
    }),
  ) as Record<`${ClosureOutcome}.${'true' | 'answered'}`, Measure>),
  relationshipEnded: countWhere(sql`${relationshipAtClosure} = ${literal('ended')}`),
  relationshipAnswered: countWhere(inCodes(relationshipAtClosure, ['ended', 'continuing'])),
} satisfies Record<ClosureMeasureName, Measure>;

const ACTIVITY_MEASURES = ['refugeResidents', 'refugeChildren', 'refugeAdmissions', 'refugeDepartures', 'openCases'] as const;
type ActivityMeasureName = (typeof ACTIVITY_MEASURES)[number];

/** Counts over every current referral of the services, each by its own dates in the period. */
function activityMeasures(scope: Scope): Record<ActivityMeasureName, Measure> {
  const { start, end } = scopeDates(scope);
  const admitted = fieldSql('refuge.admissionDate');
  const departed = fieldSql('refuge.departureDate');
  const closed = fieldSql('closure.closedDate');
  const inPeriod = (date: SQL) => sql`${date} between ${start}::date and ${end}::date`;
  const resident = sql`(${admitted} <= ${end}::date and (${departed} is null or ${departed} >= ${start}::date))`;
  return {
    refugeResidents: countWhere(resident),
    refugeChildren: sumOf(sql`(case when ${resident} then coalesce(${fieldSql('refuge.childrenAccommodated')}, 0) else 0 end)`),
    refugeAdmissions: countWhere(inPeriod(admitted)),
    refugeDepartures: countWhere(inPeriod(departed)),
    openCases: countWhere(sql`${fieldSql('referralDate')} <= ${end}::date and (${closed} is null or ${closed} > ${end}::date)`),
  };
}

/** The programme stages in order; "reached a stage" is that stage or any later one (the stage is the furthest reached). */
const STAGES = listCodes(codeLists.programmeStage);
export type StageMeasureName = `programmeReached.${string}`;
const reached = (stage: string): StageMeasureName => `programmeReached.${stage}`;
const programmeStage = fieldSql('programme.stage');
type ProgrammeMeasureName = 'programmeReferrals' | StageMeasureName;

function programmeMeasures(): Record<ProgrammeMeasureName, Measure> {
  return {
    // Every programme record has a stage (referred at least): they are the referrals to programmes.
    programmeReferrals: countWhere(moduleGiven('programme')),
    ...Object.fromEntries(STAGES.slice(1).map((stage, i) => [reached(stage), countWhere(inCodes(programmeStage, STAGES.slice(i + 1)))])),
  };
}

export type ServiceMeasureName = keyof typeof scopedMeasures | ClosureMeasureName | ActivityMeasureName | ProgrammeMeasureName;

/** A set of measures counted in one query over the records `from` selects. */
export interface MeasureGroup {
  from(scope: Scope): SQL;
  measures(scope: Scope): Array<[ServiceMeasureName, Measure]>;
}

const entries = <M extends string>(measures: Record<M, Measure>) => Object.entries(measures) as Array<[M, Measure]>;

/** The 1.1 measures over the records in scope: counted in the same query as the 1.0 ones. */
export const scopedServiceMeasures = entries(scopedMeasures);

/** The 1.1 measures over records of their own, one query per group. */
export const serviceMeasureGroups: readonly MeasureGroup[] = [
  { from: (scope) => currentRecordsIn(scope, sql``, { basis: 'closure' }), measures: () => entries(closureMeasures) },
  { from: (scope) => currentRecordsIn(scope, sql``, { basis: 'all' }), measures: (scope) => entries(activityMeasures(scope)) },
  // The person referred to a programme is the one who harms, whatever subject asks for; localAuthority is theirs.
  { from: (scope) => currentRecordsIn({ ...scope, subject: 'perpetrator' }, sql``), measures: () => entries(programmeMeasures()) },
];

/** Every 1.1 measure's name (for measureNames in indicators.ts). */
export const serviceMeasureNames: readonly ServiceMeasureName[] = [
  ...(Object.keys(scopedMeasures) as Array<keyof typeof scopedMeasures>),
  ...(Object.keys(closureMeasures) as ClosureMeasureName[]),
  ...ACTIVITY_MEASURES,
  ...(Object.keys(programmeMeasures()) as ProgrammeMeasureName[]),
];

/** What the declarations depend on in the scope asked for. */
export interface ServiceIndicatorContext {
  subject: Subject;
}

const capitalised = (code: string) => code.charAt(0).toUpperCase() + code.slice(1);
const stageLabel = (code: string) => codeLists.programmeStage.codes.find((c) => c.code === code)!.label.toLowerCase();

const BASIS_NOTE = 'Follows basis (default: referrals received in the period, in their latest state); every status counts.';
const ACTIVITY_NOTE =
  'An activity figure: computed over every current referral of the services in scope, whatever quarter it was received in, so basis does not apply.';

/** The 1.1 indicators, in the contract's order (see `IndicatorDefinition` for the disclosure relations). */
export function defineServiceIndicators(context: ServiceIndicatorContext): Array<IndicatorDefinition<ServiceMeasureName | 'referrals'>> {
  type M = ServiceMeasureName | 'referrals';
  const count = countIndicator<M>;
  const rate = rateIndicator<M>;
  const closureRate = (id: string, label: string, outcome: ClosureOutcome, what: string) =>
    rate(
      id,
      label,
      `${outcome}.true`,
      `${outcome}.answered`,
      `Closures in the period with closure.${outcome} true ÷ closures with it true or false (${what}); closures where it is null or absent are left out of both.`,
      { within: 'closures' },
    );
  const status = { disjointGroup: 'status' };
  return [
    // Intake
    count(
      'acceptedReferrals',
      'Referrals accepted',
      'referrals',
      'accepted',
      'referrals',
      `Referrals with status accepted or no status (absent means accepted). ${BASIS_NOTE} Referrals = accepted + duplicate + inappropriate + declined + no_contact.`,
      status,
    ),
    count(
      'duplicateReferralsReported',
      'Referrals the service reported as duplicates',
      'referrals',
      'reportedDuplicate',
      'referrals',
      `Referrals with status duplicate: the person was already referred to the service for the same episode, as the service reported it (duplicateReferrals is what record linkage finds). ${BASIS_NOTE}`,
      status,
    ),
    count(
      'inappropriateReferrals',
      'Inappropriate referrals',
      'referrals',
      'inappropriate',
      'referrals',
      `Referrals with status inappropriate: they did not meet the service's criteria. ${BASIS_NOTE}`,
      status,
    ),
    // Outcomes: the closures in the period.
    count(
      'closures',
      'Cases closed',
      'referrals',
      'closures',
      // A part of the referrals where the closures are of the period's referrals (a service's first quarter), so declared as one.
      'referrals',
      "Referrals whose closure.closedDate falls in the period, whatever quarter they were received in, set by the record or by a later quarter's update; always counted on the closure basis, whatever basis asks for. The denominator of the outcome rates below.",
    ),
    closureRate('abuseReducedRate', 'Abuse reduced at closure', 'abuseReduced', 'the abuse reduced or stopped'),
    closureRate('riskReducedRate', 'Risk reduced at closure', 'riskReduced', 'null: risk not assessed'),
    closureRate('feelsSaferRate', 'Feels safer at closure', 'feelsSafer', 'the person said they feel safer'),
    closureRate('qualityOfLifeImprovedRate', 'Quality of life improved at closure', 'qualityOfLifeImproved', 'the person said their quality of life improved'),
    closureRate('childrenSaferRate', 'Children safer at closure', 'childrenSafer', 'the children of the household are safer'),
    rate(
      'relationshipEndedRate',
      'Relationship with the person who harmed them ended, at closure',
      'relationshipEnded',
      'relationshipAnswered',
      'Closures in the period with closure.relationshipAtClosure ended ÷ those with ended or continuing; not_applicable, not_known and absent are left out of both.',
      { within: 'closures' },
    ),
    // Caseload
    count(
      'openCasesAtPeriodEnd',
      'Cases open at the end of the period',
      'referrals',
      'openCases',
      // A part of the referrals on the activity basis, and on any basis while the service's cases all arrived in the period
      // (its first quarter): referrals − open cases is then the referrals closed, so it is declared a part.
      'referrals',
      `Referrals received on or before the last day of the period and not closed by then (no closure.closedDate, or one after that day). ${ACTIVITY_NOTE}`,
    ),
    // Sanctuary
    count(
      'sanctuaryReferrals',
      'Sanctuary Scheme referrals',
      'referrals',
      'sanctuaryReferrals',
      'referrals',
      `Referrals with a sanctuary module: households a Sanctuary Scheme worked with. ${BASIS_NOTE}`,
    ),
    count(
      'propertiesSecured',
      'Properties secured',
      'referrals',
      'propertiesSecured',
      'sanctuaryReferrals',
      `Referrals with sanctuary.propertySecured true. ${BASIS_NOTE}`,
    ),
    rate(
      'propertiesSecuredRate',
      'Sanctuary Scheme properties secured',
      'propertiesSecured',
      'sanctuaryReferrals',
      `Referrals with sanctuary.propertySecured true ÷ referrals with a sanctuary module (sanctuaryReferrals). ${BASIS_NOTE}`,
    ),
    // Housing
    count(
      'homelessnessApproaches',
      'Homelessness approaches',
      'referrals',
      'homelessnessApproaches',
      'referrals',
      `Referrals with housing.homelessnessApproach true: households that approached the council as homeless or at risk of homelessness. ${BASIS_NOTE}`,
    ),
    rate(
      'temporaryAccommodationRate',
      'Homelessness approaches placed in temporary accommodation',
      'temporaryAccommodation',
      'homelessnessApproaches',
      'Referrals with housing.temporaryAccommodation true ÷ referrals with housing.homelessnessApproach true (homelessnessApproaches); ' +
        `a placement is counted for a household that approached, so the rate is at most 1. ${BASIS_NOTE}`,
    ),
    count(
      'householdsMoved',
      'Households that moved because of the abuse',
      'referrals',
      'householdsMoved',
      'referrals',
      `Referrals with housing.movedDueToAbuse true. ${BASIS_NOTE}`,
    ),
    // Refuge: activity figures, but for admissions.
    count(
      'refugeResidents',
      'Women resident in refuge in the period',
      'referrals',
      'refugeResidents',
      // As open cases: a part of the referrals while the refuge's residents all arrived in the period.
      'referrals',
      'Referrals with refuge.admissionDate on or before the last day of the period and no refuge.departureDate or one on or after its first day: ' +
        `women resident at any time in the period (one admitted last year and still resident counts). ${ACTIVITY_NOTE}`,
    ),
    count(
      'refugeChildren',
      'Children accommodated in refuge with the women resident',
      'children',
      'refugeChildren',
      null,
      `The sum of refuge.childrenAccommodated over the refuge residents of the period (refugeResidents). ${ACTIVITY_NOTE}`,
    ),
    count(
      'refugeAdmissions',
      'Refuge admissions',
      'referrals',
      'refugeAdmissions',
      'refugeResidents',
      'Referrals with refuge.admissionDate inside the period, whatever quarter the referral was received in (every current referral of the services is read). Each is a refuge resident of the period.',
    ),
    count(
      'refugeDepartures',
      'Refuge departures',
      'referrals',
      'refugeDepartures',
      'refugeResidents',
      `Referrals with refuge.departureDate inside the period. Each is a refuge resident of the period. ${ACTIVITY_NOTE}`,
    ),
    // Court
    count(
      'courtCasesFinalised',
      'Court cases finalised',
      'referrals',
      'courtFinalised',
      'referrals',
      `Referrals with a court.outcome other than ongoing (${FINALISED_OUTCOMES.join(', ')}). ${BASIS_NOTE}`,
    ),
    rate(
      'convictionRate',
      'Convictions',
      'convicted',
      'courtFinalised',
      `Referrals with court.outcome convicted ÷ court cases finalised (courtCasesFinalised). ${BASIS_NOTE}`,
    ),
    rate(
      'earlyGuiltyPleaRate',
      'Early guilty pleas',
      'earlyGuiltyPleas',
      'convicted',
      `Convicted cases with court.earlyGuiltyPlea true ÷ convicted cases; a plea that is null (not known) stays in the denominator. ${BASIS_NOTE}`,
      { within: 'courtFinalised' },
    ),
    rate(
      'preSentenceReportRate',
      'Pre-sentence reports',
      'preSentenceReports',
      'convicted',
      `Convicted cases with court.preSentenceReport true ÷ convicted cases; a report that is null (not known) stays in the denominator. ${BASIS_NOTE}`,
      { within: 'courtFinalised' },
    ),
    count(
      'supportedAtCourt',
      'Victim-survivors supported at court',
      'referrals',
      'supportedAtCourt',
      'referrals',
      `Referrals with court.supportAtCourt true (supported by an IDVA or court advocate), whatever the outcome. ${BASIS_NOTE}`,
    ),
    // Safeguarding
    count(
      'childProtectionCases',
      'Cases with a child protection plan',
      'referrals',
      'childProtection',
      'referrals',
      `Referrals with safeguarding.childProtectionPlan true. ${BASIS_NOTE}`,
    ),
    count(
      'childInNeedCases',
      'Cases with a child in need',
      'referrals',
      'childInNeed',
      'referrals',
      `Referrals with safeguarding.childInNeed true (Children Act 1989 s.17). ${BASIS_NOTE}`,
    ),
    count(
      'adultSafeguardingConcerns',
      'Adult safeguarding concerns raised',
      'referrals',
      'adultSafeguarding',
      'referrals',
      `Referrals with safeguarding.adultSafeguardingConcern true (Care Act 2014). ${BASIS_NOTE}`,
    ),
    // Programmes: about the person who harms.
    count(
      'programmeReferrals',
      'Referrals to programmes for people who harm',
      'referrals',
      'programmeReferrals',
      context.subject === 'perpetrator' ? 'referrals' : null,
      'Referrals of subject perpetrator with a programme module, in the services and period in scope: programme figures are always about the person ' +
        "referred, whatever subject asks for (localAuthority, when given, is that person's). Follows basis.",
    ),
    count(
      'programmeCompleted',
      'Programmes completed',
      'referrals',
      reached('completed'),
      'programmeReferrals',
      'Programme referrals (programmeReferrals) whose furthest programme.stage is completed.',
    ),
    ...STAGES.slice(1).map((stage, i) => {
      const previous = STAGES[i]!;
      return rate(
        `programme${capitalised(stage)}Rate`,
        `Programme: ${stageLabel(stage)}, of those ${stageLabel(previous)}`,
        reached(stage),
        i === 0 ? 'programmeReferrals' : reached(previous),
        `Programme referrals that reached ${stage} or a later stage ÷ those that reached ${previous} or a later stage ` +
          '(programme.stage is the furthest stage reached; each implies the ones before). Subject perpetrator, as programmeReferrals.',
        { within: 'programmeReferrals' },
      );
    }),
    // Unmet need
    count(
      'onwardReferralsNoServiceAvailable',
      'Onward referrals with no service available (unmet need)',
      'onward referrals',
      'onwardNoServiceAvailable',
      null,
      `Onward referrals (entries of onwardReferrals) with outcome no_service_available, on the referrals in scope: a referral with two counts twice. ${BASIS_NOTE}`,
    ),
  ];
}
