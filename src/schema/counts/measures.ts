/**
 * The count-measure catalogue (contract 1.1 §5), as data: validation of count returns,
 * `GET /v1/count-measures`, the CSV template and the OpenAPI enums are all derived from this file,
 * so a measure is added here or nowhere.
 *
 * Counts are totals a service reports for an area and period (police, helplines, courts), not records.
 * Definitions follow the seeds' own tables (shared/research/seeds-dictionary.md, C1-C15).
 */
import { codeLists, type Code } from '../dataset/code-lists.js';

/** A dimension a measure may be broken down by, with the codes a cell may carry. */
export interface CountBreakdown {
  readonly id: string;
  readonly label: string;
  /** The dataset code list the codes come from, when one fits (codes are then that list's, never repeated). */
  readonly codeList?: string;
  readonly codes: readonly Code[];
}

export interface CountMeasure {
  readonly id: string;
  readonly label: string;
  readonly definition: string;
  /** What one unit of `value` counts (e.g. calls, offences). */
  readonly unit: string;
  /** The breakdown dimensions a cell of this measure may carry (none: totals only). */
  readonly breakdowns: readonly CountBreakdown[];
}

/** A measure computed from two reported measures for the same area and period: numerator ÷ denominator. */
export interface DerivedCountMeasure {
  readonly id: string;
  readonly label: string;
  readonly definition: string;
  readonly numerator: string;
  readonly denominator: string;
}

const sexBreakdown: CountBreakdown = {
  id: 'sex',
  label: codeLists.sex.label,
  codeList: codeLists.sex.id,
  codes: codeLists.sex.codes,
};

function measure(id: string, label: string, unit: string, definition: string, breakdowns: readonly CountBreakdown[] = []): CountMeasure {
  return { id, label, definition, unit, breakdowns };
}

export const countMeasures: readonly CountMeasure[] = [
  measure(
    'helpline_calls',
    'Helpline calls',
    'calls',
    "Calls answered by a helpline in the period, counted by the caller's area of residence (area: the caller's local authority, not the helpline's). Repeat calls by one caller count each time. Breakdown by sex: the caller's sex where recorded; a breakdown's cells need not sum to the total when some callers' sex is not recorded.",
    [sexBreakdown],
  ),
  measure(
    'police_da_incidents',
    'Domestic abuse incidents (police recorded)',
    'incidents',
    'Domestic-abuse-flagged incidents recorded by the police in the area in the period: crimes and non-crime incidents together (a non-crime incident is reported to the police but not recorded as a crime).',
  ),
  measure(
    'police_da_offences',
    'Domestic abuse offences (police recorded)',
    'offences',
    'Domestic-abuse-flagged crimes recorded by the police in the area in the period (notifiable offences only; non-crime incidents are excluded).',
  ),
  measure(
    'police_da_sanction_detections',
    'Domestic abuse sanction detections',
    'sanction detections',
    'Domestic-abuse-flagged offences detected in the period by a sanction: a charge or summons, a caution, an offence taken into consideration, a penalty notice or a community resolution. Counted in the period of the detection, which may differ from the period the offence was recorded.',
  ),
  measure(
    'police_sexual_offences',
    'Sexual offences (police recorded)',
    'offences',
    'Sexual offences recorded by the police in the area in the period, rape included (the Home Office counting rules group "sexual offences"). Breakdown by sex: the victim\'s sex.',
    [sexBreakdown],
  ),
  measure(
    'police_rape_offences',
    'Rape offences (police recorded)',
    'offences',
    "Rape offences recorded by the police in the area in the period (a subset of police_sexual_offences). Breakdown by sex: the victim's sex.",
    [sexBreakdown],
  ),
  measure(
    'police_dvpn',
    'Domestic Violence Protection Notices issued',
    'notices',
    'Domestic Violence Protection Notices (DVPN) issued by the police in the area in the period: the emergency notice, authorised by a superintendent, that bars an alleged perpetrator from the home for up to 48 hours.',
  ),
  measure(
    'police_dvpo',
    'Domestic Violence Protection Orders granted',
    'orders',
    "Domestic Violence Protection Orders (DVPO) granted by a magistrates' court on police application in the area in the period, following a DVPN (up to 28 days).",
  ),
  measure(
    'court_cases_finalised',
    'Domestic abuse court cases finalised',
    'cases',
    'Domestic abuse cases finalised in the period at the court (e.g. a Specialist Domestic Abuse Court), whatever the outcome: conviction, acquittal, discontinuance or withdrawal. Area: the local authority the case is attributed to.',
  ),
  measure(
    'court_convictions',
    'Domestic abuse convictions',
    'cases',
    'Finalised domestic abuse cases ending in a conviction in the period (a guilty plea or a conviction after trial); a subset of court_cases_finalised.',
  ),
  measure(
    'court_early_guilty_pleas',
    'Early guilty pleas',
    'cases',
    'Finalised domestic abuse cases in the period in which the defendant pleaded guilty at the first hearing.',
  ),
  measure(
    'court_pre_sentence_reports',
    'Convictions with a pre-sentence report',
    'cases',
    'Domestic abuse convictions in the period for which a pre-sentence report (PSR) was prepared by probation before sentencing.',
  ),
];

export const derivedCountMeasures: readonly DerivedCountMeasure[] = [
  {
    id: 'police_da_sanction_detection_rate',
    label: 'Domestic abuse sanction detection rate',
    definition:
      'Domestic abuse sanction detections ÷ domestic abuse offences, for the same area and period (a proportion; the seeds publish it as a percentage). Detections in a period may relate to offences recorded earlier, so the rate is an approximation.',
    numerator: 'police_da_sanction_detections',
    denominator: 'police_da_offences',
  },
  {
    id: 'police_da_offence_conversion_rate',
    label: 'Domestic abuse incident to offence conversion rate',
    definition: 'Domestic abuse offences ÷ domestic abuse incidents, for the same area and period: the share of incidents recorded as crimes.',
    numerator: 'police_da_offences',
    denominator: 'police_da_incidents',
  },
  {
    id: 'court_conviction_rate',
    label: 'Domestic abuse conviction rate',
    definition: 'Domestic abuse convictions ÷ domestic abuse cases finalised, for the same area and period.',
    numerator: 'court_convictions',
    denominator: 'court_cases_finalised',
  },
];

/** Reported measures by id. */
export const countMeasuresById: ReadonlyMap<string, CountMeasure> = new Map(countMeasures.map((m) => [m.id, m]));

/** Derived measures by id. */
export const derivedCountMeasuresById: ReadonlyMap<string, DerivedCountMeasure> = new Map(derivedCountMeasures.map((m) => [m.id, m]));

/**
 * An area of a count cell: the ONS GSS code of a local authority (the pattern of the record field
 * localAuthority, without not_known: a count is always of a known area).
 */
export const countAreaPattern = '^(?:E06|E07|E08|E09|W06|S12|N09)[0-9]{6}$';
export const countAreaPatternText =
  'must be the ONS GSS code of a local authority: E06, E07, E08, E09, W06, S12 or N09 followed by 6 digits, e.g. E09000001 (upper case)';

/** The CSV columns of a count file: the fixed three, then one per breakdown dimension any measure allows. */
export const countCsvFixedColumns = ['measure', 'area', 'value'] as const;
export const countBreakdownIds: readonly string[] = [...new Set(countMeasures.flatMap((m) => m.breakdowns.map((b) => b.id)))];
/** The columns of a count file: the fixed ones, then one per breakdown dimension of the catalogue. */
export const countCsvColumns: readonly string[] = [...countCsvFixedColumns, ...countBreakdownIds];
