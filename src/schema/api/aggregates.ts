import { Type } from 'typebox';
import { codeLists, listCodes } from '../dataset/code-lists.js';
import { ageBandSets } from '../dataset/derived.js';
import { PERIOD_PATTERN } from '../../lib/periods.js';
import { AreaCodeSchema, ServiceIdSchema } from './common.js';
import { QuarterSchema } from './returns.js';

/** Filters shared by every analytic query. */
export const ScopeQueryProperties = {
  period: Type.Optional(Type.String({ pattern: PERIOD_PATTERN, description: 'A quarter (`2022-23-Q1`) or a financial year (`2022-23`).' })),
  from: Type.Optional(QuarterSchema),
  to: Type.Optional(QuarterSchema),
  service: Type.Optional(ServiceIdSchema),
  serviceType: Type.Optional(Type.String({ enum: listCodes(codeLists.serviceType) })),
  area: Type.Optional(AreaCodeSchema),
};

export const AggregateQuery = Type.Object({
  measure: Type.String({
    enum: ['referrals', 'people'],
    default: 'referrals',
    description: '`referrals` counts records; `people` counts distinct persons across all services in scope.',
  }),
  groupBy: Type.Optional(
    Type.String({ pattern: '^[A-Za-z]+(,[A-Za-z]+)*$', description: 'Comma-separated dimensions, at most 4 (see the Aggregate schema for the list).' }),
  ),
  ageBands: Type.String({ enum: Object.keys(ageBandSets), default: 'five_year', description: 'The age-band set for `ageBand` and `perpetratorAgeBand`.' }),
  format: Type.String({ enum: ['json', 'csv'], default: 'json', description: '`csv` (or `Accept: text/csv`) returns the same table as CSV.' }),
  ...ScopeQueryProperties,
});

export const PublishedValueSchema = Type.Object(
  {
    value: Type.Union([Type.Number(), Type.Null()]),
    status: Type.String({ enum: ['ok', 'suppressed'] }),
  },
  { $id: 'PublishedValue' },
);

const Key = Type.Record(Type.String(), Type.String());

export const DisclosureSchema = Type.Object(
  {
    applied: Type.Boolean({ description: 'True for analysts; admins see exact figures.' }),
    rule: Type.String(),
    threshold: Type.Integer(),
    primary: Type.String(),
    secondary: Type.String(),
    rates: Type.String(),
    suppressed: Type.Optional(Type.Integer({ description: 'How many published values this response suppresses.' })),
  },
  { $id: 'Disclosure' },
);

export const AggregateSchema = Type.Object(
  {
    measure: Type.String({ enum: ['referrals', 'people'] }),
    unit: Type.String({ description: 'What a value counts: referrals (records) or people (de-duplicated persons).' }),
    groupBy: Type.Array(Type.String()),
    period: Type.Object({ period: Type.String(), quarters: Type.Array(Type.String()) }, { additionalProperties: true }),
    multiValued: Type.Array(Type.String(), { description: 'Dimensions where a record counts once per value (so cells can add up to more than the total).' }),
    cells: Type.Array(
      Type.Object({
        key: Key,
        value: Type.Union([Type.Number(), Type.Null()]),
        status: Type.String({ enum: ['ok', 'suppressed'] }),
        populationShare: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
        representation: Type.Optional(Type.Union([Type.Number(), Type.Null(), Type.String({ description: 'share of referrals ÷ share of population' })])),
      }),
    ),
    totals: Type.Object({
      overall: Type.Ref('PublishedValue'),
      byDimension: Type.Record(Type.String(), Type.Array(Type.Object({ key: Key, value: Type.Union([Type.Number(), Type.Null()]), status: Type.String() }))),
    }),
    population: Type.Optional(Type.Object({ areas: Type.Array(Type.String()), year: Type.Integer(), dimension: Type.String() })),
    disclosure: Type.Ref('Disclosure'),
  },
  { $id: 'Aggregate' },
);
