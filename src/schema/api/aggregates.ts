import { Type } from 'typebox';
import { ageBandSets } from '../dataset/derived.js';
import { MAX_DIMENSIONS, MEASURES as MEASURE_LIST } from '../../services/analytics/aggregates.js';
import { dimensionIds } from '../../services/analytics/dimensions.js';
import { formatQueryProperty, PublicationStatusSchema, ScopeQueryProperties, SuppressionKindSchema } from './analytics.js';

/** A `groupBy` dimension: the ids come from the dimension registry, so a new dimension appears here. */
export const DimensionSchema = Type.String({ enum: dimensionIds, $id: 'Dimension', description: 'A dimension to group counts by.' });

const MEASURES = [...MEASURE_LIST];

export const AggregateQuery = Type.Object({
  measure: Type.String({
    enum: MEASURES,
    default: 'referrals',
    description:
      '`referrals` counts records (grouped by an onward-referral dimension, onward-referral entries); `people` counts distinct persons across all services in scope; ' +
      '`perpetrators` counts distinct perpetrator persons across the services in scope, one per entry of the records’ `perpetrators`, by their linkage ' +
      '(entries sharing a linkage key are one person before linkage has run; an entry without one is a person of its own). ' +
      'With no `subject` given it counts both perpetrators alleged in victims’ records and people who harm referred themselves; `subject` keeps it to one. ' +
      'Like `people`, it is protected by suppression and cell key noise.',
  }),
  groupBy: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z]+(,[A-Za-z]+)*$',
      description:
        `Dimensions, comma-separated (\`groupBy=category,riskLevel\`), at most ${MAX_DIMENSIONS}, each once. ` +
        'Onward-referral dimensions (`onwardServiceType`, `onwardOutcome`) count onward-referral entries; perpetrator dimensions count each perpetrator. ' +
        '`localAuthority` (the person’s) takes the GSS codes the records in scope name, with `not_known` and `not_recorded`: a code listed is a cell above zero, ' +
        'which a table of every GSS code would show as well, and its cells are suppressed and perturbed as any other’s.',
      // The server reads the comma-separated text (and names a wrong entry by its position); the
      // document shows what it is: a list of dimensions, sent as one comma-separated value.
      'x-openapi-parameter': {
        style: 'form',
        explode: false,
        schema: { type: 'array', items: { $ref: '#/components/schemas/Dimension' }, minItems: 1, maxItems: MAX_DIMENSIONS, uniqueItems: true },
      },
    }),
  ),
  ageBands: Type.String({ enum: Object.keys(ageBandSets), default: 'five_year', description: 'The age-band set for `ageBand` and `perpetratorAgeBand`.' }),
  ...formatQueryProperty('`csv` (or `Accept: text/csv`) returns the same table as CSV.'),
  ...ScopeQueryProperties,
});

export const PublishedValueSchema = Type.Object(
  {
    value: Type.Union([Type.Number(), Type.Null()]),
    status: PublicationStatusSchema,
    suppression: SuppressionKindSchema,
  },
  { $id: 'PublishedValue' },
);

const Key = Type.Record(Type.String(), Type.String());

export const AggregateSchema = Type.Object(
  {
    measure: Type.String({ enum: MEASURES }),
    unit: Type.String({
      description: 'What a value counts: referrals (records), people (de-duplicated persons) or perpetrators (de-duplicated perpetrator persons).',
    }),
    groupBy: Type.Array(Type.Ref('Dimension')),
    period: Type.Ref('Scope'),
    multiValued: Type.Array(Type.Ref('Dimension'), {
      description: 'Dimensions where a record counts once per value (so cells can add up to more than the total).',
    }),
    cells: Type.Array(
      Type.Object({
        key: Key,
        value: Type.Union([Type.Number(), Type.Null()]),
        status: PublicationStatusSchema,
        suppression: SuppressionKindSchema,
        populationShare: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
        representation: Type.Optional(
          Type.Union(
            [
              Type.Number({
                minimum: 0,
                description: "The cell's share of referrals ÷ its share of the population: 1 is in proportion, above 1 over-represented.",
              }),
              Type.Null({ description: 'Not available: the cell is suppressed, or the population share is unknown or zero.' }),
            ],
            {
              description:
                'Representation against the population: present only when grouping by `sex`, `ageBand`, `ethnicityGroup` or `minoritisedEthnicity` alone.',
            },
          ),
        ),
      }),
    ),
    totals: Type.Object({
      overall: Type.Ref('PublishedValue'),
      byDimension: Type.Record(
        Type.String(),
        Type.Array(
          Type.Object({ key: Key, value: Type.Union([Type.Number(), Type.Null()]), status: PublicationStatusSchema, suppression: SuppressionKindSchema }),
        ),
      ),
    }),
    population: Type.Optional(Type.Object({ areas: Type.Array(Type.String()), year: Type.Integer(), dimension: Type.String() })),
    linkage: Type.Optional(
      Type.Ref('LinkageCurrency', {
        description:
          'How current the persons counted are (with `measure=people` or `perpetrators`): returns still waiting for linkage count by their exact key.',
      }),
    ),
    disclosure: Type.Ref('Disclosure'),
  },
  { $id: 'Aggregate' },
);
