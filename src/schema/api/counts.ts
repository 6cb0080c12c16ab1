/**
 * `GET /v1/counts` (contract 1.1 §5): the counts services report as totals, summed by area, period,
 * service or a breakdown. Measure ids, breakdown ids and their codes come from the catalogue
 * (src/schema/counts/measures.ts), so a measure added there appears here.
 */
import { Type } from 'typebox';
import { countAreaPattern, countBreakdownIds, countMeasures, derivedCountMeasures } from '../counts/measures.js';
import { formatQueryProperty, PeriodQueryProperties, PublicationStatusSchema, SuppressionKindSchema } from './analytics.js';
import { ServiceIdSchema, ServiceTypeSchema } from './common.js';
import { describeDisclosureRule } from '../../services/analytics/disclosure.js';

/** The dimensions a count table may be grouped by: where, when, who reported, then each breakdown of the catalogue. */
export const COUNT_DIMENSIONS: readonly string[] = ['area', 'period', 'service', ...countBreakdownIds];
export const COUNT_MEASURE_IDS: readonly string[] = [...countMeasures.map((m) => m.id), ...derivedCountMeasures.map((m) => m.id)];
export const COMPARISONS = ['previous_year'] as const;

export const CountQuery = Type.Object({
  measure: Type.String({
    enum: [...COUNT_MEASURE_IDS],
    description:
      'A measure of the catalogue (`GET /v1/count-measures`). A derived measure (`police_da_sanction_detection_rate`, `police_da_offence_conversion_rate`, ' +
      '`court_conviction_rate`) gives each cell its numerator, its denominator and their quotient as `value`.',
  }),
  groupBy: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z]+(,[A-Za-z]+)*$',
      description:
        `Dimensions, comma-separated (\`groupBy=area,period\`), each once, among: ${COUNT_DIMENSIONS.map((d) => `\`${d}\``).join(', ')}. ` +
        '`area` is the area a count is of (a GSS code), not the reporting service’s. Grouping by a breakdown (`sex`) sums the cells reported with that breakdown; ' +
        'without it only the totals reported without a breakdown are summed (a breakdown’s cells need not add up to the total). ' +
        'Only cells some current count return reports are listed: a count not reported is not a zero.',
      'x-openapi-parameter': {
        style: 'form',
        explode: false,
        schema: { type: 'array', items: { type: 'string', enum: [...COUNT_DIMENSIONS] }, minItems: 1, uniqueItems: true },
      },
    }),
  ),
  compareWith: Type.Optional(
    Type.String({
      enum: [...COMPARISONS],
      description:
        '`previous_year` adds to each cell `previousValue`, the same cell for the same quarters a year earlier (published under the same disclosure control), ' +
        'and `changeRate`, (value − previousValue) ÷ previousValue; for a derived measure, the earlier rate and the change of the rate.',
    }),
  ),
  ...PeriodQueryProperties,
  service: Type.Optional(ServiceIdSchema),
  serviceType: Type.Optional(ServiceTypeSchema),
  area: Type.Optional(
    Type.String({ pattern: countAreaPattern, description: 'Only counts of this area (the ONS GSS code of a local authority, e.g. `E09000001`).' }),
  ),
  ...formatQueryProperty('`csv` (or `Accept: text/csv`) returns the same table as CSV.'),
});

const Key = Type.Record(Type.String(), Type.String(), { description: 'The cell’s code for each `groupBy` dimension.' });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

const CountFigureSchema = Type.Object({
  value: NullableNumber,
  status: PublicationStatusSchema,
  suppression: SuppressionKindSchema,
});

/** A row's rate per 1,000 population, for a reported measure (contract 1.1 §5, §8). */
const RateProperties = {
  ratePer1000: Type.Optional(
    Type.Union([Type.Number(), Type.Null()], {
      description:
        'value ÷ population × 1,000, unrounded: present for a reported measure when every area the row counts has a population figure for a year they share ' +
        '(a cell grouped by `area` counts one area; a total, or a cell not grouped by area, the areas of the counts it sums); null when the value is suppressed.',
    }),
  ),
  populationYear: Type.Optional(
    Type.Integer({
      description:
        'The population year `ratePer1000` uses: the latest at or before the start of the financial year of the row’s period (the first quarter asked for when not grouped by period) ' +
        'that every area it counts has (else the earliest they share).',
    }),
  ),
  population: Type.Optional(Type.Integer({ description: 'The population of that year: of the areas the row counts, summed.' })),
};

/** A total: for a derived measure, the quotient of the totals of its numerator and denominator. */
const TotalSchema = Type.Object({
  value: NullableNumber,
  status: PublicationStatusSchema,
  suppression: SuppressionKindSchema,
  numerator: Type.Optional(CountFigureSchema),
  denominator: Type.Optional(CountFigureSchema),
  ...RateProperties,
});

export const CountCellSchema = Type.Object({
  key: Key,
  value: Type.Union([Type.Number(), Type.Null()], { description: 'The count (for a derived measure, numerator ÷ denominator); null when suppressed.' }),
  status: PublicationStatusSchema,
  suppression: SuppressionKindSchema,
  numerator: Type.Optional(CountFigureSchema),
  denominator: Type.Optional(CountFigureSchema),
  ...RateProperties,
  previousValue: Type.Optional(
    Type.Union([Type.Number(), Type.Null()], {
      description: 'With `compareWith=previous_year`: the value a year earlier; null when suppressed or not reported.',
    }),
  ),
  changeRate: Type.Optional(
    Type.Union([Type.Number(), Type.Null()], {
      description: '(value − previousValue) ÷ previousValue, unrounded; null when either is null or previousValue is 0.',
    }),
  ),
});

export const CountTableSchema = Type.Object(
  {
    measure: Type.String({ enum: [...COUNT_MEASURE_IDS] }),
    label: Type.String(),
    unit: Type.String({ description: 'What a value counts; `proportion` for a derived measure.' }),
    derived: Type.Optional(
      Type.Object({ numerator: Type.String(), denominator: Type.String() }, { description: 'For a derived measure: the measures it divides.' }),
    ),
    groupBy: Type.Array(Type.String()),
    period: Type.Ref('Scope'),
    compareWith: Type.Optional(Type.Object({ comparison: Type.String({ enum: [...COMPARISONS] }), quarters: Type.Array(Type.String()) })),
    cells: Type.Array(CountCellSchema),
    totals: Type.Object({
      overall: TotalSchema,
      byDimension: Type.Record(Type.String(), Type.Array(Type.Object({ key: Key, ...TotalSchema.properties })), {
        description: 'With two or more dimensions: the totals by each dimension alone.',
      }),
    }),
    disclosure: Type.Ref('Disclosure'),
  },
  { $id: 'CountTable', description: 'Counts reported by services, from the current version of each count return.' },
);

const helplineCell = (area: string, value: number, population: number) => ({
  key: { area },
  value,
  status: 'ok',
  ratePer1000: (value / population) * 1000,
  populationYear: 2018,
  population,
});

/** The review's helpline table (seed 002), as an admin reads it. */
export const countTableExamples = {
  helplineCalls: {
    summary: 'Helpline calls by caller’s area with calls per 1,000 population, as an admin sees them',
    description:
      '`GET /v1/counts?measure=helpline_calls&groupBy=area&period=2020-21-Q3`: the review’s table (seed 002), the 2018 population stated; the review publishes the rates to one decimal place (5.7, 0.8).',
    value: {
      measure: 'helpline_calls',
      label: 'Helpline calls',
      unit: 'calls',
      groupBy: ['area'],
      period: { period: '2020-21-Q3', quarters: ['2020-21-Q3'] },
      cells: [helplineCell('E09000001', 44, 7_700), helplineCell('E09000007', 215, 253_000)],
      totals: { overall: { value: 259, status: 'ok' }, byDimension: {} },
      disclosure: { applied: false, ...describeDisclosureRule(5), suppressed: 0 },
    },
  },
};
